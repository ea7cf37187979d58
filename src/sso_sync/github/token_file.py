"""`--github-token-file FILE` (env `SSO_SYNC_GITHUB_TOKEN_FILE`): the GitHub token of a job that
runs with nobody there, read from a file only its owner can read, so it never appears in a
crontab line, a unit file or an argv.

Refused, with the fix, when the file is readable or writable by group or others (as ssh refuses a
private key), when it is not a regular file (a FIFO would block the job), or when it is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sso_sync.errors import UsageError
from sso_sync.files import read_private

TOKEN_FILE_VARIABLE = "SSO_SYNC_GITHUB_TOKEN_FILE"
MAX_TOKEN_FILE_BYTES = 4096


def token_file_path(option: Path | None, environ: Mapping[str, str]) -> Path | None:
    if option is not None:
        return option
    value = environ.get(TOKEN_FILE_VARIABLE, "").strip()
    return Path(value) if value else None


def read_token_file(path: Path) -> str:
    data = read_private(path, "GitHub token file", MAX_TOKEN_FILE_BYTES)
    token = data.decode("utf-8", "replace").strip()
    if not token or any(c.isspace() for c in token):
        raise UsageError(
            f"GitHub token file {path} does not hold one token: put the token alone in it"
        )
    return token
