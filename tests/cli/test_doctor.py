"""`sso-sync doctor`: golden output for a healthy set-up and for each broken item, against the
sandbox (the real botocore and PyGithub clients). Paths and times are normalised; everything
else is compared exactly."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.faults import aws_fault
from tests.support.world import World

TARGETS = ("--repo", "octo-org/app", "--env", "production", "--org", "octo-org")
ARN = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ci_f4df9640c8b6d98a/sandbox-user"


def normalise(text: str, world: World, tmp: Path) -> str:
    text = text.replace(str(world.home), "~").replace(str(tmp), "<tmp>")
    text = re.sub(r"\d{8}T\d{6}Z", "<time>", text)  # as SigV4 writes times
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)


def doctor(run, world: World, tmp: Path, *argv: str) -> tuple[int, str]:
    result = run("doctor", *argv)
    # At most the line naming the config file in use, and the error line.
    assert result.stderr.count("\n") <= 2, result.stderr
    return result.exit_code, normalise(result.stdout, world, tmp)


HEALTHY_AWS = f"""\
✔ AWS profile: ~/.aws/config parses; profile ci is complete (sso-session corp, 111122223333/ci)
✔ sign-in: valid 59 min; refreshable without a browser (expires <time>)
✔ client registration: valid 89 days (until <time>)
✔ role credentials: 111122223333/ci: valid 59 min (fetched now); STS: {ARN}
"""
HEALTHY_GITHUB = """\
✔ GitHub auth: GH_TOKEN: accepted, a classic token with scopes repo, admin:org, workflow of octocat
✔ octo-org/app env production: exists, public key readable; the token has the repo scope
✔ org octo-org: exists, public key readable; the token has the admin:org scope
✔ clock: within 5 minutes of AWS's and GitHub's
"""
TAIL = """\
- config file: none found
- schedule: not checked (no schedule support here)
"""


def test_healthy_json(world: World, run) -> None:
    world.seed_token()
    result = run("doctor", *TARGETS, "-p", "ci", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [c["status"] for c in report["checks"]] == ["ok"] * 8 + ["not applicable"] * 2
    assert set(report["checks"][0]) == {"name", "status", "detail", "fix"}


Prepare = Callable[[World, pytest.MonkeyPatch, Path], None]
GOLDEN = Path(__file__).parent / "golden" / "doctor"


def signed_in(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()


def not_signed_in(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    pass


def registration_expired(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    path = world.token_file()
    entry = json.loads(path.read_text())
    # Relative to now, so the golden's day count holds on any date (half a day of margin).
    expired = datetime.now(timezone.utc) - timedelta(days=40, hours=12)
    entry["registrationExpiresAt"] = expired.strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(json.dumps(entry))


def role_refused(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    aws_fault(
        world.sandbox,
        "sso",
        "GET",
        r"^/federation/credentials$",
        403,
        "ForbiddenException",
        "No access",
    )


def bad_token(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    mp.setenv("GH_TOKEN", "ghp_not_the_sandbox_token_000000000000000")


def no_token(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    mp.delenv("GH_TOKEN")
    mp.setenv("PATH", str(tmp))  # and no `gh` either


def aws_config_file_missing(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    mp.setenv("AWS_CONFIG_FILE", str(tmp / "elsewhere" / "config"))


def narrow_classic_token(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    world.sandbox.config.github_token_scopes = "repo"


def fine_grained_token(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    world.seed_token()
    world.sandbox.config.github_token_scopes = None


def config_file(mode: int, text: str, *, confirmed: bool = True) -> Prepare:
    def prepare(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
        import os

        from sso_sync.config_trust import remember

        world.seed_token()
        config = tmp / "sso-sync.toml"
        config.write_text(text)
        config.chmod(mode)
        if confirmed:
            remember(config, os.environ)  # as a push at a terminal would, once
        mp.chdir(tmp)

    return prepare


GOOD_CONFIG = '[sets.ci]\nprofile = "ci"\ntargets = [{ repo = "octo-org/svc-*" }]\n'


def app(permissions: dict[str, str] | None) -> Prepare:
    def prepare(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
        world.seed_token()
        world.sandbox.config.app_permissions = permissions
        world.use_github_app(mp, tmp)

    return prepare


def clock_ahead(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    # The sandbox's clock 20 minutes behind this machine's: ours is 20 minutes ahead.
    world.sandbox.config.clock_offset = -20 * 60
    world.seed_token()  # valid an hour by the sandbox's clock


def changed_elsewhere(world: World, mp: pytest.MonkeyPatch, tmp: Path) -> None:
    """This machine pushed; then another writer set one secret (as `gh secret set` would)."""
    from typer.testing import CliRunner

    from sso_sync.cli.app import app
    from tests.support.elsewhere import hand_edit

    world.seed_token()
    pushed = CliRunner().invoke(app, ["push", "--repo", "octo-org/app", "-p", "ci"])
    assert pushed.exit_code == 0, pushed.stderr
    hand_edit(world, "/repos/octo-org/app/actions/secrets", "AWS_SESSION_TOKEN", "by-hand")


P = ("-p", "ci")
# case: (prepare, argv, exit code); the output is in golden/doctor/CASE.txt.
CASES: dict[str, tuple[Prepare, tuple[str, ...], int]] = {
    "healthy": (signed_in, (*TARGETS, *P), 0),
    "healthy, no targets": (signed_in, P, 0),
    "healthy, config set with a pattern": (config_file(0o644, GOOD_CONFIG), (), 0),
    "healthy, GitHub App": (app(None), (*TARGETS, *P), 0),
    "fine-grained token, not checkable": (fine_grained_token, (*TARGETS, *P), 0),
    "incomplete profile": (signed_in, ("--repo", "octo-org/app", "-p", "static"), 1),
    "unknown profile": (signed_in, ("--repo", "octo-org/app", "-p", "nope"), 1),
    "AWS_CONFIG_FILE names a missing file": (
        aws_config_file_missing,
        ("-R", "octo-org/app", *P),
        1,
    ),
    "not signed in": (not_signed_in, (*TARGETS, *P), 1),
    "registration expired": (registration_expired, (*TARGETS, *P), 1),
    "role refused": (role_refused, (*TARGETS, *P), 1),
    "bad token": (bad_token, (*TARGETS, *P), 1),
    "no token": (no_token, (*TARGETS, *P), 1),
    "classic token without admin:org": (narrow_classic_token, (*TARGETS, *P), 1),
    "missing repository": (signed_in, ("--repo", "octo-org/nope", *P), 1),
    "missing environment": (signed_in, ("--repo", "octo-org/app", "--env", "qa", *P), 1),
    "pattern matches nothing": (signed_in, ("--repo", "octo-org/zz-*", *P), 1),
    "GitHub App lacks a permission": (
        app({"metadata": "read", "secrets": "write", "organization_secrets": "read"}),
        (*TARGETS, *P),
        1,
    ),
    "GitHub App not installed": (app(None), ("--repo", "other-org/tool", *P), 1),
    "notification issue, classic token": (
        signed_in,
        ("--repo", "octo-org/app", *P, "--notify-issue", "octo-org/app"),
        0,
    ),
    "notification issue, GitHub App without issues": (
        app(None),
        ("--repo", "octo-org/app", *P, "--notify-issue", "octo-org/app"),
        1,
    ),
    "notification issue, missing repository": (
        signed_in,
        ("--repo", "octo-org/app", *P, "--notify-issue", "octo-org/nope"),
        1,
    ),
    "config writable by others": (config_file(0o666, GOOD_CONFIG), (), 1),
    "config not confirmed": (config_file(0o644, GOOD_CONFIG, confirmed=False), (), 1),
    "clock 20 minutes ahead": (clock_ahead, (*TARGETS, *P), 1),
    "config invalid": (config_file(0o644, '[sets.ci]\ntargets = [{ org = "-x-" }]\n'), (), 1),
    "secret changed elsewhere": (changed_elsewhere, ("--repo", "octo-org/app", *P), 1),
}


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        device_interval=0,
        repos={
            "octo-org/app": ["production"],
            "octo-org/svc-a": [],
            "other-org/tool": [],
        },
        orgs=["octo-org", "other-org"],
    )


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_doctor_output(
    case: str, world: World, run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    prepare, argv, expected_exit = CASES[case]
    prepare(world, monkeypatch, tmp_path)
    code, out = doctor(run, world, tmp_path, *argv)
    golden = GOLDEN / (re.sub(r"[^a-z0-9]+", "-", case.lower()).strip("-") + ".txt")
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out)
    assert out == golden.read_text()
    assert code == expected_exit


def test_doctor_writes_nothing_on_github(world: World, run) -> None:
    world.seed_token()
    assert run("doctor", *TARGETS, "-p", "ci").exit_code == 0
    methods = {r.method for r in world.sandbox.requests if r.service == "github"}
    assert methods == {"GET"}
    assert world.sandbox.secrets("orgs/octo-org/actions") == {}


@pytest.mark.parametrize("ok", [True, False])
def test_the_schedule_check_reads_the_jobs_last_run(world: World, run, ok: bool) -> None:
    """`schedule install` names a job after its targets; the scheduled push records each run's
    end under that name. A failed last run fails doctor, with the sign-in it needs."""
    import os

    from sso_sync.github.targets import Target
    from sso_sync.keepfresh.schedule.job import job_name
    from sso_sync.keepfresh.state import StateStore, target_key
    from sso_sync.state_dir import state_dir

    world.seed_token()
    args = ("--repo", "octo-org/app", "-p", "ci")
    name = job_name(None, [target_key(Target("repo", "octo-org", "app"), "")])
    entry = {"ok": ok, "at": "2026-11-30T03:00:00Z", "error": None if ok else "the sign-in ended"}
    entry["sign_in"] = None if ok else "sso-sync login --profile ci"
    StateStore(state_dir(os.environ)).record_job(name, entry)
    result = run("doctor", *args)
    line = next(x for x in result.stdout.splitlines() if "schedule:" in x)
    if ok:
        assert result.exit_code == 0, result.stdout
        assert line == f"✔ schedule: job {name}: last run 2026-11-30T03:00:00Z succeeded"
    else:
        assert result.exit_code == 1
        assert line == (
            f"✘ schedule: job {name}: last run 2026-11-30T03:00:00Z failed: the sign-in ended "
            "(fix: run `sso-sync login --profile ci`)"
        )


@pytest.mark.parametrize("mode", [0o620, 0o664, 0o660, 0o602])
def test_doctor_fails_a_config_file_its_group_or_others_may_write(
    mode: int, world: World, run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Not only 0666: a group that may write the file may point pushes elsewhere too."""
    config_file(mode, GOOD_CONFIG)(world, monkeypatch, tmp_path)
    result = run("doctor")
    assert result.exit_code == 1, result.stdout
    config = tmp_path / "sso-sync.toml"
    line = next(x for x in result.stdout.splitlines() if "config file:" in x)
    if mode & 0o002:
        assert line == f"✘ config file: {config}: refusing a config file others can write: " + (
            f"chmod o-w {config}"
        )
    else:
        assert line == (
            f"✘ config file: {config}: a config file its group can write (mode {mode:04o}): "
            f"chmod g-w {config}"
        )
