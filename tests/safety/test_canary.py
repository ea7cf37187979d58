"""The leak canary for every command, in success and in failure, under `--debug`.

Debug logging is where a secret slips out most easily: the one error handler logs the whole
traceback at debug level, chained botocore and PyGithub exceptions included. Each case below runs
one command with `--debug` through conftest's `run`, which fails the test if any credential,
token, client secret or one-time code the sandbox ever issued (or the GitHub token) shows up in
stdout or stderr, whole or cut short. `export` prints credentials on stdout by design: its
successes are checked on stderr in test_export.py; its failures print nothing on stdout, so
they are checked here on both.

Where each command is covered without --debug: test_push, test_targets (push, list, remove),
test_login, test_signin, test_logout, test_status, test_configure, test_export, test_verify,
test_init_workflows (no secret in play) and test_demo.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

import sso_sync.sandbox
from sso_sync.cli.app import app
from sso_sync.sandbox import Sandbox
from tests.support import faults
from tests.support.schedule import FAKE_CRONTAB
from tests.support.verify import free_port, sandbox_credentials
from tests.support.world import ACCOUNT, ROLE, World, assert_no_leak, sandbox_issued_secrets

REPO = "octo-org/app"
GH_CANARY = "ghp_CANARYcanaryCANARYcanaryCANARY0003"
Prepare = Callable[[World, pytest.MonkeyPatch, Path], None]


def nothing(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    pass


def signed_in(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()


def due_for_refresh(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token(expires_in=120)


def pushed(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Signed in, and the four secrets already on the repository."""
    world.seed_token()
    assert CliRunner().invoke(app, ["push", "--repo", REPO, "-p", "ci"]).exit_code == 0


def registry_tokens_pushed(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Signed in, and both registry tokens already on the repository for Dependabot."""
    world.seed_token()
    assert CliRunner().invoke(app, ["push", *REGISTRY_TARGET]).exit_code == 0


def org_secret_selected(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Signed in, and the four secrets already on the organization, `selected` for one repo."""
    world.seed_token()
    first = ["push", "--org", "octo-org", "--selected-repo", REPO, "-p", "ci"]
    assert CliRunner().invoke(app, first).exit_code == 0


def org_visibility_refused(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """As above, and GitHub refuses to say what an organization secret's visibility is."""
    org_secret_selected(world, mp, tmp)
    world.sandbox.inject_fault(
        "github", "GET", r"^/orgs/octo-org/actions/secrets/AWS_\w+$", 403, times=-1
    )


def bad_github_token(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    mp.setenv("GH_TOKEN", GH_CANARY)


def device_code_expires(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    faults.device_code_expired(world.sandbox)


def sso_unreachable(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    mp.setenv("AWS_ENDPOINT_URL_SSO", f"http://127.0.0.1:{free_port()}")


def refresh_token_revoked(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token(expires_in=-60)
    world.sandbox.revoke_refresh_tokens()


def slow_github(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Every answer takes longer than the --timeout 2 the cases give: the deadline cuts."""
    world.seed_token()
    world.sandbox.set_latency(3)


def refresh_unreachable(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token(expires_in=120)
    mp.setenv("AWS_ENDPOINT_URL_SSO_OIDC", f"http://127.0.0.1:{free_port()}")


def session_ended_early(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    world.sandbox.revoke_access_tokens()


def listing_refused(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    faults.session_refused(world.sandbox, r"^/assignment/accounts$")


def role_refused(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    faults.role_refused(world.sandbox)


def live_env_credentials(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    for name, value in sandbox_credentials(world.sandbox, ACCOUNT, ROLE).items():
        mp.setenv(name, value)
    mp.setenv("GITHUB_REPOSITORY", REPO)


def garbage_session_token(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    live = sandbox_credentials(world.sandbox, ACCOUNT, ROLE)
    for name, value in live.items():
        mp.setenv(name, value)
    mp.setenv("AWS_SESSION_TOKEN", live["AWS_SESSION_TOKEN"][:60])


def in_a_git_repository(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    (tmp / "repo" / ".git").mkdir(parents=True)
    mp.chdir(tmp / "repo")
    live_env_credentials(world, mp, tmp)  # secrets in the environment it must not echo


def outside_a_git_repository(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    (tmp / "plain").mkdir()
    mp.chdir(tmp / "plain")
    live_env_credentials(world, mp, tmp)


def app_key(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Signed in, GitHub App auth configured (no token source at all)."""
    world.seed_token()
    world.use_github_app(mp, tmp)


def app_key_refused(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """The App's key is good, but GitHub knows the App by another id: the JWT is refused."""
    app_key(world, mp, tmp)
    mp.setenv("SSO_SYNC_GITHUB_APP_ID", "999")


def app_key_open(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    app_key(world, mp, tmp)
    (tmp / "app.pem").chmod(0o644)


def token_file_open(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Signed in; the GitHub token in SSO_SYNC_GITHUB_TOKEN_FILE, readable by others."""
    world.seed_token()
    token = tmp / "gh-token"
    token.write_text(world.sandbox.github_token + "\n")
    token.chmod(0o644)
    mp.setenv("SSO_SYNC_GITHUB_TOKEN_FILE", str(token))


def app_key_sign_in_needed(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """GitHub App auth configured, and the sign-in can no longer be refreshed."""
    refresh_token_revoked(world, mp, tmp)
    world.use_github_app(mp, tmp)


def fifo_token_file(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    import os

    world.token_file().parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(world.token_file())


def unconfirmed_config(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    (tmp / "clone" / ".git").mkdir(parents=True)
    (tmp / "clone" / "sso-sync.toml").write_text(f'[sets.x]\ntargets = [{{ repo = "{REPO}" }}]\n')
    mp.chdir(tmp / "clone")


def unprintable_credentials(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    role = {
        "accessKeyId": "ASIAEXAMPLE000000001",
        "secretAccessKey": "CANARYsecret\nAWS_EVIL=1",
        "sessionToken": "CANARYsession",
        "expiration": 4102444800000,
    }
    world.sandbox.inject_fault(
        "sso", "GET", r"/federation/credentials", 200, body={"roleCredentials": role}, times=-1
    )


def registry_refused(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Signed in; the role may read nothing from CodeArtifact, not even an endpoint."""
    world.seed_token()
    world.sandbox.deny_actions("codeartifact:ReadFromRepository", "sts:GetServiceBearerToken")


def ecr_answer_not_aws(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Signed in; ECR answers a token that is not `AWS:password` (a canary inside it)."""
    import base64

    world.seed_token()
    token = base64.b64encode(b"NOTAWS:CANARYsecret").decode()
    item = {"authorizationToken": token, "expiresAt": 4102444800}
    world.sandbox.inject_fault("ecr", "POST", "^/$", 200, body={"authorizationData": [item]})


def scheduled_with_a_token_file(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """Signed in; a fake `crontab` on PATH; the job's GitHub token (the sandbox's, a canary)
    in a file only its owner can read, named by SSO_SYNC_GITHUB_TOKEN_FILE."""
    import os

    world.seed_token()
    (tmp / "bin").mkdir()
    (tmp / "bin" / "crontab").write_text(FAKE_CRONTAB)
    (tmp / "bin" / "crontab").chmod(0o755)
    mp.setenv("PATH", f"{tmp / 'bin'}{os.pathsep}{os.environ['PATH']}")
    (tmp / "gh-token").write_text(world.sandbox.github_token + "\n")
    (tmp / "gh-token").chmod(0o600)
    mp.setenv("SSO_SYNC_GITHUB_TOKEN_FILE", str(tmp / "gh-token"))


def scheduled_installed(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    scheduled_with_a_token_file(world, mp, tmp)
    assert CliRunner().invoke(app, list(SCHEDULE_INSTALL)).exit_code == 0


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    prepare: Prepare
    exit_code: int


PUSH = ("push", "--repo", REPO, "--profile", "ci")
ORG_PUSH = ("push", "--org", "octo-org", "--profile", "ci")
PIN = "my-org/sso-sync@" + "a" * 40
CONFIGURE = (
    "configure",
    *("--session-name", "corp", "--account-id", ACCOUNT, "--role-name", "ci"),
    *("--profile", "made-here"),
)

DEPENDABOT_CONFIG = (
    "dependabot-config",
    *("-p", "ci", "--ecr", "--codeartifact", "corp"),
    *("--codeartifact-repository", "internal", "--format", "npm"),
)
DOCTOR_REGISTRIES = ("doctor", "--repo", REPO, "-p", "ci", "--ecr", "--codeartifact", "corp")

# Both registry tokens for Dependabot, without the role credentials.
REGISTRY_TARGET = (
    *("--repo", REPO, "-p", "ci", "--app", "dependabot"),
    *("--ecr", "--codeartifact", "corp", "--no-role-credentials"),
)
PUSH_REGISTRIES = ("push", *REGISTRY_TARGET)

SCHEDULE_INSTALL = ("schedule", "install", "--repo", REPO, "-p", "ci", "--backend", "cron")

CASES = {
    "login ok": Case(("login", "--profile", "ci", "--use-device-code", "--no-browser"), nothing, 0),
    "login fails": Case(
        ("login", "--profile", "ci", "--use-device-code", "--no-browser"), device_code_expires, 3
    ),
    "logout ok": Case(("logout", "--profile", "ci"), signed_in, 0),
    "logout fails": Case(("logout", "--profile", "ci"), sso_unreachable, 1),
    "push ok with a refresh": Case(PUSH, due_for_refresh, 0),
    "push fails on github": Case(PUSH, bad_github_token, 1),
    "push fails on sign-in": Case(PUSH, refresh_token_revoked, 3),
    "push refuses a FIFO token file": Case(PUSH, fifo_token_file, 2),
    "push refuses an unconfirmed config": Case(("push", "-p", "ci"), unconfirmed_config, 2),
    "push refuses unprintable credentials": Case(PUSH, unprintable_credentials, 1),
    "push stops at its deadline": Case((*PUSH, "--timeout", "2"), slow_github, 1),
    "push keeps a token it cannot refresh": Case(PUSH, refresh_unreachable, 0),
    "push --org keeps a visibility": Case(ORG_PUSH, org_secret_selected, 0),
    "push --org, visibility refused": Case(ORG_PUSH, org_visibility_refused, 1),
    "push --org --dry-run, visibility refused": Case(
        (*ORG_PUSH, "--dry-run", "--json"), org_visibility_refused, 1
    ),
    "login anew after a session ended early": Case(
        ("login", "--profile", "ci", "--use-device-code", "--no-browser"), session_ended_early, 0
    ),
    "list stops at its deadline": Case(("list", "--repo", REPO, "--timeout", "2"), slow_github, 1),
    "list ok": Case(("list", "--repo", REPO, "--json"), pushed, 0),
    "list fails": Case(("list", "--repo", REPO), bad_github_token, 1),
    "remove ok": Case(("remove", "--repo", REPO, "--yes"), pushed, 0),
    "remove fails": Case(("remove", "--repo", REPO, "--yes"), bad_github_token, 1),
    "push ok as a GitHub App": Case(PUSH, app_key, 0),
    "push fails, App JWT refused": Case(PUSH, app_key_refused, 1),
    "push fails, App key readable by others": Case(PUSH, app_key_open, 2),
    "list ok as a GitHub App": Case(("list", "--repo", "octo-org/*"), app_key, 0),
    "doctor ok with a refresh": Case(("doctor", "--repo", REPO, "-p", "ci"), due_for_refresh, 0),
    "doctor ok as a GitHub App": Case(("doctor", "--repo", REPO, "-p", "ci"), app_key, 0),
    "doctor ok with registry tokens": Case(DOCTOR_REGISTRIES, signed_in, 0),
    "doctor fails, registry token refused": Case(DOCTOR_REGISTRIES, registry_refused, 1),
    "doctor fails, ECR token not AWS:": Case(DOCTOR_REGISTRIES, ecr_answer_not_aws, 1),
    "push ok with registry tokens": Case(PUSH_REGISTRIES, signed_in, 0),
    "push ok with registry tokens beside the credentials": Case(
        (*PUSH, "--ecr", "--codeartifact", "corp", "--json"), signed_in, 0
    ),
    "push fails, registry token refused": Case(PUSH_REGISTRIES, registry_refused, 1),
    "push fails, ECR token not AWS:": Case(PUSH_REGISTRIES, ecr_answer_not_aws, 1),
    "list ok with registry tokens": Case(("list", *REGISTRY_TARGET), registry_tokens_pushed, 0),
    "remove ok with registry tokens": Case(
        ("remove", *REGISTRY_TARGET, "--yes"), registry_tokens_pushed, 0
    ),
    "watch ends after pushing registry tokens": Case(
        ("watch", *REGISTRY_TARGET, "--refresh-before", "13h", "--json"), signed_in, 2
    ),
    "dependabot-config ok": Case(DEPENDABOT_CONFIG, signed_in, 0),
    "dependabot-config fails, endpoint refused": Case(DEPENDABOT_CONFIG, registry_refused, 1),
    "doctor fails on github": Case(("doctor", "--repo", REPO, "-p", "ci"), bad_github_token, 1),
    "doctor fails, App JWT refused": Case(("doctor", "--org", "octo-org"), app_key_refused, 1),
    "status ok with a refresh": Case(("status", "--profile", "ci", "--json"), due_for_refresh, 0),
    "status fails": Case(("status", "--profile", "ci"), refresh_token_revoked, 3),
    "configure ok": Case(CONFIGURE, signed_in, 0),
    "configure fails": Case(CONFIGURE, listing_refused, 3),
    "export fails on sso": Case(("export", "--profile", "ci", "--format", "env"), role_refused, 1),
    "export fails on sign-in": Case(
        ("export", "--profile", "ci", "--format", "credential-process"), refresh_token_revoked, 3
    ),
    "export ini refused": Case(
        ("export", "--profile", "ci", "--format", "ini", "--section", "ci"), signed_in, 2
    ),
    "json error": Case((*PUSH, "--json"), refresh_token_revoked, 3),
    "verify ok": Case(("verify", "--expected-account", ACCOUNT), live_env_credentials, 0),
    "verify fails": Case(("verify",), garbage_session_token, 1),
    "watch fails on sign-in": Case(
        ("watch", "--repo", REPO, "--profile", "ci", "--json"), refresh_token_revoked, 3
    ),
    "watch fails on sign-in as a GitHub App": Case(
        ("watch", "--repo", "octo-org/*", "--profile", "ci", "--json"), app_key_sign_in_needed, 3
    ),
    "watch refuses an App key readable by others": Case(
        ("watch", "--repo", REPO, "--profile", "ci"), app_key_open, 2
    ),
    "watch ends: --refresh-before not shorter than the lifetime": Case(
        ("watch", "--repo", REPO, "--profile", "ci", "--refresh-before", "2h", "--json"),
        signed_in,
        2,
    ),
    "push refuses a token file others can read": Case(PUSH, token_file_open, 2),
    "watch --on-change stop ends: --refresh-before not shorter than the lifetime": Case(
        (
            "watch",
            "--repo",
            REPO,
            "--profile",
            "ci",
            "--on-change",
            "stop",
            "--refresh-before",
            "2h",
            "--json",
        ),
        signed_in,
        2,
    ),
    "watch --remote-sign-in refused without a webhook or desktop": Case(
        ("watch", "--repo", REPO, "--profile", "ci", "--remote-sign-in"), signed_in, 2
    ),
    "watch refuses a pattern matching nothing": Case(
        ("watch", "--repo", "octo-org/none-*", "--profile", "ci"), signed_in, 2
    ),
    "push fresh": Case((*PUSH, "--min-remaining", "30m", "--json"), pushed, 0),
    "schedule status ok": Case(
        ("schedule", "status", "--repo", REPO, "-p", "ci", "--backend", "systemd"), signed_in, 0
    ),
    "schedule install fails without a token file": Case(
        ("schedule", "install", "--repo", REPO, "-p", "ci", "--backend", "cron"), signed_in, 2
    ),
    "schedule install ok as a GitHub App": Case(
        ("schedule", "install", "--repo", REPO, "-p", "ci", "--backend", "cron", "--dry-run"),
        app_key,
        0,
    ),
    "schedule install refuses an App key readable by others": Case(
        ("schedule", "install", "--repo", REPO, "-p", "ci", "--backend", "cron"), app_key_open, 2
    ),
    "login --new-session ok": Case(
        ("login", "--profile", "ci", "--new-session", "--use-device-code", "--no-browser"),
        signed_in,
        0,
    ),
    "push ok with --record-variable --record-who": Case(
        (*PUSH, "--record-variable", "SSO_SYNC_RECORD", "--record-who"), signed_in, 0
    ),
    "schedule install ok with a token file": Case(SCHEDULE_INSTALL, scheduled_with_a_token_file, 0),
    "schedule remove ok": Case(
        ("schedule", "remove", "--repo", REPO, "-p", "ci", "--backend", "cron"),
        scheduled_installed,
        0,
    ),
    "schedule list ok": Case(("schedule", "list", "--backend", "cron"), scheduled_installed, 0),
    "schedule list fails": Case(("schedule", "list", "--backend", "nope"), signed_in, 2),
    "init-workflows ok": Case(("init-workflows", "--action", PIN), in_a_git_repository, 0),
    "init-workflows fails": Case(("init-workflows", "--action", PIN), outside_a_git_repository, 2),
    "init-workflows without a release": Case(("init-workflows",), in_a_git_repository, 2),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_debug_output_of_every_command_leaks_nothing(
    case: Case, world: World, run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case.prepare(world, monkeypatch, tmp_path)
    result = run(
        "--debug",
        *case.argv,
        extra_secrets={GH_CANARY, "CANARYsecret", "AWS_EVIL=1", "CANARYsession"},
    )
    assert result.exit_code == case.exit_code, result.stderr
    if case.exit_code != 0:
        # The error handler logged the failure, traceback and all: the riskiest output there is.
        assert "DEBUG sso_sync: failure" in result.stderr, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("error: ")


def test_the_cases_cover_every_command() -> None:
    import typer.main

    commands = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    covered = {case.argv[0] for case in CASES.values()}
    # export's successes print credentials on stdout by design (test_export.py, stderr checked);
    # demo brings its own sandbox (below).
    assert commands - covered == {"demo"}
    failing = {case.argv[0] for case in CASES.values() if case.exit_code != 0}
    assert failing == covered
    # Each of schedule's actions too: they are commands of their own to a user.
    from sso_sync.cli.commands.schedule import ACTIONS

    actions = {c.argv[1] for c in CASES.values() if c.argv[0] == "schedule"}
    assert actions == set(ACTIONS)


# --- demo: its own sandbox, so the canary needs that sandbox's values ------------------------


class _RecordedSandbox(Sandbox):
    """The demo's sandbox, kept so the test knows every value it minted."""

    made: ClassVar[list[Sandbox]] = []
    fault = False

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        _RecordedSandbox.made.append(self)
        if _RecordedSandbox.fault:
            # GitHub refuses the key id for good: the demo must fail, and say so cleanly
            # (no STS call with credentials GitHub does not hold).
            self.inject_fault(
                "github",
                "PUT",
                r"AWS_ACCESS_KEY_ID$",
                422,
                times=-1,
                body={"message": "Invalid request."},
            )


@pytest.mark.parametrize("fault", [False, True], ids=["demo ok", "demo fails"])
def test_demo_under_debug_leaks_none_of_its_sandboxs_values(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, fault: bool
) -> None:
    monkeypatch.setattr(_RecordedSandbox, "made", [])
    monkeypatch.setattr(_RecordedSandbox, "fault", fault)
    # run_demo imports the class from the package when it runs.
    monkeypatch.setattr(sso_sync.sandbox, "Sandbox", _RecordedSandbox)
    result = CliRunner().invoke(app, ["--debug", "demo", "--json"])
    [sandbox] = _RecordedSandbox.made
    values = sandbox_issued_secrets(sandbox) | {sandbox.github_token}
    assert len(sandbox.issued_credentials) == 1 and len(values) > 4
    assert_no_leak(result.stdout + result.stderr, values)
    report = json.loads(result.stdout)
    if not fault:
        assert result.exit_code == 0, result.stderr
        assert report["ok"] is True
        return
    assert result.exit_code == 1, result.stderr
    assert report["ok"] is False
    assert "DEBUG sso_sync: failure" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "error: the demo did not complete: see above"
