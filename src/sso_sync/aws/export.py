"""`export`: role credentials in the shapes other tools read.

`credential-process` is the JSON every AWS SDK expects from a `credential_process` command;
`env`, `dotenv` and `json` are for shells and scripts; `ini` writes one section of the shared
credentials file, as yawsso does, for tools that know nothing of IAM Identity Center.
This is the only module whose output carries credential values, and only on stdout.
"""

from __future__ import annotations

import json
import logging
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sso_sync.aws.inifile import IniDocument, read_exact
from sso_sync.aws.role_credentials import RoleCredentials
from sso_sync.errors import UsageError
from sso_sync.files import locked, real_path, write_private_text

log = logging.getLogger(__name__)

FORMATS = ("env", "dotenv", "json", "credential-process", "ini")

# Older tools wrote the session token under this name too; botocore still reads it as a
# fallback, so a stale one must not survive next to a fresh aws_session_token.
_STALE_KEYS = ("aws_security_token",)


def credentials_file(environ: Mapping[str, str]) -> Path:
    """Where the AWS CLI and SDKs read `[section]` credentials from."""
    configured = environ.get("AWS_SHARED_CREDENTIALS_FILE")
    if configured:
        return Path(configured).expanduser()
    home = Path(environ.get("HOME") or Path.home())
    return home / ".aws" / "credentials"


def _variables(credentials: RoleCredentials) -> dict[str, str]:
    # The names AWS CLI v2's `configure export-credentials --format env` prints.
    return credentials.as_secrets()


def render(credentials: RoleCredentials, fmt: str) -> str:
    """The text to print for every format except `ini` (which writes a file instead)."""
    if fmt == "env":
        return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in _variables(credentials).items())
    if fmt == "dotenv":
        # No quoting: values are base64 and ISO 8601, which every dotenv reader takes as is.
        return "".join(f"{k}={v}\n" for k, v in _variables(credentials).items())
    if fmt == "credential-process":
        # https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
        return (
            json.dumps(
                {
                    "Version": 1,
                    "AccessKeyId": credentials.access_key_id,
                    "SecretAccessKey": credentials.secret_access_key,
                    "SessionToken": credentials.session_token,
                    "Expiration": credentials.expiration_text,
                }
            )
            + "\n"
        )
    if fmt == "json":
        return (
            json.dumps(
                {
                    "AccessKeyId": credentials.access_key_id,
                    "SecretAccessKey": credentials.secret_access_key,
                    "SessionToken": credentials.session_token,
                    "Expiration": credentials.expiration_text,
                    "AccountId": credentials.account_id,
                    "RoleName": credentials.role_name,
                },
                indent=2,
            )
            + "\n"
        )
    raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)} (--format)")


def refuse_sso_profile_section(full_config: Mapping[str, Any], section: str) -> None:
    """Keys written under an SSO profile's name are never read: botocore resolves that profile
    through IAM Identity Center before it looks at the credentials file."""
    settings = full_config.get("profiles", {}).get(section, {})
    if settings.get("sso_session") or settings.get("sso_start_url"):
        raise UsageError(
            f"'{section}' is an IAM Identity Center profile: keys written there would be ignored; "
            f"pass another --section (default: PROFILE-keys), then use --profile {section}-keys"
        )


def write_credentials_section(path: Path, section: str, credentials: RoleCredentials) -> None:
    """Set the keys of `[section]` in the shared credentials file; other sections, keys and
    comments stay. Atomic, mode 0600, under the file's lock. No backup: it would be one more
    copy of credentials on disk."""
    values = {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
        "aws_session_token": credentials.session_token,
    }
    path = real_path(path)  # a symlinked credentials file keeps its link
    with locked(path):
        doc = IniDocument(read_exact(path) or "")
        doc.set_section([section], values, remove=_STALE_KEYS)
        write_private_text(path, doc.text())
    log.info("wrote section [%s] of %s", section, path)
