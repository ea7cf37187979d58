"""A scheduled push's log: stdout and stderr appended to a file in the state directory, kept
small by rotation (over 1 MiB it becomes `NAME.log.1`, replacing the one before: 2 MiB at most).

The job's environment names the file (`SSO_SYNC_LOG_FILE`); only `push` honours it, and push's
output holds no secret (the canary tests hold it to that).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

MAX_LOG_BYTES = 1024 * 1024


def log_to_file(path: Path) -> None:
    """Send this process's stdout and stderr to `path` (0600, appended, rotated first)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_size > MAX_LOG_BYTES:
            path.replace(path.with_name(path.name + ".1"))
    except FileNotFoundError:
        pass
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    os.write(fd, f"== {stamp} sso-sync {' '.join(sys.argv[1:2])}\n".encode())
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
