"""Secrets changed elsewhere (src/sso_sync/keepfresh/elsewhere.py): the state file records when
GitHub stored each secret this machine wrote (the PUT answer's `Date`, GitHub's clock), and a
secret whose `updated_at` is over a minute later was written by someone else. The other writer
here is a PUT made straight to the sandbox, as `gh secret set` makes it, with GitHub's clock
moved two minutes on (tests/support/elsewhere.py)."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from sso_sync.cli.context import Context
from sso_sync.cli.streams import Streams
from sso_sync.github.targets import Target
from sso_sync.keepfresh.elsewhere import changed_since, due_for_check
from sso_sync.keepfresh.state import StateStore, target_key
from sso_sync.sandbox import SandboxConfig
from tests.support.elsewhere import OTHER_VALUE, Told, hand_edit
from tests.support.world import World

APP = Target("repo", "octo-org", "app")
WEB = Target("repo", "octo-org", "web")
APP_SECRETS = "/repos/octo-org/app/actions/secrets"


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0, repos={"octo-org/app": [], "octo-org/web": []})


def store() -> StateStore:
    from sso_sync.state_dir import state_dir

    return StateStore(state_dir(os.environ))


def listed(run, *targets: str) -> dict[str, dict[str, object]]:
    result = run("list", *targets, "--json", extra_secrets={OTHER_VALUE})
    assert result.exit_code == 0, result.stderr
    return {
        f"{t['target']}:{s['name']}": s
        for t in json.loads(result.stdout)["targets"]
        for s in t["secrets"]
    }


def test_the_state_file_records_when_github_stored_each_secret_by_its_date(
    world: World, run
) -> None:
    world.seed_token()
    world.sandbox.config.github_clock_offset = 3600.0  # GitHub's clock an hour ahead of ours
    assert run("push", "--repo", "octo-org/app", "-p", "ci").exit_code == 0
    record = store().read()[target_key(APP, "")]
    assert record.written is not None and len(record.written) == 4
    stored = world.sandbox.secrets("repos/octo-org/app/actions")
    for name, at in record.written.items():
        # By GitHub's clock, not this machine's: the same second as GitHub's `updated_at`.
        assert abs(_at(at) - _at(stored[name].updated_at)) <= timedelta(seconds=1)
        assert _at(at) - datetime.now(timezone.utc) > timedelta(minutes=55)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_list_flags_a_secret_changed_elsewhere_in_json_and_in_the_table(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--repo", "octo-org/app", "-p", "ci").exit_code == 0
    # octo-org/web has the secrets too, but never from this machine: no record, null.
    hand_edit(world, "/repos/octo-org/web/actions/secrets", "AWS_ACCESS_KEY_ID", OTHER_VALUE)
    targets = ("--repo", "octo-org/app", "--repo", "octo-org/web")
    before = listed(run, *targets)
    assert [s["changed_elsewhere"] for k, s in before.items() if k.startswith("octo-org/app")] == [
        False
    ] * 4
    assert before["octo-org/web:AWS_ACCESS_KEY_ID"]["changed_elsewhere"] is None

    hand_edit(world, APP_SECRETS, "AWS_SESSION_TOKEN", OTHER_VALUE)

    after = listed(run, *targets)
    flagged = {k for k, s in after.items() if s["changed_elsewhere"] is True}
    assert flagged == {"octo-org/app:AWS_SESSION_TOKEN"}
    assert after["octo-org/app:AWS_ACCESS_KEY_ID"]["changed_elsewhere"] is False
    table = run("list", *targets, extra_secrets={OTHER_VALUE}).stdout.splitlines()
    marked = [line for line in table if line.endswith("\tchanged-elsewhere")]
    assert len(marked) == 1 and marked[0].startswith("octo-org/app\tAWS_SESSION_TOKEN\t")
    assert len(table) == 5


def test_a_write_within_the_minute_is_not_a_change_and_an_old_state_file_reads_as_no_record(
    world: World, run
) -> None:
    world.seed_token()
    assert run("push", "--repo", "octo-org/app", "-p", "ci").exit_code == 0
    hand_edit(world, APP_SECRETS, "AWS_SESSION_TOKEN", OTHER_VALUE, later=50)
    assert {s["changed_elsewhere"] for s in listed(run, "--repo", "octo-org/app").values()} == {
        False
    }
    # A state file from before this record (no `written`): null, never a false alarm.
    path = store().path
    data = json.loads(path.read_text())
    for entry in data["targets"].values():
        entry.pop("written")
    path.write_text(json.dumps(data))
    hand_edit(world, APP_SECRETS, "AWS_SESSION_TOKEN", OTHER_VALUE)
    assert {s["changed_elsewhere"] for s in listed(run, "--repo", "octo-org/app").values()} == {
        None
    }
    assert run("doctor", "--repo", "octo-org/app", "-p", "ci").exit_code == 0


def test_the_tolerance_is_one_minute_and_unknown_times_are_no_verdict() -> None:
    assert changed_since("2026-12-07T10:00:00Z", "2026-12-07T10:01:00Z") is False
    assert changed_since("2026-12-07T10:00:00Z", "2026-12-07T10:01:01Z") is True
    assert changed_since("2026-12-07T10:00:00Z", "2026-12-07T09:00:00Z") is False
    assert changed_since(None, "2026-12-07T10:01:01Z") is None
    assert changed_since("2026-12-07T10:00:00Z", None) is None
    now = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
    assert due_for_check(None, now) is True
    assert due_for_check("2026-12-07T09:00:01Z", now) is False
    assert due_for_check("2026-12-07T09:00:00Z", now) is True
    assert due_for_check("2026-12-07T11:00:00Z", now) is True  # the clock was set back
    assert due_for_check("2026-12-07T10:00:00Z", now) is False  # just looked


def test_a_change_is_described_with_both_times_and_what_was_done() -> None:
    from sso_sync.keepfresh.elsewhere import ChangedSecret

    found = ChangedSecret(
        APP, "prod", "", "AWS_SESSION_TOKEN", "2026-12-07T10:05:00Z", "2026-12-07T10:00:00Z"
    )
    assert found.describe() == (
        "octo-org/app [prod]: AWS_SESSION_TOKEN changed elsewhere at 2026-12-07T10:05:00Z (this "
        "machine wrote it at 2026-12-07T10:00:00Z)"
    )
    done = dataclasses.replace(found, done="kept")
    assert done.describe().endswith("10:00:00Z): kept")
    assert done.as_dict() == {
        "target": "octo-org/app",
        "set": "prod",
        "secret": "AWS_SESSION_TOKEN",
        "updated_at": "2026-12-07T10:05:00Z",
        "written_at": "2026-12-07T10:00:00Z",
        "done": "kept",
    }


def test_the_scheduled_push_looks_at_most_once_an_hour_and_overwrites_what_it_finds(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from sso_sync.cli.app import app
    from tests.support.world import assert_no_leak, issued_as_secrets

    world.seed_token()
    monkeypatch.setenv("SSO_SYNC_JOB", "sso-sync-test")
    terminal = Told()
    ctx = Context(environ=dict(os.environ), terminal=terminal, streams=Streams(stdin_tty=False))
    job = ["push", "--repo", "octo-org/app", "--repo", "octo-org/web", "-p", "ci"]
    job += ["--min-remaining", "30m"]

    def scheduled() -> object:
        result = CliRunner().invoke(app, job, obj=ctx)
        assert_no_leak(result.stdout + "\n".join(terminal.lines), world.secret_values())
        return result

    assert scheduled().exit_code == 0  # no record yet: nothing to look at, both pushed
    assert not [r for r in world.sandbox.requests if r.path.endswith("/secrets")]
    hand_edit(world, APP_SECRETS, "AWS_SECRET_ACCESS_KEY", OTHER_VALUE)
    world.sandbox.clear_requests()
    assert scheduled().exit_code == 0
    # Fresh, and looked within the hour: not one request.
    assert world.sandbox.requests == []
    assert terminal.notes == []

    store = ctx.state_store()
    entry = store.read_job("sso-sync-test")
    assert entry is not None
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1, seconds=1)
    store.record_job(
        "sso-sync-test",
        {**entry, "elsewhere_checked_at": an_hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    result = scheduled()
    assert result.exit_code == 0, terminal.lines
    lists = [r for r in world.sandbox.requests if r.method == "GET" and r.path.endswith("/secrets")]
    assert sorted(r.path for r in lists) == [
        "/repos/octo-org/app/actions/secrets",
        "/repos/octo-org/web/actions/secrets",
    ]
    said = [line for line in terminal.lines if "changed elsewhere" in line]
    assert (
        said
        == [line for line in said if line.startswith("octo-org/app: AWS_SECRET_ACCESS_KEY changed")]
        and len(said) == 1
    )
    assert any(line.startswith("fix: stop the other writer") for line in terminal.lines)
    assert len(terminal.notes) == 1 and "AWS_SECRET_ACCESS_KEY" in terminal.notes[0][1]
    # Overwritten although fresh (the other target, fresh, was left alone).
    assert "octo-org/app: AWS_ACCESS_KEY_ID updated" in result.stdout
    assert "octo-org/web: fresh" in result.stdout
    stored = {n: s.value for n, s in world.sandbox.secrets("repos/octo-org/app/actions").items()}
    assert stored == issued_as_secrets(world)
    again = store.read_job("sso-sync-test")
    assert again is not None and again["elsewhere_checked_at"] > an_hour_ago.isoformat()


def test_a_partial_push_keeps_the_write_times_of_the_secrets_it_did_not_write() -> None:
    """A mixed push wrote some secrets: those get the new time, the others keep theirs."""
    from sso_sync.keepfresh.state import new_record

    t0 = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
    first = new_record(
        APP,
        "",
        outcome="created",
        at=t0,
        previous=None,
        expires_at=t0 + timedelta(hours=1),
        written={"AWS_ACCESS_KEY_ID": t0, "AWS_SESSION_TOKEN": t0},
    )
    later = t0 + timedelta(minutes=45)
    second = new_record(
        APP, "", outcome="mixed", at=later, previous=first, written={"AWS_ACCESS_KEY_ID": later}
    )
    assert second.written == {
        "AWS_ACCESS_KEY_ID": "2026-12-07T10:45:00Z",
        "AWS_SESSION_TOKEN": "2026-12-07T10:00:00Z",
    }
