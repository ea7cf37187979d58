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
    """Hold an exclusive lock on `path` (through a `.lock` file beside it)."""
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS):
        yield


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
