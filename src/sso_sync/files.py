"""Writing files that hold tokens: 0600, temp file + fsync + rename, under a file lock.

A reader (the AWS CLI, botocore, another sso-sync) sees either the old file or the new one,
never half of one, and two writers never interleave.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sso_sync.errors import SsoSyncError

LOCK_TIMEOUT_SECONDS = 60.0


def utc_timestamp(moment: datetime) -> str:
    """The AWS CLI's cache format: `2026-11-26T04:00:00Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return utc_timestamp(value)
    # Never echo the value: it may be a token.
    raise TypeError(f"cannot store a {type(value).__name__} in a cache file")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (through a `.lock` file beside it).

    Re-entrant within a thread: a caller holding the lock around a read-refresh-write may call
    code (such as `TokenCache.__setitem__`, invoked by botocore) that takes it again. Other
    threads and other processes wait. The `.lock` files stay: deleting a lock file while another
    process waits on it would let two holders in at once.
    """
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_file = str(path) + ".lock"
    # One instance per path (is_singleton) makes nesting re-entrant instead of a self-deadlock.
    lock = FileLock(lock_file, timeout=LOCK_TIMEOUT_SECONDS, is_singleton=True)
    try:
        lock.acquire()
    except Timeout:
        raise SsoSyncError(
            f"another process has held {lock_file} for over {LOCK_TIMEOUT_SECONDS:.0f} s: "
            f"retry, or remove that file if no sso-sync or aws process is running"
        ) from None
    try:
        yield
    finally:
        lock.release()


def write_private_text(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`, mode 0600. Callers hold `locked(path)`."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(0o600)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    write_private_text(path, json.dumps(data, default=_json_default))


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None when it is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
