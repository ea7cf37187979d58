"""The servers' clock (server_clock.py): measured from every answer's `Date`, recorded in the
state file, and used for freshness and App JWTs; against a sandbox whose clock is set off
(`SandboxConfig.clock_offset`) rather than by faking this process's clock."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sso_sync.keepfresh.state import StateStore
from sso_sync.server_clock import Reading, ServerClock, describe_offset, skew_hint
from sso_sync.state_dir import state_dir
from tests.support.world import World

APP = "octo-org/app"


def store() -> StateStore:
    return StateStore(state_dir(os.environ))


def test_an_answers_date_gives_the_offset_and_a_change_is_noted_once() -> None:
    noted: list[tuple[str, Reading]] = []
    clock = ServerClock(local=lambda: 1_000_000.0, on_change=lambda s, r: noted.append((s, r)))
    # 1_000_000 is Mon, 12 Jan 1970 13:46:40 GMT; the server says 20 minutes earlier.
    clock.observe("aws", {"Date": "Mon, 12 Jan 1970 13:26:40 GMT"})
    clock.observe("aws", {"date": "Mon, 12 Jan 1970 13:26:41 GMT"})  # noise: not noted again
    assert clock.offset == pytest.approx(-1199.5, abs=1)
    assert [s for s, _ in noted] == ["aws"]
    assert clock.time() == pytest.approx(1_000_000 - 1199, abs=1)
    clock.observe("github", {"Date": "not a date"})
    assert "github" not in clock.readings
    assert describe_offset(-1199.5) == "20 min ahead of"
    assert describe_offset(7200.4) == "2 h 0 min behind"


@pytest.mark.parametrize(
    "message",
    [
        "SignatureDoesNotMatch Signature expired: 20261207T101500Z is now earlier than ...",
        "RequestExpired Request has expired.",
        "InvalidSignatureException Signature expired: 20261207T101500Z is now earlier than ...",
        "'Issued at' claim ('iat') must be an Integer representing a time in the past",
        "'Expiration time' claim ('exp') is too far in the future",
    ],
)
def test_errors_that_come_from_the_clock_say_so(message: str) -> None:
    hint = skew_hint(message, -1200)
    assert hint is not None and hint.startswith("this machine's clock is off (20 min ahead of")
    assert "\n" not in hint and "network time" in hint


def test_other_errors_are_not_blamed_on_the_clock() -> None:
    assert skew_hint("SignatureDoesNotMatch The request signature we calculated does not") is None
    assert skew_hint("Bad credentials") is None


def test_a_state_file_without_offsets_reads_and_keeps_its_targets(tmp_path: Path) -> None:
    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"version": 2, "targets": {}, "jobs": {"j": {"at": "x", "ok": 1}}}))
    state = StateStore(tmp_path)
    assert state.read_clock() == {}
    state.record_clock("github", Reading(-1200.0, 1000.0))
    assert state.read_clock() == {"github": Reading(-1200.0, 1000.0)}
    assert state.read_job("j") == {"at": "x", "ok": 1}


def test_a_clock_two_hours_behind_still_pushes_before_the_credentials_expire(
    world: World, run
) -> None:
    world.sandbox.config.clock_offset = 2 * 3600  # the servers' clock: ours is 2 h behind
    world.seed_token()
    assert run("push", "--repo", APP, "-p", "ci").exit_code == 0
    offsets = store().read_clock()
    assert set(offsets) == {"aws", "github"}
    assert all(abs(r.offset - 7200) < 3 for r in offsets.values()), offsets
    # By this machine's clock the credentials have 2 h 59 min left; by the servers', 59 min.
    world.sandbox.clear_requests()
    fresh = run("push", "--repo", APP, "-p", "ci", "--min-remaining", "30m")
    assert f"{APP}: fresh (59 min left)" in fresh.stdout, fresh.stdout
    assert world.sandbox.requests == []  # still no request at all when fresh
    due = run("push", "--repo", APP, "-p", "ci", "--min-remaining", "90m")
    assert due.exit_code == 0, due.stderr
    assert len(world.sandbox.issued_credentials) == 2


def test_a_clock_two_hours_ahead_takes_credentials_alive_by_the_servers_clock(
    world: World, run
) -> None:
    """Role credentials issued for 1 h by servers 2 h behind us expired 1 h ago by this
    machine's clock, but not by the issuer's: they are judged by the servers' clock."""
    world.sandbox.config.clock_offset = -2 * 3600  # the servers' clock: ours is 2 h ahead
    world.seed_token()
    result = run("push", "--repo", APP, "-p", "ci")
    assert result.exit_code == 0, result.stderr
    stored = world.sandbox.secrets(f"repos/{APP}/actions")
    issued = world.sandbox.issued_credentials[-1]
    assert stored["AWS_ACCESS_KEY_ID"].value == issued["accessKeyId"]


def test_an_app_jwt_is_dated_by_githubs_clock(
    world: World, run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    world.sandbox.config.clock_offset = -20 * 60  # GitHub 20 minutes behind this machine
    world.seed_token()
    world.use_github_app(monkeypatch, tmp_path)
    result = run("push", "--repo", APP, "-p", "ci")
    assert result.exit_code == 0, result.stderr
    # Next time the recorded offset dates the first JWT right: GitHub refuses none.
    world.sandbox.clear_requests()
    assert run("push", "--repo", APP, "-p", "ci").exit_code == 0
    assert [r for r in world.sandbox.requests if r.status == 401] == []


def test_a_jwt_refused_for_its_dates_is_sent_again_by_githubs_clock(
    world: World, tmp_path: Path
) -> None:
    from sso_sync.clients import github_api
    from sso_sync.github.app_auth import AppSettings

    world.sandbox.config.clock_offset = -20 * 60
    key = world.app_key_file(tmp_path)
    clock = ServerClock()  # nothing measured yet: the first JWT goes by this machine's clock
    settings = AppSettings(str(world.sandbox.config.app_id), key)
    api = github_api(None, os.environ, 30, app=settings, server_clock=clock)
    try:
        assert api.authorizer is not None
        assert api.authorizer.installation_id("octo-org") == 501  # type: ignore[attr-defined]
    finally:
        api.close()
    assert [r.status for r in world.sandbox.requests] == [401, 200]
    assert clock.offset_of("github") == pytest.approx(-1200, abs=3)


def test_an_unusable_state_file_does_not_fail_a_command_that_only_measures_the_clock(
    world: World, run
) -> None:
    path = Path(os.environ["HOME"]) / ".local" / "state" / "sso-sync" / "targets.json"
    path.mkdir(parents=True)  # a directory where the file should be: unreadable, unwritable
    world.seed_token()
    result = run("status", "-p", "ci")  # it asks AWS, whose answers measure the clock
    assert result.exit_code == 0, result.stderr


def test_record_who_refused_for_the_clock_says_so(world: World, run) -> None:
    world.sandbox.config.clock_offset = -20 * 60  # STS refuses a signature 20 minutes ahead
    world.seed_token()
    result = run("push", "--repo", APP, "-p", "ci", "--record-variable", "AUDIT", "--record-who")
    assert result.exit_code != 0
    assert "STS GetCallerIdentity failed (SignatureDoesNotMatch): this machine's clock is off" in (
        result.stdout + result.stderr
    )


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (3725, "1 h 2 min behind"),
        (3600, "1 h 0 min behind"),
        (60, "1 min behind"),
        (59.4, "59 s behind"),
        (-45, "45 s ahead of"),
        (0.0, "0 s ahead of"),
    ],
)
def test_an_offset_in_words(offset: float, words: str) -> None:
    assert describe_offset(offset) == words


def test_github_is_dated_by_githubs_own_offset_when_the_two_differ() -> None:
    clock = ServerClock(
        local=lambda: 5000.0,
        readings={"github": Reading(-1200.0, 100.0), "aws": Reading(600.0, 200.0)},
    )
    assert clock.offset_of("github") == -1200.0
    assert clock.time("github") == 3800.0
    assert clock.offset == 600.0  # the latest, from whichever server
    assert clock.offset_of("elsewhere") == 600.0
    assert ServerClock(readings={"aws": Reading(1.5, 1.0)}).offset == 0.0  # noise
    assert ServerClock().offset == 0.0


def test_an_answer_without_a_date_measures_nothing() -> None:
    clock = ServerClock()
    clock.observe("github", {"Content-Type": "application/json"})
    assert clock.readings == {}
    assert skew_hint("RequestExpired", 0.5) == skew_hint("RequestExpired")  # no "(0 s ...)"


def test_role_credentials_are_judged_by_aws_clock_not_by_githubs_latest_answer(
    world: World,
) -> None:
    """GitHub's clock an hour ahead, and its answer the latest the clock has seen (a push asks
    GitHub while the credentials are on their way): AWS's expiry is still judged by AWS's clock,
    so credentials issued for an hour are taken, not refused as expired."""
    import time

    from sso_sync.aws.session import AwsSession
    from sso_sync.deadline import Deadline
    from sso_sync.terminal import Quiet

    world.seed_token()
    clock = ServerClock(readings={"github": Reading(3600.0, time.time() + 100)})
    aws = AwsSession(
        "ci", environ=dict(os.environ), terminal=Quiet(), deadline=Deadline(30), server_clock=clock
    )
    credentials = aws.role_credentials(allow_sign_in=False)
    assert credentials.access_key_id == world.sandbox.issued_credentials[-1]["accessKeyId"]
