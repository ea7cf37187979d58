"""`sso-sync push`: real botocore and PyGithub clients against the sandbox over HTTP."""

from __future__ import annotations

import json
import stat

import pytest

from tests.support.world import ACCOUNT, NAMES, ROLE, World, issued_as_secrets

REPO = "octo-org/app"
SCOPE = f"repos/{REPO}/actions"


def github_requests(world: World) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in world.sandbox.requests if r.service == "github"]


def test_push_lands_four_secrets_that_decrypt_to_what_sso_issued(world: World, run) -> None:
    world.seed_token()
    first = run("push", "--repo", REPO, "--profile", "ci")
    assert first.exit_code == 0, first.stderr
    stored = world.sandbox.secrets(SCOPE)
    assert sorted(stored) == sorted(NAMES)
    assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)
    assert all(f"{name} created" in first.stdout for name in NAMES)
    assert f"expire at {issued_as_secrets(world)['AWS_CREDENTIAL_EXPIRATION']}" in first.stdout

    second = run("push", "--repo", REPO, "--profile", "ci")
    assert second.exit_code == 0, second.stderr
    assert all(f"{name} updated" in second.stdout for name in NAMES)
    # The second push carries the second set of credentials SSO issued.
    assert len(world.sandbox.issued_credentials) == 2
    assert {n: s.value for n, s in world.sandbox.secrets(SCOPE).items()} == issued_as_secrets(world)


def test_push_sends_one_key_fetch_and_one_put_per_secret_and_nothing_else(
    world: World, run
) -> None:
    world.seed_token()
    world.sandbox.clear_requests()
    result = run("push", "--repo", REPO, "--profile", "ci", "--prefix", "CI_")
    assert result.exit_code == 0, result.stderr
    sent = github_requests(world)
    # The key comes first; the four PUTs then go out side by side, in any order.
    assert sent[0] == ("GET", f"/{SCOPE}/secrets/public-key")
    assert sorted(sent[1:]) == sorted(("PUT", f"/{SCOPE}/secrets/CI_{name}") for name in NAMES)
    assert len(sent) == 5
    aws_ops = [r.operation for r in world.sandbox.requests if r.service != "github"]
    assert aws_ops == ["GetRoleCredentials"]
    assert sorted(world.sandbox.secrets(SCOPE)) == sorted(f"CI_{n}" for n in NAMES)


def test_json_output_is_one_stable_object_without_values(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", REPO, "--profile", "ci", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["account_id"] == ACCOUNT and report["role_name"] == ROLE
    assert report["expiration"] == issued_as_secrets(world)["AWS_CREDENTIAL_EXPIRATION"]
    # The sandbox issues one-hour credentials: that much is left, less the run's own seconds.
    assert 3500 < report["targets"][0].pop("remaining_seconds") <= 3600
    assert report["targets"] == [
        {
            "target": REPO,
            "set": None,
            "outcome": "created",
            "ok": True,
            "mixed": False,
            "error": None,
            "secrets": [{"name": n, "outcome": "created"} for n in NAMES],
        }
    ]


def test_profile_defaults_to_aws_profile(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    monkeypatch.setenv("AWS_PROFILE", "ci")
    result = run("push", "--repo", REPO)
    assert result.exit_code == 0, result.stderr
    assert len(world.sandbox.secrets(SCOPE)) == 4


def test_legacy_profile_uses_the_start_url_cache_file(world: World, run) -> None:
    world.seed_token(key=world.sandbox.config.start_url, refreshable=False)
    result = run("push", "--repo", REPO, "--profile", "legacy")
    assert result.exit_code == 0, result.stderr
    assert {n: s.value for n, s in world.sandbox.secrets(SCOPE).items()} == issued_as_secrets(world)


def test_expired_token_with_live_refresh_token_is_refreshed_silently(world: World, run) -> None:
    seeded = world.seed_token(expires_in=-60)
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert "sign in" not in (result.stdout + result.stderr).lower()
    cache = world.token_file()
    rewritten = json.loads(cache.read_text())
    assert rewritten["accessToken"] != seeded["accessToken"]
    assert rewritten["expiresAt"] > seeded["expiresAt"]
    assert rewritten["refreshToken"] and rewritten["clientId"] == seeded["clientId"]
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    ops = [r.operation for r in world.sandbox.requests if r.service == "sso-oidc"]
    assert ops == ["CreateToken"]
    assert len(world.sandbox.secrets(SCOPE)) == 4


def test_no_cached_token_and_no_terminal_exits_3_and_pushes_nothing(world: World, run) -> None:
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 3
    assert result.stderr.strip().count("\n") == 0
    assert "sso-sync login --profile ci" in result.stderr
    assert world.sandbox.secrets(SCOPE) == {}
    assert not [m for m, _ in github_requests(world) if m == "PUT"]


def test_dead_refresh_token_exits_3_and_pushes_nothing(world: World, run) -> None:
    world.seed_token(expires_in=-60)
    world.sandbox.revoke_refresh_tokens()
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 3, result.stderr
    assert "sso-sync login --profile ci" in result.stderr
    assert world.sandbox.secrets(SCOPE) == {}


def test_dry_run_writes_nothing_and_says_what_would_change(world: World, run) -> None:
    world.seed_token()
    run("push", "--repo", REPO, "--profile", "ci")
    world.sandbox.clear_requests()
    before = {n: s.updated_at for n, s in world.sandbox.secrets(SCOPE).items()}
    result = run("push", "--repo", REPO, "--repo", "octo-org/api", "--profile", "ci", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"{REPO}: would update AWS_ACCESS_KEY_ID" in result.stdout
    assert "octo-org/api: would create AWS_ACCESS_KEY_ID" in result.stdout
    assert all(r.method == "GET" for r in world.sandbox.requests if r.service == "github")
    assert not [r for r in world.sandbox.requests if r.service != "github"]
    assert {n: s.updated_at for n, s in world.sandbox.secrets(SCOPE).items()} == before


def test_transient_502_is_retried(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault("github", "PUT", r"AWS_SESSION_TOKEN$", 502)
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert (
        world.sandbox.secrets(SCOPE)["AWS_SESSION_TOKEN"].value
        == issued_as_secrets(world)["AWS_SESSION_TOKEN"]
    )


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--repo", REPO, "--profile", "nope"], 2, "profile 'nope' not found"),
        (["--repo", REPO, "--profile", "static"], 2, "not an IAM Identity Center profile"),
        (["--repo", "not-a-repo", "--profile", "ci"], 2, "is not OWNER/NAME"),
        (["--repo", "a/b/c", "--profile", "ci"], 2, "is not OWNER/NAME"),
        (["--repo", REPO, "--profile", "ci", "--prefix", "9bad-"], 2, "is invalid"),
        (["--repo", "octo-org/unknown", "--profile", "ci"], 1, "octo-org/unknown"),
    ],
)
def test_bad_input_gets_one_line_and_the_right_exit_code(
    world: World, run, args: list[str], code: int, needle: str
) -> None:
    world.seed_token()
    result = run("push", *args)
    assert result.exit_code == code, result.stderr
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_github_token_exits_2_naming_the_three_sources(
    world: World, run, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    world.seed_token()
    monkeypatch.delenv("GH_TOKEN")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `gh` to ask
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 2
    for source in ("GH_TOKEN", "GITHUB_TOKEN", "gh auth login"):
        assert source in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert not list(world.sandbox.requests)


def test_github_token_falls_back_to_github_token_then_gh(
    world: World, run, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    world.seed_token()
    token = world.sandbox.github_token
    monkeypatch.delenv("GH_TOKEN")
    monkeypatch.setenv("GITHUB_TOKEN", token)
    assert run("push", "--repo", REPO, "--profile", "ci").exit_code == 0
    monkeypatch.delenv("GITHUB_TOKEN")
    fake_gh = tmp_path / "bin" / "gh"
    fake_gh.parent.mkdir()
    # A stand-in for the gh CLI on PATH: prints the token the way `gh auth token` does.
    fake_gh.write_text(f"#!/bin/sh\n[ \"$1 $2\" = 'auth token' ] && echo {token}\n")
    fake_gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_gh.parent}:/usr/bin:/bin")
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert "updated" in result.stdout


def test_401_from_github_is_one_line_and_leaks_no_token(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    canary = "ghp_CANARYcanaryCANARYcanaryCANARY0001"
    monkeypatch.setenv("GH_TOKEN", canary)
    result = run("push", "--repo", REPO, "--profile", "ci", extra_secrets={canary})
    assert result.exit_code == 1
    assert "token is invalid or expired" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert world.sandbox.secrets(SCOPE) == {}


def test_debug_output_leaks_nothing(world: World, run) -> None:
    world.seed_token(expires_in=-60)
    result = run("--debug", "push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert "DEBUG" in result.stderr
