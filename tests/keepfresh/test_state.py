"""The state directory, the state file's tolerance of damage, and the scheduled push's log."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from sso_sync.keepfresh.state import StateStore
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
