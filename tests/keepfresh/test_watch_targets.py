"""`sso-sync watch` with what `push` takes beyond a plain repository: GitHub App auth (a fresh
installation token every cycle), repository patterns (listed again every cycle), and the
cycle's `--timeout` bounding its AWS calls as much as its GitHub ones."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.bounds import within
from tests.support.hostile import HostilePeer
from tests.support.watch import Watch
from tests.support.world import World, assert_no_leak, issued_as_secrets

REPO = "octo-org/app"
DEADLINE = 3.0  # the cycles' --timeout (seconds)


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        device_interval=0,
        role_lifetime=60,  # with --refresh-before 50s, a cycle every 5 to 10 s
        repos={REPO: [], "octo-org/svc-a": [], "octo-org/svc-b": [], "octo-org/web": []},
    )


def stored(world: World, repo: str) -> dict[str, str]:
    return {n: s.value for n, s in world.sandbox.secrets(f"repos/{repo}/actions").items()}


@pytest.mark.slow
def test_watch_as_a_github_app_mints_a_new_installation_token_every_cycle(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    key = world.app_key_file(tmp_path)
    monkeypatch.delenv("GH_TOKEN")  # no token anywhere: only the App can write
    app = ("--github-app-id", str(world.sandbox.config.app_id), "--github-app-key", str(key))
    with Watch("--repo", REPO, "-p", "ci", "--refresh-before", "50s", *app) as watch:
        seen = []
        for _ in range(2):
            line = watch.next_line(timeout=30)
            assert "pushed 1 (octo-org/app)" in line, line
            seen.append(stored(world, REPO))
            assert seen[-1] == issued_as_secrets(world)  # decrypted at GitHub
            # The installation token of this cycle dies: the next cycle must not reuse it.
            world.sandbox.expire_installation_tokens()
        watch.proc.send_signal(signal.SIGTERM)
        code, out, err = watch.finish()
    assert code == 0, err
    assert seen[0]["AWS_ACCESS_KEY_ID"] != seen[1]["AWS_ACCESS_KEY_ID"]
    minted = world.sandbox.minted_installation_tokens
    assert len(minted) >= 2
    assert all(p == {"metadata": "read", "secrets": "write"} for _, p in minted)
    assert_no_leak(out + err, world.secret_values())


@pytest.mark.slow
def test_watch_lists_a_pattern_again_every_cycle_and_keeps_the_last_list_on_failure(
    world: World,
) -> None:
    world.seed_token()
    with Watch("--repo", "octo-org/svc-*", "-p", "ci", "--refresh-before", "50s", "--json") as w:
        first = w.next_line(timeout=30)
        assert "pushed 2 (octo-org/svc-a, octo-org/svc-b)" in first, first
        world.sandbox.create_repo("octo-org/svc-c")  # made on GitHub between two cycles
        second = w.next_line(timeout=30)
        assert "octo-org/svc-c" in second, second
        assert stored(world, "octo-org/svc-c") == issued_as_secrets(world)
        # The next listing is refused: reported with that cycle, the last list still pushed.
        world.sandbox.inject_fault("github", "GET", r"^/orgs/octo-org/repos$", 403)
        third = w.next_line(timeout=30)
        assert "pushed 3" in third and "listed before" in third, third
        w.proc.send_signal(signal.SIGTERM)
        code, out, err = w.finish()
    assert code == 0, err
    cycles = [json.loads(line) for line in out.splitlines()]
    assert cycles[2]["warnings"] and not cycles[2]["ok"] and not cycles[1]["warnings"]
    assert stored(world, "octo-org/web") == {}  # not matching: never written
    for repo in ("octo-org/svc-a", "octo-org/svc-b", "octo-org/svc-c"):
        assert stored(world, repo) == issued_as_secrets(world)
    assert_no_leak(out + err, world.secret_values())


def test_watch_with_a_pattern_matching_nothing_is_exit_2_at_start(world: World, run) -> None:
    world.seed_token()
    result = run("watch", "--repo", "octo-org/nothing-*", "-p", "ci")
    assert result.exit_code == 2, result.stderr
    assert "matches no unarchived repository" in result.stderr


def test_watch_refuses_an_app_key_others_can_read_at_start(
    world: World, run, tmp_path: Path
) -> None:
    key = world.app_key_file(tmp_path)
    key.chmod(0o644)
    app = ("--github-app-id", str(world.sandbox.config.app_id), "--github-app-key", str(key))
    result = run("watch", "--repo", REPO, "-p", "ci", *app)
    assert result.exit_code == 2
    assert f"run chmod 600 {key}" in result.stderr
    assert world.sandbox.requests == []


# --- each cycle's --timeout bounds its AWS calls ----------------------------------------------


def first_cycle(
    world: World, monkeypatch: pytest.MonkeyPatch, variable: str, deadline: float = DEADLINE
) -> tuple[str, float]:
    """watch --timeout `deadline` with `variable` (an AWS endpoint) pointing at a stalling peer:
    the first cycle's line, and how long it took to come."""
    with HostilePeer("stall") as peer:
        monkeypatch.setenv(variable, peer.url)
        started = time.monotonic()
        with Watch("--repo", REPO, "-p", "ci", "--timeout", f"{deadline:g}", "--json") as watch:
            line = watch.next_line(timeout=60)
            while " cycle " not in line:  # a warning first: the refresh had no answer in time
                line = watch.next_line(timeout=60)
            took = time.monotonic() - started
            watch.proc.send_signal(signal.SIGTERM)
            code, out, err = watch.finish()
    assert code == 0, err
    assert_no_leak(out + err, world.secret_values())
    return line, took


def test_a_stalled_get_role_credentials_ends_with_the_cycles_deadline(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    line, took = first_cycle(world, monkeypatch, "AWS_ENDPOINT_URL_SSO")
    assert took < within(DEADLINE), line
    assert "FAILED 1 (octo-org/app)" in line, line
    assert stored(world, REPO) == {}


def test_a_stalled_silent_refresh_ends_within_the_cycles_deadline(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token(expires_in=300)  # due for a refresh, still valid: used when it stalls
    # The refresh gets a third of the deadline; the push needs the rest to succeed, which on a
    # loaded 2-core machine 2 s is not: 9 s leaves it 6.
    line, took = first_cycle(world, monkeypatch, "AWS_ENDPOINT_URL_SSO_OIDC", deadline=9.0)
    assert took < within(9.0), line
    assert "pushed 1 (octo-org/app)" in line, line
    assert stored(world, REPO) == issued_as_secrets(world)


def test_watch_says_why_each_target_failed_under_the_cycle_line(world: World) -> None:
    world.seed_token()
    # A refusal whose message carries a newline and terminal controls: shown, never obeyed.
    world.sandbox.inject_fault(
        "github", "PUT", r"^/repos/octo-org/web/actions/secrets/AWS_ACCESS_KEY_ID$", 422,
        body={"message": "Validation Failed", "errors": ["no access\nfor you\x1b]0;owned\x07"]},
    )  # fmt: skip
    given = ("--repo", REPO, "--repo", "octo-org/nope", "--repo", "octo-org/web")
    with Watch(*given, "-p", "ci", "--refresh-before", "50s") as watch:
        line = watch.next_line(timeout=30)
        reasons = [watch.next_line(timeout=10) for _ in range(2)]
        watch.proc.send_signal(signal.SIGTERM)
        code, _out, err = watch.finish()
    assert code == 0, err
    assert "pushed 1 (octo-org/app)" in line and "FAILED 2 (octo-org/nope, octo-org/web)" in line
    nope, web = sorted(reasons)
    assert nope.startswith("  octo-org/nope: failed: ") and "not found" in nope.lower(), nope
    assert web.startswith("  octo-org/web: mixed, re-run: setting AWS_ACCESS_KEY_ID: ") and (
        "no access\\nfor you" in web  # one line, whatever the message holds
    ), web
    assert "\x1b" not in err and "\x07" not in err
