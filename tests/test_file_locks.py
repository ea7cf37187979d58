"""Our own file locks (files.locked, files.take_lock, keepfresh's acquire_all): flock on a `.lock`
file, re-entrant within a thread, exclusive against other threads and processes, dropped by the
kernel when the holder dies, 0600, kept after release, and a hostile file at the lock path
refused with one line instead of followed or waited on.

The other holders are real: a thread with its own descriptor, a second Python process holding
the lock with filelock (a third-party flock user, as another tool might be) or with ours."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from sso_sync.errors import ConfigError, LockTimeout
from sso_sync.files import locked, release_lock, take_lock
from sso_sync.keepfresh.locks import TargetLockWait, acquire_all

HOLD_WITH_FILELOCK = (
    "import sys, time, filelock\n"
    "lock = filelock.FileLock(sys.argv[1]); lock.acquire()\n"
    "print('held', flush=True); time.sleep(60)"
)
HOLD_WITH_OURS = (
    "import sys, time, pathlib\n"
    "from sso_sync.files import locked\n"
    "with locked(pathlib.Path(sys.argv[1])):\n"
    "    print('held', flush=True); time.sleep(60)"
)


@contextmanager
def holder(code: str, arg: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding a lock until the block ends (or the test kills it)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(arg)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def free(lock_file: Path) -> bool:
    """Whether a new holder (a descriptor of its own) could take `lock_file` now."""
    fd = take_lock(lock_file)
    if fd is None:
        return False
    release_lock(fd)
    return True


def timeout_message(lock_file: Path, seconds: str) -> str:
    return (
        f"another process has held {lock_file} for over {seconds} s: retry, or remove that "
        "file if no sso-sync or aws process is running"
    )


def test_nested_holds_in_one_thread_share_the_lock_until_the_last_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    lock_file = tmp_path / "token.json.lock"
    with locked(path, timeout=1):
        with locked(path, timeout=1):  # not a self-deadlock
            assert not free(lock_file)
        assert not free(lock_file)  # the inner exit did not release the outer hold
    assert free(lock_file)
    # Closed out of order (an ExitStack may): still held until the last holder is gone.
    outer, inner = ExitStack(), ExitStack()
    outer.enter_context(locked(path))
    inner.enter_context(locked(path))
    outer.close()
    assert not free(lock_file)
    inner.close()
    assert free(lock_file)
    assert lock_file.exists()  # kept: deleting it could let two holders in


def test_another_thread_waits_then_gets_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    taken, release, done = threading.Event(), threading.Event(), threading.Event()

    def other() -> None:
        with locked(path):
            taken.set()
            release.wait(30)
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert taken.wait(30)
        with pytest.raises(LockTimeout) as waited, locked(path, timeout=0.3):
            pass
        assert str(waited.value) == timeout_message(tmp_path / "token.json.lock", "0")
        release.set()
        with locked(path, timeout=30):  # the other thread's release lets this one in
            assert done.wait(30)
    finally:
        release.set()
        thread.join(30)


def test_one_thread_holding_does_not_make_it_re_entrant_for_another(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    results: list[BaseException | None] = []

    def other() -> None:
        try:
            with locked(path, timeout=0.2):
                results.append(None)
        except LockTimeout as exc:
            results.append(exc)

    with locked(path):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(30)
    assert len(results) == 1 and isinstance(results[0], LockTimeout)


@pytest.mark.parametrize("code", [HOLD_WITH_FILELOCK, HOLD_WITH_OURS], ids=["filelock", "ours"])
def test_another_process_holding_makes_us_wait_then_time_out(tmp_path: Path, code: str) -> None:
    path = tmp_path / "token.json"
    lock_file = tmp_path / "token.json.lock"
    with holder(code, lock_file if code == HOLD_WITH_FILELOCK else path):
        with pytest.raises(LockTimeout) as waited, locked(path, timeout=1.4):
            pass
        assert str(waited.value) == timeout_message(lock_file, "1")
        assert "\n" not in str(waited.value)
        assert acquire_all({"t": lock_file}, waiting(0.2)) == {}
    with locked(path, timeout=30):
        pass


def test_the_kernel_releases_a_killed_holder(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    with holder(HOLD_WITH_OURS, path) as proc:
        assert not free(tmp_path / "token.json.lock")
        os.kill(proc.pid, signal.SIGKILL)  # no release, no cleanup: only the kernel's
        proc.wait()
        with locked(path, timeout=30):
            pass


def test_target_locks_conflict_between_runs_in_one_process(tmp_path: Path) -> None:
    paths = {"a": tmp_path / "locks" / "a.lock", "b": tmp_path / "locks" / "b.lock"}
    wait = waiting(0.2)
    first = acquire_all({"a": paths["a"]}, wait)
    try:
        second = acquire_all(paths, wait)  # "a" busy: "b" is still taken
        assert set(second) == {"b"}
        for lock in second.values():
            lock.release()
    finally:
        for lock in first.values():
            lock.release()
    both = acquire_all(paths, wait)
    assert set(both) == {"a", "b"}
    for lock in both.values():
        lock.release()
        lock.release()  # a second release is harmless
    assert all(p.exists() for p in paths.values())


def test_lock_files_are_created_0600_and_made_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask would make a plain create 0644
    try:
        with locked(tmp_path / "token.json"):
            pass
        held = acquire_all({"t": tmp_path / "locks" / "t.lock"}, waiting(0))
        held["t"].release()
    finally:
        os.umask(old)
    for lock_file in (tmp_path / "token.json.lock", tmp_path / "locks" / "t.lock"):
        assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600
        lock_file.chmod(0o644)  # as an older version (or filelock) left it
    with locked(tmp_path / "token.json"):
        pass
    acquire_all({"t": tmp_path / "locks" / "t.lock"}, waiting(0))["t"].release()
    for lock_file in (tmp_path / "token.json.lock", tmp_path / "locks" / "t.lock"):
        assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600


def test_a_symlink_at_the_lock_path_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    victim.chmod(0o644)
    (tmp_path / "token.json.lock").symlink_to(victim)
    (tmp_path / "locks").mkdir()
    (tmp_path / "locks" / "t.lock").symlink_to(tmp_path / "missing")  # would be created
    with pytest.raises(ConfigError) as refused, locked(tmp_path / "token.json"):
        pass
    assert str(refused.value) == (
        f"{tmp_path / 'token.json.lock'} is a symbolic link, not a lock file: remove it, then retry"
    )
    with pytest.raises(ConfigError, match="is a symbolic link, not a lock file"):
        acquire_all({"t": tmp_path / "locks" / "t.lock"}, waiting(0))
    assert victim.read_text() == "keep me"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not (tmp_path / "missing").exists()


@pytest.mark.timeout(30)  # a FIFO opened for blocking I/O would hang here
def test_a_fifo_or_directory_at_the_lock_path_is_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "token.json.lock", 0o600)
    with pytest.raises(ConfigError) as refused, locked(tmp_path / "token.json"):
        pass
    assert str(refused.value) == (
        f"{tmp_path / 'token.json.lock'} is a FIFO, not a regular file: move it away, then retry"
    )
    (tmp_path / "locks" / "t.lock").mkdir(parents=True)
    with pytest.raises(ConfigError) as refused:
        acquire_all({"t": tmp_path / "locks" / "t.lock"}, waiting(0))
    assert str(refused.value) == (
        f"cannot use {tmp_path / 'locks' / 't.lock'} (Is a directory): fix or move it, then retry"
    )


def waiting(seconds: float) -> TargetLockWait:
    return TargetLockWait(seconds, time.monotonic, time.sleep)
