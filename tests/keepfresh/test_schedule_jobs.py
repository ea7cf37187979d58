"""`schedule list` (jobs by name, without their targets), a removed job's last run forgotten by
`status` and `doctor`, and `--every` longer than the credentials last (issue #23)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sso_sync.keepfresh.state import StateStore
from sso_sync.state_dir import state_dir
from tests.support.schedule import cli
from tests.support.world import World

REPO = "octo-org/app"


@pytest.mark.parametrize("backend", ["cron", "systemd", "launchd"])
def test_list_shows_every_job_with_what_it_runs_and_its_last_run(
    backend: str, schedulers: Path, job_token_file: Path, tmp_path: Path
) -> None:
    (tmp_path / "sso-sync.toml").write_text(
        f'[sets.ci]\nprofile = "ci"\ntargets = [{{ repo = "{REPO}" }}]\n'
    )
    given = ("--backend", backend, "--github-token-file", str(job_token_file))
    assert cli("schedule", "install", "--repo", "octo-org/one", "-p", "ci", *given).exit_code == 0
    conf = ("--config", str(tmp_path / "sso-sync.toml"))
    assert cli("schedule", "install", "ci", *conf, *given).exit_code == 0
    StateStore(state_dir(os.environ)).record_job(
        "sso-sync-ci", {"at": "2026-12-01T00:00:00Z", "ok": False, "error": "x"}
    )
    listed = cli("schedule", "list", "--backend", backend, "--json")
    assert listed.exit_code == 0, listed.stderr
    jobs = {j["job"]: j for j in json.loads(listed.stdout)["jobs"]}
    assert len(jobs) == 2
    assert jobs["sso-sync-ci"]["command"].startswith("push --min-remaining 45m ci --config ")
    assert jobs["sso-sync-ci"]["last_run"]["ok"] is False
    [other] = [j for n, j in jobs.items() if n != "sso-sync-ci"]
    assert "--repo octo-org/one --profile ci" in other["command"] and other["last_run"] is None
    text = cli("schedule", "list", "--backend", backend)
    assert "sso-sync-ci (" + backend + "): last run 2026-12-01T00:00:00Z: FAILED" in text.stdout
    assert "  runs: sso-sync push --min-remaining 45m ci --config" in text.stdout


def test_list_with_nothing_installed_says_so(schedulers: Path, isolated_env: Path) -> None:
    result = cli("schedule", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "no sso-sync job installed (systemd, cron)\n"


def test_a_removed_job_no_longer_fails_status_or_doctor(
    world: World, run, schedulers: Path
) -> None:
    world.seed_token()
    token = world.home / "gh-token"
    token.write_text(world.sandbox.github_token + "\n")
    token.chmod(0o600)
    args = ("--repo", REPO, "-p", "ci", "--backend", "cron")
    assert run("schedule", "install", *args, "--github-token-file", str(token)).exit_code == 0
    [job] = json.loads(run("schedule", "list", "--json").stdout)["jobs"]
    failed = {"at": "2026-12-01T00:00:00Z", "ok": False, "error": "the sign-in ended"}
    StateStore(state_dir(os.environ)).record_job(job["job"], failed)
    assert run("schedule", "status", *args).exit_code == 1
    assert run("doctor", "--repo", REPO, "-p", "ci").exit_code == 1
    assert run("schedule", "remove", *args).exit_code == 0
    status = run("schedule", "status", *args)
    assert status.exit_code == 0, status.stdout
    assert "last run: none recorded yet" in status.stdout
    doctor = run("doctor", "--repo", REPO, "-p", "ci")
    assert doctor.exit_code == 0, doctor.stdout
    assert "schedule: no run of job" in doctor.stdout


def test_every_longer_than_the_credentials_last_is_warned(
    world: World, run, schedulers: Path
) -> None:
    """Warned, not refused (see lifetime_warning): each run pushes credentials that last their
    lifetime, and with --every longer GitHub's copy is expired until the next run."""
    world.seed_token()
    token = world.home / "gh-token"
    token.write_text(world.sandbox.github_token + "\n")
    token.chmod(0o600)
    args = ("--repo", REPO, "-p", "ci", "--backend", "cron", "--github-token-file", str(token))
    unknown = run("schedule", "install", *args, "--every", "1h", "--dry-run")
    assert unknown.exit_code == 0, unknown.stderr
    assert "IAM Identity Center's default session lasts 1h" in unknown.stderr
    assert "use --every 30m or less" in unknown.stderr
    assert "warning" not in run("schedule", "install", *args, "--dry-run").stderr  # 15m
    assert run("push", "--repo", REPO, "-p", "ci").exit_code == 0  # the sandbox's: 1 h
    known = run("schedule", "install", *args, "--every", "2h")
    assert known.exit_code == 0
    assert "the last push's credentials lasted 1h" in known.stderr
    assert "warning" not in run("schedule", "install", *args, "--every", "30m").stderr


def test_the_lifetime_warning_at_its_boundary() -> None:
    from datetime import timedelta

    from sso_sync.keepfresh.schedule.job import lifetime_warning

    hour = timedelta(hours=1)
    assert lifetime_warning(timedelta(minutes=45), [hour]) is None  # 45 + 15 min: just fits
    late = lifetime_warning(timedelta(minutes=45), [hour - timedelta(seconds=1)])
    assert late is not None and "lasted 1h)" in late and "use --every 30m or less" in late
    assert lifetime_warning(timedelta(minutes=30), []) is None
    shortest = lifetime_warning(timedelta(hours=6), [timedelta(hours=12), timedelta(hours=2)])
    assert shortest is not None and "lasted 2h)" in shortest and "--every 1h or less" in shortest
    edge = lifetime_warning(hour, [timedelta(minutes=45)])  # 30 min + 15 min fit exactly
    assert edge is not None and "use --every 30m or less" in edge
    tiny = lifetime_warning(timedelta(minutes=1), [timedelta(minutes=10)])
    assert tiny is not None and "use --every 1m or less" in tiny
