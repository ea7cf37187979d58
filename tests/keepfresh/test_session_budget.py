"""The session budget in `status`, and `login --new-session` (sso:Logout first)."""

from __future__ import annotations

import json

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.world import World


def test_status_says_until_when_unattended_pushes_can_go_on(world: World, run) -> None:
    entry = world.seed_token()
    result = run("status", "--profile", "ci", "--json")
    assert result.exit_code == 0, result.stderr
    budget = json.loads(result.stdout)["session_budget"]
    assert budget["until"] == entry["registrationExpiresAt"]
    assert budget["limited_by"] == "the client registration"
    assert "no API reveals" in budget["note"]
    human = run("status", "--profile", "ci")
    assert f"unattended    at most until {entry['registrationExpiresAt']}" in human.stdout


def test_a_refresh_token_end_recorded_in_the_cache_limits_the_budget(world: World, run) -> None:
    from datetime import datetime, timedelta, timezone

    from sso_sync.files import utc_timestamp

    entry = world.seed_token()
    # Before the registration ends (the sandbox's, counted from now) on whatever date this runs:
    # a fixed date stops being the earliest end once the calendar passes it.
    ends = utc_timestamp(datetime.now(timezone.utc) + timedelta(days=1))
    entry["refreshTokenExpiresAt"] = ends
    world.token_file().write_text(json.dumps(entry))
    budget = json.loads(run("status", "--profile", "ci", "--json").stdout)["session_budget"]
    assert budget == {**budget, "until": ends, "limited_by": "the refresh token"}


def test_without_a_refresh_token_the_budget_is_the_access_token(world: World, run) -> None:
    entry = world.seed_token(refreshable=False)
    budget = json.loads(run("status", "--profile", "ci", "--json").stdout)["session_budget"]
    assert budget["until"] == entry["expiresAt"]
    assert budget["limited_by"].startswith("the access token")


def test_login_new_session_signs_out_first_then_signs_in(world: World, run) -> None:
    old = world.seed_token()["accessToken"]
    world.sandbox.clear_requests()
    result = run("login", "--profile", "ci", "--new-session", "--use-device-code", "--no-browser")
    assert result.exit_code == 0, result.stderr
    operations = [r.operation for r in world.sandbox.requests if r.service != "github"]
    assert operations[0] == "Logout"
    assert "CreateToken" in operations[1:]
    with world.sandbox._hub.lock:
        assert not world.sandbox._aws.state.access_tokens[old].valid
    new = json.loads(world.token_file().read_text())["accessToken"]
    assert new != old
    assert "Signed out of the previous session" in result.stderr


def test_the_warning_comes_under_24_hours_and_once_a_day() -> None:
    from datetime import datetime, timedelta, timezone

    from sso_sync.aws.budget import SessionBudget, budget_warning

    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    soon = SessionBudget("2026-12-01T02:00:00Z", "the client registration")
    later = SessionBudget("2026-12-02T12:00:00Z", "the client registration")
    line = budget_warning(soon, "ci", now, None)
    assert line is not None and "at most 14 h 0 min" in line
    assert "sso-sync login --new-session --profile ci" in line
    assert budget_warning(later, "ci", now, None) is None
    assert budget_warning(soon, "ci", now, now - timedelta(hours=23)) is None
    assert budget_warning(soon, "ci", now, now - timedelta(hours=25)) is not None


@pytest.mark.slow
def test_watch_warns_once_when_the_registration_ends_within_a_day(
    world: World, sandbox_config: SandboxConfig
) -> None:
    import signal
    from datetime import datetime, timedelta, timezone

    from tests.support.watch import Watch

    sandbox_config.role_lifetime = 60  # with --refresh-before 50s, a cycle every 5 to 10 s
    entry = world.seed_token()
    ends = datetime.now(timezone.utc) + timedelta(hours=5)
    entry["registrationExpiresAt"] = ends.strftime("%Y-%m-%dT%H:%M:%SZ")
    world.token_file().write_text(json.dumps(entry))
    with Watch("--repo", "octo-org/app", "-p", "ci", "--refresh-before", "50s") as watch:
        cycles = []
        while len(cycles) < 3:
            line = watch.next_line(timeout=30)
            if " cycle " in line:
                cycles.append(line)
        watch.proc.send_signal(signal.SIGTERM)
        code, _out, err = watch.finish()
    assert code == 0, err
    assert all("pushed 1" in c for c in cycles), cycles
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, err  # three cycles, one warning: once a day
    assert warnings[0].startswith(
        "warning: unattended pushes for profile 'ci' can go on for at most 4 h"
    )
    lines = err.splitlines()
    assert lines.index(warnings[0]) == 1  # under the first cycle's line


def test_a_scheduled_push_warns_once_a_day_and_notifies(
    world: World, run, tmp_path, monkeypatch
) -> None:
    from datetime import datetime, timedelta, timezone

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    notify_send = bin_dir / "notify-send"
    notify_send.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/notified\n')
    notify_send.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("SSO_SYNC_JOB", "sso-sync-test")
    entry = world.seed_token()
    ends = datetime.now(timezone.utc) + timedelta(hours=3)
    entry["registrationExpiresAt"] = ends.strftime("%Y-%m-%dT%H:%M:%SZ")
    world.token_file().write_text(json.dumps(entry))
    first = run("push", "--repo", "octo-org/app", "-p", "ci")
    assert first.exit_code == 0, first.stderr
    assert "warning: unattended pushes for profile 'ci' can go on for at most 2 h" in first.stderr
    assert "sso-sync: sign-in ends soon" in (tmp_path / "notified").read_text()
    second = run("push", "--repo", "octo-org/app", "-p", "ci")
    assert second.exit_code == 0, second.stderr
    assert "warning:" not in second.stderr  # once a day: the state file remembers


def test_watch_notifies_when_a_sign_in_is_needed(world: World, run, tmp_path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    notify_send = bin_dir / "notify-send"
    notify_send.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/notified\n')
    notify_send.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    world.seed_token(expires_in=-60)
    world.sandbox.revoke_refresh_tokens()
    result = run("watch", "--repo", "octo-org/app", "-p", "ci")
    assert result.exit_code == 3
    notified = (tmp_path / "notified").read_text()
    assert "sso-sync: sign-in needed" in notified and "sso-sync login --profile ci" in notified
    # Without any notifier, the same ending, and no error about it.
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert run("watch", "--repo", "octo-org/app", "-p", "ci").exit_code == 3


def test_the_readme_tells_of_the_once_a_day_warning() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    unattended = " ".join(readme.split("## Unattended", 1)[1].split("\n## ", 1)[0].split())
    assert (
        "When under 24 hours of that budget remain, `watch` and the scheduled push warn once a day"
        in unattended
    )
    assert "`warning:` line" in unattended and "desktop notification" in unattended
