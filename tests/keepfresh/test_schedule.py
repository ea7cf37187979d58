"""`sso-sync schedule`: golden dry runs per backend, install/status/remove against a temporary
HOME with a fake `crontab` and `systemctl` on PATH, and the scheduled push run as cron would."""

from __future__ import annotations

import json
import os
import plistlib
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.schedule import FAKE_LAUNCHCTL, cli, install_fakes, write_sso_profile
from tests.support.world import World, assert_no_leak, issued_as_secrets

GOLDEN = Path(__file__).parent / "golden"
REPO = "octo-org/app"


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = install_fakes(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


@pytest.fixture(autouse=True)
def sso_profile(isolated_env: Path) -> None:
    """The profile `ci` the jobs here name (install refuses a profile the config lacks); the
    sandbox's own config when a test has one."""
    write_sso_profile(Path(os.environ["AWS_CONFIG_FILE"]))


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "gh-token"
    path.write_text("ghp_not_a_real_token_for_dry_runs_000000\n")
    path.chmod(0o600)
    return path


def normalized(text: str, home: Path, token: Path) -> str:
    exe = Path(sys.executable).with_name("sso-sync").resolve()
    return (
        text.replace(str(exe.parent), "/opt/sso-sync/bin")
        .replace(str(token), "/secure/gh-token")
        .replace(str(token.with_name("app.pem")), "/secure/app.pem")
        .replace(str(home), "/home/user")
    )


def write_app_key(path: Path, mode: int = 0o600) -> Path:
    """A fresh RSA private key, as a GitHub App's settings page gives it (PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(mode)
    return path


@pytest.mark.parametrize("credential", ["token", "app"])
@pytest.mark.parametrize("backend", ["systemd", "cron", "launchd"])
def test_dry_run_prints_exactly_what_install_writes(
    backend: str,
    credential: str,
    isolated_env: Path,
    token_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GH_CONFIG_DIR")  # passed on to the job when set; not part of the golden
    if credential == "token":
        given = ["--github-token-file", str(token_file)]
        golden = GOLDEN / f"schedule-{backend}.txt"
    else:
        key = write_app_key(token_file.with_name("app.pem"))
        given = ["--github-app-id", "31337", "--github-app-key", str(key)]
        given += ["--github-app-installation-id", "501"]
        golden = GOLDEN / f"schedule-{backend}-app.txt"
    result = cli(
        "schedule", "install", "--repo", REPO, "-p", "ci", "--every", "30m",
        "--backend", backend, *given, "--dry-run",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(normalized(result.stdout, isolated_env, token_file))
    assert normalized(result.stdout, isolated_env, token_file) == golden.read_text()
    assert not (isolated_env / ".config" / "systemd").exists()
    assert not (isolated_env / "Library").exists()


def test_cron_install_status_remove_keep_every_other_line(
    world: World, fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = world.home
    world.seed_token()
    token = tmp_path / "gh-token"
    token.write_text(world.sandbox.github_token + "\n")
    token.chmod(0o600)
    monkeypatch.delenv("GH_TOKEN")  # the job must not rely on it
    monkeypatch.setenv("FAKE_SYSTEMCTL_RC", "1")  # no user bus: auto picks the crontab
    original = (
        b"# mine\nMAILTO=me@example.com\n0 3 * * * /usr/bin/backup --all  \n\xe2\x9c\x93 odd\n"
    )
    (home / ".fake-crontab").write_bytes(original)
    install = ("schedule", "install", "--repo", REPO, "-p", "ci", "--github-token-file", str(token))
    first = cli(*install)
    assert first.exit_code == 0, first.stderr
    installed = (home / ".fake-crontab").read_bytes()
    assert installed.startswith(original)
    assert cli(*install).exit_code == 0
    assert (home / ".fake-crontab").read_bytes() == installed  # idempotent
    block = installed[len(original) :].decode()
    assert block.count("# BEGIN sso-sync-") == 1 and block.count("# END sso-sync-") == 1
    assert world.sandbox.github_token not in block

    status = cli("schedule", "status", "--repo", REPO, "-p", "ci", "--json")
    assert status.exit_code == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["backend"] == "cron" and report["installed"] and report["last_run"] is None
    assert report["schedule"] == "*/15 * * * *"

    # Run the job's line as cron would: /bin/sh, from HOME, with no GitHub token in the env.
    line = next(ln for ln in block.splitlines() if not ln.startswith("#"))
    command = line.split(" ", 5)[5]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "GITHUB_TOKEN"))}
    ran = subprocess.run(["/bin/sh", "-c", command], cwd=home, env=env, timeout=60, check=False)
    assert ran.returncode == 0
    assert world.sandbox.secrets(f"repos/{REPO}/actions")  # pushed
    status = cli("schedule", "status", "--repo", REPO, "-p", "ci")
    assert status.exit_code == 0, status.stderr
    assert "last run: " in status.stdout and ": ok" in status.stdout

    # Right away again: everything is fresh, nothing is sent.
    world.sandbox.clear_requests()
    subprocess.run(["/bin/sh", "-c", command], cwd=home, env=env, timeout=60, check=True)
    assert world.sandbox.requests == []
    log = next((world.home / ".local" / "state" / "sso-sync" / "logs").glob("*.log"))
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "fresh (" in log.read_text()

    # The session ends: the next run fails, and status says what to run (exit 1).
    (world.home / ".local/state/sso-sync/targets.json").unlink()  # forget: the push is due
    world.sandbox.end_sessions()
    subprocess.run(["/bin/sh", "-c", command], cwd=home, env=env, timeout=60, check=False)
    status = cli("schedule", "status", "--repo", REPO, "-p", "ci")
    assert status.exit_code == 1
    assert "sign-in needed: run `sso-sync login --profile ci`" in status.stdout
    texts = [log.read_text(), (home / ".fake-crontab").read_text(), status.stdout]
    assert_no_leak("\n".join(texts), world.secret_values())

    removed = cli("schedule", "remove", "--repo", REPO, "-p", "ci")
    assert removed.exit_code == 0, removed.stderr
    assert (home / ".fake-crontab").read_bytes() == original


def test_systemd_install_writes_units_that_verify_and_remove_deletes_them(
    isolated_env: Path, fake_bin: Path, token_file: Path
) -> None:
    args = ("--repo", REPO, "-p", "ci", "--github-token-file", str(token_file))
    result = cli("schedule", "install", *args)  # auto: systemctl --user answers
    assert result.exit_code == 0, result.stderr
    assert "loginctl enable-linger" in result.stderr
    units = sorted((isolated_env / ".config" / "systemd" / "user").iterdir())
    assert [u.suffix for u in units] == [".service", ".timer"]
    name = units[0].stem
    calls = (isolated_env / ".systemctl-calls").read_text().splitlines()
    assert calls[-2:] == ["--user daemon-reload", f"--user enable --now {name}.timer"]
    if shutil.which("systemd-analyze"):
        verify = subprocess.run(
            ["systemd-analyze", "verify", *map(str, units)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert verify.returncode == 0, verify.stderr
    assert cli("schedule", "remove", *args).exit_code == 0
    assert list((isolated_env / ".config" / "systemd" / "user").iterdir()) == []
    assert f"--user disable --now {name}.timer" in (isolated_env / ".systemctl-calls").read_text()


def test_auto_falls_back_to_cron_when_systemctl_has_no_user_bus(
    isolated_env: Path, fake_bin: Path, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SYSTEMCTL_RC", "1")
    result = cli("schedule", "install", "--repo", REPO, "-p", "ci", "--github-token-file",
                 str(token_file))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "(cron," in result.stdout
    assert "# BEGIN sso-sync-" in (isolated_env / ".fake-crontab").read_text()


def test_install_refuses_without_a_credential_the_job_can_find(
    isolated_env: Path, fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", "ghp_in_the_environment_only_0000000000")
    monkeypatch.setenv("PATH", str(fake_bin))  # no gh either
    result = cli("schedule", "install", "--repo", REPO, "-p", "ci", "--backend", "cron")
    assert result.exit_code == 2
    assert "--github-token-file FILE" in result.stderr and "gh auth login" in result.stderr
    loose = tmp_path / "loose-token"
    loose.write_text("ghp_x\n")
    loose.chmod(0o644)
    result = cli("schedule", "install", "--repo", REPO, "-p", "ci", "--backend", "cron",
                 "--github-token-file", str(loose))  # fmt: skip
    assert result.exit_code == 2 and f"chmod 600 {loose}" in result.stderr
    assert not (isolated_env / ".fake-crontab").exists()


@pytest.mark.parametrize("every", ["7m", "90m", "5h", "45s"])
def test_every_must_be_cron_expressible(every: str, isolated_env: Path, token_file: Path) -> None:
    result = cli("schedule", "install", "--repo", REPO, "-p", "ci", "--every", every,
                 "--github-token-file", str(token_file), "--dry-run")  # fmt: skip
    assert result.exit_code == 2
    assert f"--every {every}: give whole minutes" in result.stderr


def test_the_job_line_quotes_for_sh_and_escapes_percent() -> None:
    from datetime import timedelta

    from sso_sync.keepfresh.schedule.cron import block
    from sso_sync.keepfresh.schedule.job import Job

    job = Job("sso-sync-x", timedelta(minutes=5), ("/a b/sso-sync", "push", "50%"), (), Path("/l"))
    line = block(job).splitlines()[1]
    assert line.startswith("*/5 * * * * ")
    assert shlex.split(line[len("*/5 * * * * ") :].replace("\\%", "%")) == list(job.argv)
    assert "50\\%" in line


# --- a GitHub App as the job's credential ---------------------------------------------------


def test_cron_job_as_a_github_app_from_the_environment(
    world: World, fake_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSO_SYNC_GITHUB_APP_* are not passed to a job: install writes the App id and the key's
    absolute path into its command, and the job pushes with installation tokens."""
    home = world.home
    world.seed_token()
    monkeypatch.chdir(tmp_path)
    world.use_github_app(monkeypatch, tmp_path)  # no GH_TOKEN, no gh: the App alone
    monkeypatch.setenv("SSO_SYNC_GITHUB_APP_KEY_FILE", "app.pem")  # relative: made absolute
    monkeypatch.setenv("FAKE_SYSTEMCTL_RC", "1")
    install = ("schedule", "install", "--repo", REPO, "-p", "ci")
    result = cli(*install)
    assert result.exit_code == 0, result.stderr
    assert cli(*install).exit_code == 0  # idempotent
    block = (home / ".fake-crontab").read_text()
    assert block.count("# BEGIN sso-sync-") == 1
    line = next(ln for ln in block.splitlines() if not ln.startswith("#"))
    assert f"--github-app-id {world.sandbox.config.app_id} " in line
    assert f"--github-app-key {tmp_path / 'app.pem'}" in line
    status = cli("schedule", "status", "--repo", REPO, "-p", "ci", "--json")
    assert status.exit_code == 0 and json.loads(status.stdout)["installed"]

    # As cron runs it: /bin/sh, from HOME, with neither a token nor the App's variables.
    command = line.split(" ", 5)[5]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "SSO_SYNC_"))}
    ran = subprocess.run(["/bin/sh", "-c", command], cwd=home, env=env, timeout=60, check=False)
    assert ran.returncode == 0
    pushed = world.sandbox.secrets(f"repos/{REPO}/actions")
    assert {n: s.value for n, s in pushed.items()} == issued_as_secrets(world)
    assert [p for _, p in world.sandbox.minted_installation_tokens] == [
        {"metadata": "read", "secrets": "write"}
    ]
    status = cli("schedule", "status", "--repo", REPO, "-p", "ci")
    assert status.exit_code == 0 and ": ok" in status.stdout, status.stdout
    log = next((home / ".local" / "state" / "sso-sync" / "logs").glob("*.log")).read_text()
    assert_no_leak(block + log + status.stdout, world.secret_values())
    assert "PRIVATE KEY" not in block + log

    assert cli("schedule", "remove", "--repo", REPO, "-p", "ci").exit_code == 0
    assert (home / ".fake-crontab").read_text() == ""


def test_a_sets_app_is_read_by_the_job_from_the_config_file(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no gh: the App is the only credential
    write_app_key(tmp_path / "app.pem")
    (tmp_path / "sso-sync.toml").write_text(
        '[sets.ci]\nprofile = "ci"\ngithub-app-id = 31337\ngithub-app-key = "app.pem"\n'
        f'targets = [{{ repo = "{REPO}" }}]\n'
    )
    monkeypatch.chdir(tmp_path)
    argv = ("schedule", "install", "ci", "--config", "sso-sync.toml", "--backend", "cron")
    result = cli(*argv, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert f"--config {tmp_path / 'sso-sync.toml'}" in result.stdout
    assert "--github-app" not in result.stdout  # the job reads the set, as its targets


@pytest.mark.parametrize("problem", ["mode-0644", "missing"])
def test_install_refuses_an_app_key_it_cannot_use(
    problem: str, isolated_env: Path, fake_bin: Path, tmp_path: Path
) -> None:
    key = tmp_path / "app.pem"
    if problem == "mode-0644":
        write_app_key(key, 0o644)
    app = ("--github-app-id", "31337", "--github-app-key", str(key))
    result = cli("schedule", "install", "--repo", REPO, "-p", "ci", "--backend", "cron", *app)
    assert result.exit_code == 2
    expected = f"run chmod 600 {key}" if problem == "mode-0644" else "cannot read it"
    assert expected in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (isolated_env / ".fake-crontab").exists()


ALLOWED_EVERY = [f"{m}m" for m in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)] + [
    f"{h}h" for h in (1, 2, 3, 4, 6, 8, 12, 24)
]


def cron_field(text: str, size: int) -> set[int]:
    """The values of one cron field of the forms the job uses (`*`, `*/N`, `N`), checked as cron
    reads them: a step must be shorter than the field's range."""
    if text == "*":
        return set(range(size))
    if text.startswith("*/"):
        step = int(text[2:])
        assert 1 < step < size, text
        return set(range(0, size, step))
    assert text.isdigit() and int(text) < size, text
    return {int(text)}


@pytest.mark.parametrize("every", ALLOWED_EVERY)
def test_every_allowed_every_gives_a_valid_cron_line_and_systemd_timer(
    every: str, tmp_path: Path
) -> None:
    from datetime import datetime
    from itertools import pairwise

    from sso_sync.durations import parse_duration
    from sso_sync.keepfresh.schedule.cron import schedule_of
    from sso_sync.keepfresh.schedule.job import Job, check_every
    from sso_sync.keepfresh.schedule.launchd import plist as launchd_plist
    from sso_sync.keepfresh.schedule.systemd import on_calendar, service_unit, timer_unit

    span = check_every(parse_duration(every, "--every"), every)
    exe = str(Path(sys.executable).with_name("sso-sync"))
    job = Job("sso-sync-x", span, (exe, "push"), (("CI", "1"),), tmp_path / "log")
    # cron: the runs of a day are exactly `every` apart, starting at midnight.
    minute, hour, *rest = schedule_of(job).split()
    assert rest == ["*", "*", "*"]
    runs = sorted(h * 60 + m for h in cron_field(hour, 24) for m in cron_field(minute, 60))
    assert runs == list(range(0, 24 * 60, int(span.total_seconds()) // 60))
    # launchd: a valid plist whose calendar fires at the same minutes (StartInterval would
    # skip the firings missed in sleep; a calendar interval runs once on wake).
    agent = plistlib.loads(launchd_plist(job).encode("utf-8"))
    assert "StartInterval" not in agent
    fired = sorted(d.get("Hour", 0) * 60 + d["Minute"] for d in agent["StartCalendarInterval"])
    hourly = all("Hour" not in d for d in agent["StartCalendarInterval"])
    assert [t + 60 * h for h in (range(24) if hourly else [0]) for t in fired] == runs
    if not shutil.which("systemd-analyze"):
        return
    # systemd: the units verify, and the calendar fires `every` apart.
    (tmp_path / "sso-sync-x.service").write_text(service_unit(job))
    (tmp_path / "sso-sync-x.timer").write_text(timer_unit(job))
    units = [str(tmp_path / "sso-sync-x.service"), str(tmp_path / "sso-sync-x.timer")]
    verify = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, check=False
    )
    assert verify.returncode == 0, verify.stderr
    calendar = subprocess.run(
        ["systemd-analyze", "calendar", "--iterations=3", on_calendar(job)],
        capture_output=True, text=True, check=False, env={**os.environ, "TZ": "UTC"},
    )  # fmt: skip
    assert calendar.returncode == 0, calendar.stderr
    times = [
        datetime.strptime(" ".join(line.split()[-3:-1]), "%Y-%m-%d %H:%M:%S")
        for line in calendar.stdout.splitlines()
        if "elapse:" in line or "Iter." in line
    ]
    assert len(times) == 3, calendar.stdout
    assert {b - a for a, b in pairwise(times)} == {span}


def test_launchd_install_status_remove_with_launchctl(
    isolated_env: Path, fake_bin: Path, token_file: Path
) -> None:
    (fake_bin / "launchctl").write_text(FAKE_LAUNCHCTL)
    (fake_bin / "launchctl").chmod(0o755)
    args = ("--repo", REPO, "-p", "ci", "--github-token-file", str(token_file), "--every", "15m")
    result = cli("schedule", "install", *args, "--backend", "launchd")
    assert result.exit_code == 0, result.stderr
    [agent] = (isolated_env / "Library" / "LaunchAgents").iterdir()
    assert agent.name.startswith("io.github.sso-sync.sso-sync-") and agent.suffix == ".plist"
    assert stat.S_IMODE(agent.stat().st_mode) == 0o600
    data = plistlib.loads(agent.read_bytes())
    assert data["Label"] == agent.stem
    assert data["StartCalendarInterval"] == [{"Minute": m} for m in (0, 15, 30, 45)]
    assert data["ProgramArguments"][1:4] == ["push", "--min-remaining", "45m"]
    uid = os.getuid()
    calls = (isolated_env / ".launchctl-calls").read_text().splitlines()
    assert calls == [f"bootout gui/{uid}/{agent.stem}", f"bootstrap gui/{uid} {agent}"]

    status = cli("schedule", "status", *args, "--backend", "launchd", "--json")
    assert status.exit_code == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["backend"] == "launchd" and report["installed"]
    assert report["schedule"].startswith("every "), report
    assert report["schedule"].endswith(" (StartCalendarInterval)"), report

    assert cli("schedule", "remove", *args, "--backend", "launchd").exit_code == 0
    assert list((isolated_env / "Library" / "LaunchAgents").iterdir()) == []
    calls = (isolated_env / ".launchctl-calls").read_text().splitlines()
    assert calls[-1] == f"bootout gui/{uid}/{agent.stem}"
    # A bootstrap launchctl refuses is an error, and says so.
    (fake_bin / "launchctl").write_text('#!/bin/sh\necho "Bootstrap failed: 5" >&2\nexit 5\n')
    failed = cli("schedule", "install", *args, "--backend", "launchd")
    assert failed.exit_code == 1, failed.stderr
    assert "launchctl bootstrap` failed: Bootstrap failed: 5" in failed.stderr
