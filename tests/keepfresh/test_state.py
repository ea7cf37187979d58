"""The state directory, the state file's tolerance of damage, what each of its writers keeps, and
the scheduled push's log."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sso_sync.errors import ConfigError
from sso_sync.github.targets import Target
from sso_sync.keepfresh.state import StateStore, new_record, target_key
from sso_sync.server_clock import Reading
from sso_sync.state_dir import state_dir


def test_state_dir_follows_xdg_state_home_and_is_private(tmp_path: Path) -> None:
    assert state_dir({"XDG_STATE_HOME": str(tmp_path / "x")}) == tmp_path / "x" / "sso-sync"
    default = state_dir({"HOME": str(tmp_path), "XDG_STATE_HOME": "relative/ignored"})
    assert default == tmp_path / ".local" / "state" / "sso-sync"
    assert stat.S_IMODE(default.stat().st_mode) == 0o700


def test_a_damaged_state_file_reads_as_empty_and_is_replaced_whole(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    for damage in ("{not json", '{"targets": []}', '{"targets": {"k": {"kind": 1}}}'):
        store.path.write_text(damage)
        assert store.read() == {}
    store.record_job("sso-sync-x", {"at": "2026-11-30T00:00:00Z", "ok": True})
    assert store.read_job("sso-sync-x") == {"at": "2026-11-30T00:00:00Z", "ok": True}
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_the_job_log_rotates_past_one_mebibyte(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "job.log"
    log.parent.mkdir()
    log.write_bytes(b"x" * (1024 * 1024 + 1))
    code = (
        "import sys; from pathlib import Path; from sso_sync.keepfresh.joblog import log_to_file;"
        f"log_to_file(Path({str(log)!r})); print('to stdout'); print('to stderr', file=sys.stderr)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))
    assert (tmp_path / "logs" / "job.log.1").stat().st_size == 1024 * 1024 + 1
    text = log.read_text()
    assert "to stdout" in text and "to stderr" in text and len(text) < 200
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_each_writer_replaces_its_own_section_and_keeps_the_others(tmp_path: Path) -> None:
    """Every change reads the file once under its lock and writes it back whole: the targets,
    jobs, clock, notices and a section this version does not know all survive each other's
    writes; a target entry that does not read as a record is dropped, as `read` drops it."""
    at = datetime(2026, 12, 7, 10, tzinfo=timezone.utc)
    app, api = Target("repo", "octo-org", "app"), Target("repo", "octo-org", "api")
    store = StateStore(tmp_path)
    first = new_record(app, "", outcome="updated", at=at, previous=None)
    store.update({target_key(app, ""): first})
    store.record_job("sso-sync-a", {"at": "2026-12-07T10:00:00Z", "ok": True})
    store.update_section("notices", lambda section: {**section, "streaks": {"octo-org/x": 1}})
    writes = [
        lambda: store.record_clock("aws", Reading(1.5, 100.0)),
        lambda: store.update(
            {target_key(api, ""): new_record(api, "", outcome="created", at=at, previous=None)}
        ),
        lambda: store.record_job("sso-sync-b", {"at": "2026-12-07T10:05:00Z", "ok": False}),
        lambda: store.record_clock("github", Reading(-0.5, 200.0)),
        lambda: store.forget_job("sso-sync-a"),
    ]
    for write in writes:
        data = json.loads(store.path.read_text())
        data["targets"]["damaged"] = {"kind": 1}
        store.path.write_text(json.dumps({**data, "future": {"kept": True}}))
        write()
        data = json.loads(store.path.read_text())
        assert set(data) == {"version", "targets", "jobs", "clock", "notices", "future"}
        assert data["version"] == 2 and data["future"] == {"kept": True}
        assert "damaged" not in data["targets"] and target_key(app, "") in data["targets"]
        assert data["notices"] == {"streaks": {"octo-org/x": 1}}
    assert set(data["targets"]) == {target_key(app, ""), target_key(api, "")}
    assert data["targets"][target_key(app, "")]["outcome"] == "updated"
    assert data["jobs"] == {"sso-sync-b": {"at": "2026-12-07T10:05:00Z", "ok": False}}
    assert store.read_clock() == {"aws": Reading(1.5, 100.0), "github": Reading(-0.5, 200.0)}


def test_every_writer_refuses_a_newer_file_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    newer = json.dumps({"version": 3, "targets": {}, "jobs": {"j": {"at": "x", "ok": True}}})
    store.path.write_text(newer)
    app = Target("repo", "octo-org", "app")
    record = new_record(app, "", outcome="updated", at=datetime.now(timezone.utc), previous=None)
    writes = [
        lambda: store.update({"k": record}),
        lambda: store.record_job("j2", {"at": "x", "ok": True}),
        lambda: store.record_clock("aws", Reading(0.0, 1.0)),
        lambda: store.forget_job("j"),
        lambda: store.update_section("notices", lambda section: {"streaks": {"a": 1}}),
    ]
    for write in writes:
        with pytest.raises(ConfigError, match="written by a newer sso-sync"):
            write()
        assert store.path.read_text() == newer
