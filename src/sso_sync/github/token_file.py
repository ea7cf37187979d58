"""`--github-token-file FILE` (env `SSO_SYNC_GITHUB_TOKEN_FILE`): the GitHub token of a job that
runs with nobody there, read from a file only its owner can read, so it never appears in a
crontab line, a unit file or an argv.

Refused, with the fix, when the file is readable or writable by group or others (as ssh refuses a
private key), when it is not a regular file (a FIFO would block the job), or when it is empty.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from sso_sync.errors import GitHubAuthMissing, UsageError

TOKEN_FILE_VARIABLE = "SSO_SYNC_GITHUB_TOKEN_FILE"
MAX_TOKEN_FILE_BYTES = 4096


def token_file_path(option: Path | None, environ: Mapping[str, str]) -> Path | None:
    if option is not None:
        return option
    value = environ.get(TOKEN_FILE_VARIABLE, "").strip()
    return Path(value) if value else None


def check_token_file(path: Path) -> None:
    """The file's kind and mode, without reading it."""
    try:
        info = path.stat()
    except OSError as exc:
        raise GitHubAuthMissing(
            f"GitHub token file {path}: {exc.strerror}: create it (mode 0600) or fix the path"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"GitHub token file {path} is not a regular file: give a plain file")
    if info.st_mode & 0o077:
        raise UsageError(
            f"GitHub token file {path} is readable or writable by others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}): run `chmod 600 {path}`"
        )


def read_token_file(path: Path) -> str:
    check_token_file(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_TOKEN_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read GitHub token file {path} ({exc.strerror})") from None
    token = data.decode("utf-8", "replace").strip() if len(data) <= MAX_TOKEN_FILE_BYTES else ""
    if not token or any(c.isspace() for c in token):
        raise UsageError(
            f"GitHub token file {path} does not hold one token: put the token alone in it"
        )
    return token
