"""Every kind of target, config sets, validation and partial failure: `sso-sync push` with the
real botocore and PyGithub against the sandbox, which decrypts what lands."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from sso_sync.config_trust import remember
from sso_sync.sandbox import SandboxConfig
from tests.support.world import NAMES, World, issued_as_secrets

APP, API, WEB = "octo-org/app", "octo-org/api", "octo-org/web"
IDS = {APP: 1001, API: 1002, WEB: 1003}


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        device_interval=0,
        repos={
            APP: ["production", "staging", "QA env"],
            API: ["production"],
            WEB: [],
            "other-org/tool": [],
        },
        orgs=["octo-org", "other-org"],
    )


def github_requests(world: World) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in world.sandbox.requests if r.service == "github"]


def values(world: World, scope: str) -> dict[str, str]:
    return {name: s.value for name, s in world.sandbox.secrets(scope).items()}


def test_environment_secrets_land_and_names_are_url_encoded(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", APP, "--env", "production", "--env", "QA env", "-p", "ci")
    assert result.exit_code == 0, result.stderr
    issued = issued_as_secrets(world)
    assert values(world, f"repos/{APP}/environments/production") == issued
    assert values(world, f"repos/{APP}/environments/QA env") == issued
    assert values(world, f"repos/{APP}/actions") == {}  # --env replaces the repo's own, as gh
    paths = {p for _, p, _ in github_requests(world)}
    assert f"/repos/{APP}/environments/QA%20env/secrets/public-key" in paths
    assert f"{APP} env QA env: " in result.stdout


@pytest.mark.parametrize("visibility", ["all", "private"])
def test_org_secrets_land_with_the_visibility_asked(world: World, run, visibility: str) -> None:
    world.seed_token()
    result = run("push", "--org", "octo-org", "--visibility", visibility, "-p", "ci")
    assert result.exit_code == 0, result.stderr
    stored = world.sandbox.secrets("orgs/octo-org/actions")
    assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)
    assert {s.visibility for s in stored.values()} == {visibility}
    assert {s.selected_repository_ids for s in stored.values()} == {None}


def test_org_visibility_defaults_to_private_as_gh(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--org", "octo-org", "-p", "ci").exit_code == 0
    stored = world.sandbox.secrets("orgs/octo-org/actions")
    assert {s.visibility for s in stored.values()} == {"private"}


def test_selected_repositories_are_resolved_to_ids_once(world: World, run) -> None:
    world.seed_token()
    world.sandbox.clear_requests()
    result = run(
        "push",
        "--org",
        "octo-org",
        "--selected-repo",
        APP,
        "--selected-repo",
        WEB,
        "--selected-repo",
        APP.upper(),
        "-p",
        "ci",
    )
    assert result.exit_code == 0, result.stderr
    stored = world.sandbox.secrets("orgs/octo-org/actions")
    assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)
    assert {s.visibility for s in stored.values()} == {"selected"}
    assert [sorted(s.selected_repository_ids or []) for s in stored.values()] == [
        [IDS[APP], IDS[WEB]]
    ] * 4
    lookups = Counter(p for m, p, _ in github_requests(world) if p.startswith("/repos/"))
    assert lookups == {f"/repos/{APP.lower()}": 1, f"/repos/{WEB}": 1}


def test_dependabot_secrets_land_for_repo_and_org(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", APP, "--org", "octo-org", "--app", "dependabot", "-p", "ci")
    assert result.exit_code == 0, result.stderr
    assert values(world, f"repos/{APP}/dependabot") == issued_as_secrets(world)
    assert values(world, "orgs/octo-org/dependabot") == issued_as_secrets(world)
    assert values(world, f"repos/{APP}/actions") == {}
    assert f"{APP} (dependabot): " in result.stdout


def test_one_public_key_fetch_per_target_and_one_put_per_secret(world: World, run) -> None:
    world.seed_token()
    world.sandbox.clear_requests()
    result = run(
        "push",
        *("--repo", APP, "--repo", API, "--repo", WEB, "--org", "octo-org"),
        *("--concurrency", "3", "-p", "ci"),
    )
    assert result.exit_code == 0, result.stderr
    requests = github_requests(world)
    key_fetches = Counter(p for m, p, _ in requests if p.endswith("/public-key"))
    assert len(key_fetches) == 4 and set(key_fetches.values()) == {1}
    # Plus, for the organization (no --visibility), one look-up per secret of the visibility
    # it would keep: none exists yet, so four 404s.
    lookups = [(p, s) for m, p, s in requests if m == "GET" and not p.endswith("/public-key")]
    assert sorted(lookups) == [(f"/orgs/octo-org/actions/secrets/{n}", 404) for n in sorted(NAMES)]
    assert Counter(m for m, _, _ in requests) == {"GET": 8, "PUT": 16}
    for repo in (APP, API, WEB):
        assert values(world, f"repos/{repo}/actions") == issued_as_secrets(world)


def test_many_targets_at_full_concurrency_all_decrypt(
    world: World, run, sandbox_config: SandboxConfig
) -> None:
    """Workers share nothing PyGithub keeps per connection: every value must arrive intact."""
    world.seed_token()
    envs = ["--env", "production", "--env", "staging", "--env", "QA env"]
    result = run("push", "--repo", APP, *envs, "--concurrency", "16", "-p", "ci")
    assert result.exit_code == 0, result.stderr
    for env in ("production", "staging", "QA env"):
        assert values(world, f"repos/{APP}/environments/{env}") == issued_as_secrets(world)
    result = run(
        "push", "--repo", APP, "--repo", API, "--repo", WEB, "--concurrency", "16", "-p", "ci"
    )
    assert result.exit_code == 0, result.stderr
    for repo in (APP, API, WEB):
        assert values(world, f"repos/{repo}/actions") == issued_as_secrets(world)
    # Plain progress lines on stderr for more than one target when stderr is not a terminal.
    assert sorted(line.split("] ")[1] for line in result.stderr.splitlines()) == sorted(
        f"{r}: created" for r in (APP, API, WEB)
    )


def test_dry_run_of_every_kind_writes_nothing(world: World, run) -> None:
    world.seed_token()
    run("push", "--repo", APP, "-p", "ci")
    world.sandbox.clear_requests()
    result = run(
        "push",
        *("--repo", APP, "--org", "octo-org", "--selected-repo", WEB),
        *("-p", "ci", "--dry-run", "--json"),
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    by_target = {t["target"]: t for t in report["targets"]}
    assert {s["action"] for s in by_target[APP]["secrets"]} == {"update"}
    assert by_target["org octo-org"]["selected_repository_ids"] == [IDS[WEB]]
    assert {s["action"] for s in by_target["org octo-org"]["secrets"]} == {"create"}
    # The real run's word for what would happen, beside the older `action`.
    assert {s["outcome"] for s in by_target[APP]["secrets"]} == {"updated"}
    assert {s["outcome"] for s in by_target["org octo-org"]["secrets"]} == {"created"}
    assert {m for m, _, _ in github_requests(world)} == {"GET"}
    assert not [r for r in world.sandbox.requests if r.service != "github"]  # no credentials
    assert world.sandbox.secrets("orgs/octo-org/actions") == {}


# --- the config file ---------------------------------------------------------------------

TWO_SETS = f"""\
[sets.prod]
profile = "ci"
prefix = "PROD_"
targets = [
  {{ repo = "{APP}", env = "production" }},
  {{ org = "octo-org", visibility = "selected", selected-repos = ["{API}"] }},
]

[sets.dev]
profile = "legacy"
prefix = "DEV_"
targets = [{{ repo = "{APP}" }}, {{ repo = "{API}", app = "dependabot" }}]
"""


def prefixed(prefix: str, issued: dict[str, str]) -> dict[str, str]:
    return {prefix + name: value for name, value in issued.items()}


def test_config_file_with_two_sets_pushes_each_with_its_own_profile(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ci = world.seed_token()["accessToken"]
    legacy = world.seed_token(key=world.sandbox.config.start_url, refreshable=False)["accessToken"]
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "sso-sync.toml").write_text(TWO_SETS)
    remember(project / "sso-sync.toml", os.environ)  # as if confirmed once at a terminal
    monkeypatch.chdir(project / "sub")  # found from the current directory upward

    result = run("push", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["config_file"] == str(project / "sso-sync.toml")
    assert f"Using sets from {project / 'sso-sync.toml'}" in result.stderr
    assert [c["profile"] for c in report["credentials"]] == ["ci", "legacy"]
    assert [(t["set"], t["target"]) for t in report["targets"]] == [
        ("prod", f"{APP} env production"),
        ("prod", "org octo-org"),
        ("dev", APP),
        ("dev", f"{API} (dependabot)"),
    ]
    # Each profile's own credentials: asked for side by side, so known by who asked.
    prod, dev = issued_as_secrets(world, asked_with=ci), issued_as_secrets(world, asked_with=legacy)
    assert prod != dev
    assert values(world, f"repos/{APP}/environments/production") == prefixed("PROD_", prod)
    org = world.sandbox.secrets("orgs/octo-org/actions")
    assert {n: s.value for n, s in org.items()} == prefixed("PROD_", prod)
    assert {tuple(s.selected_repository_ids or []) for s in org.values()} == {(IDS[API],)}
    assert values(world, f"repos/{APP}/actions") == prefixed("DEV_", dev)
    assert values(world, f"repos/{API}/dependabot") == prefixed("DEV_", dev)

    world.sandbox.clear_requests()
    one = run("push", "dev")
    assert one.exit_code == 0, one.stderr
    touched = {p.split("/secrets")[0] for m, p, _ in github_requests(world) if m == "PUT"}
    assert touched == {f"/repos/{APP}/actions", f"/repos/{API}/dependabot"}


def test_config_in_pyproject_tool_table_and_explicit_config_path(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.sso-sync.sets.ci]\nprofile = "ci"\n'
        f'targets = [{{ repo = "{WEB}" }}]\n'
    )
    remember(project / "pyproject.toml", os.environ)
    monkeypatch.chdir(project)
    result = run("push", "ci")
    assert result.exit_code == 0, result.stderr
    assert values(world, f"repos/{WEB}/actions") == issued_as_secrets(world)

    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text(f'[sets.x]\nprofile = "ci"\ntargets = [{{ repo = "{API}" }}]\n')
    result = run("push", "--config", str(elsewhere))
    assert result.exit_code == 0, result.stderr
    assert values(world, f"repos/{API}/actions") == issued_as_secrets(world)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("[sets.a\n", ["not valid TOML"]),
        ("[other]\n", ["unknown key 'other'"]),
        ("[sets.a]\nprofile = 'ci'\n", ["sets.a.targets", "non-empty list"]),
        ("[sets.a]\nprofil = 'ci'\ntargets = [{repo='o/r'}]\n", ["sets.a.profil", "unknown key"]),
        ("[sets.a]\ntargets = [{repo='o/r', org='o'}]\n", ["sets.a.targets[0]", "one of repo"]),
        (
            "[sets.a]\ntargets = [{org='o', visibility='public'}]\n",
            ["sets.a.targets[0].visibility", "all, private, selected"],
        ),
        ("[sets.a]\ntargets = [{repo='nope'}]\n", ["sets.a.targets[0].repo", "OWNER/NAME"]),
        ("[sets.a]\nprefix = 3\ntargets = [{repo='o/r'}]\n", ["sets.a.prefix", "string"]),
        (
            "[sets.a]\ntargets = [{repo='o/r', app='pages'}]\n",
            ["sets.a.targets[0].app", "actions, dependabot"],
        ),
    ],
)
def test_config_errors_name_the_file_the_key_and_what_is_expected(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, needles
) -> None:
    world.seed_token()
    (tmp_path / "sso-sync.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = run("push", "-p", "ci")
    assert result.exit_code == 2, result.stderr
    assert "sso-sync.toml" in result.stderr
    for needle in needles:
        assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not world.sandbox.requests


def test_unknown_set_and_no_config_say_what_to_do(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("push", "-p", "ci")
    assert result.exit_code == 2
    assert "--repo OWNER/NAME" in result.stderr and "sso-sync.toml" in result.stderr
    (tmp_path / "sso-sync.toml").write_text(TWO_SETS)
    result = run("push", "nope", "-p", "ci")
    assert result.exit_code == 2
    assert "no set named 'nope' (sets: prod, dev)" in result.stderr
    result = run("push", "prod", "--repo", APP)
    assert result.exit_code == 2
    assert "either the set name" in result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--env", "production"], "--env needs --repo"),
        (["--repo", APP, "--env", "production", "--app", "dependabot"], "no environment"),
        (["--org", "octo-org", "--selected-repo", "other-org/tool"], "must belong"),
        (["--org", "octo-org", "--visibility", "public"], "all, private, selected"),
        (["--org", "octo-org", "--visibility", "selected"], "needs at least one"),
        (["--org", "octo-org", "--visibility", "all", "--selected-repo", APP], "implies"),
        (["--org", "-bad-"], "not an organization name"),
        (["--repo", APP, "--app", "pages"], "actions, dependabot"),
        (["--repo", APP, "--prefix", "GITHUB_"], "GITHUB_"),
        (["--repo", APP, "--prefix", "A-"], "is invalid"),
        (["--repo", APP, "--visibility", "all"], "--org only"),
        (["--repo", APP, "--concurrency", "0"], "--concurrency"),
        (["--repo", APP, "--concurrency", "101"], "--concurrency"),
    ],
)
def test_bad_targets_exit_2_before_any_request(world: World, run, args, needle: str) -> None:
    world.seed_token()
    result = run("push", *args, "-p", "ci")
    assert result.exit_code == 2, result.stderr
    assert needle in result.stderr
    assert not world.sandbox.requests


def test_two_sets_writing_the_same_secret_is_refused(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sso-sync.toml").write_text(
        f'[sets.a]\ntargets = [{{ repo = "{APP}" }}]\n[sets.b]\ntargets = [{{ repo = "{APP}" }}]\n'
    )
    remember(tmp_path / "sso-sync.toml", os.environ)
    monkeypatch.chdir(tmp_path)
    result = run("push", "-p", "ci")
    assert result.exit_code == 2
    assert "both set 'a' and set 'b'" in result.stderr
    assert not world.sandbox.requests


# --- partial failure, retries, the deadline ----------------------------------------------


def test_persistent_failure_on_one_repository_others_land_exit_1_naming_it(
    world: World, run
) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github",
        "PUT",
        f"^/repos/{API}/",
        403,
        times=-1,
        body={"message": "Resource not accessible by integration"},
    )
    result = run("push", "--repo", APP, "--repo", API, "--repo", WEB, "-p", "ci")
    assert result.exit_code == 1
    assert values(world, f"repos/{APP}/actions") == issued_as_secrets(world)
    assert values(world, f"repos/{WEB}/actions") == issued_as_secrets(world)
    assert values(world, f"repos/{API}/actions") == {}
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("error: 1 of 3 targets failed: octo-org/api")
    assert f"{API}: failed: setting AWS_ACCESS_KEY_ID: the token lacks permission" in (
        result.stdout
    )


def test_target_left_half_written_is_mixed_and_a_rerun_finishes_it(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github",
        "PUT",
        f"^/repos/{API}/.*AWS_SESSION_TOKEN$",
        422,
        times=-1,
        body={"message": "Invalid request.", "errors": ["sandbox says no"]},
    )
    result = run("push", "--repo", APP, "--repo", API, "-p", "ci", "--json")
    assert result.exit_code == 1
    report = {t["target"]: t for t in json.loads(result.stdout)["targets"]}
    assert report[API]["mixed"] is True
    # A target's secrets go out side by side: the one refused does not stop the others.
    assert [s["outcome"] for s in report[API]["secrets"]] == [
        "created",
        "created",
        "failed",
        "created",
    ]
    assert "GitHub rejected the request: Invalid request. (sandbox says no)" in report[API]["error"]
    assert "octo-org/api (mixed, re-run)" in result.stderr

    world.sandbox._hub.faults.clear()
    again = run("push", "--repo", APP, "--repo", API, "-p", "ci")
    assert again.exit_code == 0, again.stderr
    assert values(world, f"repos/{API}/actions") == issued_as_secrets(world)


@pytest.mark.parametrize(
    ("status", "headers", "body", "reset"),
    [
        (502, {}, None, False),
        (0, {}, None, True),
        (429, {"Retry-After": "1"}, None, False),
        (
            403,
            {"Retry-After": "1"},
            {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."},
            False,
        ),
    ],
    ids=["502", "connection-reset", "429", "secondary-403"],
)
def test_transient_answers_are_ridden_out(
    world: World, run, status: int, headers: dict, body, reset: bool
) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github",
        "PUT",
        r"AWS_SECRET_ACCESS_KEY$",
        status,
        times=2,
        headers=headers,
        body=body,
        reset_connection=reset,
    )
    result = run("push", "--repo", APP, "-p", "ci")
    assert result.exit_code == 0, result.stderr
    assert values(world, f"repos/{APP}/actions") == issued_as_secrets(world)
    attempts = [s for m, p, s in github_requests(world) if p.endswith("AWS_SECRET_ACCESS_KEY")]
    assert attempts == [status, status, 201]


def test_deadline_stops_an_endless_retry_after_and_reports_the_rest(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github", "PUT", f"^/repos/{APP}/", 429, times=-1, headers={"Retry-After": "1"}
    )
    result = run("push", "--repo", APP, "-p", "ci", "--timeout", "2", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)["targets"][0]
    assert "--timeout deadline" in report["error"]
    assert {s["outcome"] for s in report["secrets"]} <= {"failed", "not-attempted"}
    puts = [p for m, p, _ in github_requests(world) if m == "PUT"]
    # Each secret (they go out side by side): a few tries a second apart, then the deadline.
    # The deadline runs from the command's start, AWS included: on a loaded machine a secret
    # may get no try at all before it ("not attempted"), never an endless series.
    tries = {name: sum(p.endswith(f"/{name}") for p in puts) for name in NAMES}
    assert all(0 <= n <= 3 for n in tries.values()), tries
    assert world.sandbox.secrets(f"repos/{APP}/actions") == {}


# --- errors that say what to do ----------------------------------------------------------


def test_403_names_the_missing_permission(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github",
        "GET",
        "public-key$",
        403,
        times=-1,
        headers={"X-Accepted-GitHub-Permissions": "secrets=write"},
        body={"message": "Resource not accessible by personal access token"},
    )
    result = run("push", "--repo", APP, "-p", "ci")
    assert result.exit_code == 1
    assert "lacks permission (GitHub wants secrets=write)" in result.stdout
    assert "rate limit" not in result.stdout


@pytest.mark.parametrize(
    ("headers", "hint"),
    [
        # a classic token: the scope it lacks, and the `gh` command that adds it
        (
            {"X-Accepted-OAuth-Scopes": "repo", "X-OAuth-Scopes": "read:org"},
            "`gh auth refresh -s repo`",
        ),
        # no header to go by: what each kind of token needs
        ({}, "or the repo (and admin:org) scope for a classic token"),
    ],
    ids=["classic-scope", "no-header"],
)
def test_403_says_what_the_token_needs(world: World, run, headers, hint) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github",
        "GET",
        "public-key$",
        403,
        times=-1,
        headers=headers,
        body={"message": "Resource not accessible by personal access token"},
    )
    result = run("push", "--repo", APP, "-p", "ci")
    assert result.exit_code == 1
    assert "the token lacks permission" in result.stdout
    assert hint in result.stdout


@pytest.mark.timeout(60)  # a deadline regression would otherwise wait out the hour-long reset
def test_403_rate_limit_is_told_apart_from_a_permission_problem(world: World, run) -> None:
    import time

    world.seed_token()
    world.sandbox.inject_fault(
        "github",
        "GET",
        "public-key$",
        403,
        times=-1,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3600)},
        body={"message": "API rate limit exceeded for user."},
    )
    started = time.monotonic()
    result = run("push", "--repo", APP, "-p", "ci", "--timeout", "5")
    assert time.monotonic() - started < 30  # told at once that the wait is past the deadline
    assert result.exit_code == 1
    assert "asked to wait" in result.stdout and "--timeout" in result.stdout
    assert "permission" not in result.stdout


def test_404_says_which_environment_or_org_is_missing(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", APP, "--env", "prod", "--org", "no-such-org", "-p", "ci")
    assert result.exit_code == 1
    assert "environment 'prod' of repository octo-org/app not found" in result.stdout
    assert "organization 'no-such-org' not found" in result.stdout
    assert "2 of 2 targets failed" in result.stderr


# --- list and remove ---------------------------------------------------------------------


def test_list_shows_managed_secrets_with_updated_at(world: World, run) -> None:
    world.seed_token()
    run("push", "--repo", APP, "--prefix", "CI_", "-p", "ci")
    run("push", "--repo", APP, "--prefix", "OTHER_", "-p", "ci")
    result = run("list", "--repo", APP, "--repo", WEB, "--prefix", "CI_", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    by_target = {t["target"]: t for t in report["targets"]}
    stored = world.sandbox.secrets(f"repos/{APP}/actions")
    # Written by this machine and untouched since: not changed elsewhere; each expires when
    # the credentials this machine pushed do.
    expires = issued_as_secrets(world, 0)["AWS_CREDENTIAL_EXPIRATION"]  # the CI_ push
    assert by_target[APP]["secrets"] == [
        {
            "name": f"CI_{n}",
            "updated_at": stored[f"CI_{n}"].updated_at,
            "changed_elsewhere": False,
            "expires_at": expires,
        }
        for n in NAMES
    ]
    assert by_target[WEB]["secrets"] == []
    plain = run("list", "--repo", APP, "--prefix", "CI_")
    assert plain.exit_code == 0
    assert f"{APP}\tCI_AWS_SESSION_TOKEN\t{stored['CI_AWS_SESSION_TOKEN'].updated_at}" in (
        plain.stdout
    )
    assert "OTHER_" not in plain.stdout


def test_list_failure_is_reported_and_exits_1(world: World, run) -> None:
    result = run("list", "--repo", APP, "--env", "nope", "--repo", "octo-org/gone")
    assert result.exit_code == 1
    assert "environment 'nope'" in result.stdout
    assert "octo-org/gone" in result.stderr


def test_remove_without_terminal_and_without_yes_exits_2_and_deletes_nothing(
    world: World, run
) -> None:
    world.seed_token()
    run("push", "--repo", APP, "-p", "ci")
    world.sandbox.clear_requests()
    result = run("remove", "--repo", APP)
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert len(world.sandbox.secrets(f"repos/{APP}/actions")) == 4
    assert {m for m, _, _ in github_requests(world)} == {"GET"}


def test_remove_yes_deletes_only_the_managed_secrets(world: World, run) -> None:
    world.seed_token()
    run("push", "--repo", APP, "--org", "octo-org", "-p", "ci")
    run("push", "--repo", APP, "--prefix", "KEEP_", "-p", "ci")
    dry = run("remove", "--repo", APP, "--org", "octo-org", "--dry-run")
    assert dry.exit_code == 0
    assert "would delete AWS_ACCESS_KEY_ID" in dry.stderr
    assert len(world.sandbox.secrets(f"repos/{APP}/actions")) == 8

    result = run("remove", "--repo", APP, "--org", "octo-org", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert all(t["ok"] for t in report["targets"])
    assert sorted(world.sandbox.secrets(f"repos/{APP}/actions")) == sorted(
        f"KEEP_{n}" for n in NAMES
    )
    assert world.sandbox.secrets("orgs/octo-org/actions") == {}
    again = run("remove", "--repo", APP, "--yes")
    assert again.exit_code == 0
    assert "nothing to remove" in again.stderr


def test_remove_partial_failure_exits_1_naming_the_target(world: World, run) -> None:
    world.seed_token()
    run("push", "--repo", APP, "--repo", API, "-p", "ci")
    world.sandbox.inject_fault(
        "github", "DELETE", f"^/repos/{API}/.*AWS_SESSION_TOKEN$", 403, times=-1
    )
    result = run("remove", "--repo", APP, "--repo", API, "--yes")
    assert result.exit_code == 1
    assert "octo-org/api (mixed, re-run)" in result.stderr
    assert world.sandbox.secrets(f"repos/{APP}/actions") == {}
    world.sandbox._hub.faults.clear()
    assert run("remove", "--repo", APP, "--repo", API, "--yes").exit_code == 0
    assert world.sandbox.secrets(f"repos/{API}/actions") == {}


@pytest.mark.parametrize("command", ["list", "remove"])
def test_bad_token_on_list_and_remove_is_one_line_without_the_token(
    world: World, run, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    canary = "ghp_CANARYcanaryCANARYcanaryCANARY0002"
    monkeypatch.setenv("GH_TOKEN", canary)
    extra = ["--yes"] if command == "remove" else ["--json"]
    result = run(command, "--repo", APP, "--repo", API, *extra, extra_secrets={canary})
    assert result.exit_code == 1
    assert "token is invalid or expired" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
