"""`logout`: end cached IAM Identity Center sessions as `aws sso logout` does.

For each cached token concerned: `sso:Logout`, then delete the token file; then delete the role
credentials cached from IAM Identity Center (`"ProviderType": "sso"` in `~/.aws/cli/cache`).
Client registrations stay, as with the AWS CLI: they hold no sign-in and are reused at the next
one. A token the service already considers invalid is simply deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.role_cache import cache_key
from sso_sync.files import locked, read_json

if TYPE_CHECKING:
    from mypy_boto3_sso import SSOClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogoutScope:
    """Which cache files to consider, by file stem; None means all of that kind."""

    token_keys: frozenset[str] | None
    role_keys: frozenset[str] | None


EVERYTHING = LogoutScope(token_keys=None, role_keys=None)


@dataclass
class LogoutReport:
    revoked: list[str] = field(default_factory=list)  # start URLs the service signed out
    already_ended: list[str] = field(default_factory=list)  # the service no longer knew them
    unreachable: list[str] = field(default_factory=list)  # could not tell the service
    removed_tokens: list[Path] = field(default_factory=list)
    removed_role_credentials: list[Path] = field(default_factory=list)


def scope_for_profile(full_config: Mapping[str, Any], profile: SsoProfile) -> LogoutScope:
    """The profile's session, and the role credentials of every profile signed in through it
    (same sso-session; for a legacy profile, same start URL without an sso-session)."""
    role_keys = {cache_key(profile)}
    profiles: Mapping[str, Mapping[str, str]] = full_config.get("profiles", {})
    for section in profiles.values():
        account, role = section.get("sso_account_id"), section.get("sso_role_name")
        if not account or not role:
            continue
        if profile.session_name is not None:
            shares = section.get("sso_session") == profile.session_name
        else:
            shares = not section.get("sso_session") and (
                section.get("sso_start_url") == profile.start_url
            )
        if shares:
            role_keys.add(cache_key(replace(profile, account_id=account, role_name=role)))
    return LogoutScope(
        token_keys=frozenset({profile.token_cache_key}), role_keys=frozenset(role_keys)
    )


def logout(
    sso_for_region: Callable[[str], SSOClient],
    sso_cache: Path,
    cli_cache: Path,
    scope: LogoutScope,
) -> LogoutReport:
    report = LogoutReport()
    for path in _json_files(sso_cache, scope.token_keys):
        _end_session(sso_for_region, path, report)
    for path in _json_files(cli_cache, scope.role_keys):
        with locked(path):
            data = read_json(path)
            if data is not None and data.get("ProviderType") == "sso":
                path.unlink(missing_ok=True)
                report.removed_role_credentials.append(path)
    return report


def _json_files(directory: Path, stems: frozenset[str] | None) -> list[Path]:
    if not directory.is_dir():
        return []
    return [p for p in sorted(directory.glob("*.json")) if stems is None or p.stem in stems]


def _end_session(
    sso_for_region: Callable[[str], SSOClient], path: Path, report: LogoutReport
) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    # Under the lock, so a process refreshing this token cannot write it back after we delete.
    with locked(path):
        data = read_json(path)
        if data is None or "accessToken" not in data:
            return  # a client registration, or not ours to judge: leave it
        start_url = str(data.get("startUrl") or path.name)
        region = data.get("region")
        if region:
            try:
                sso_for_region(str(region)).logout(accessToken=str(data["accessToken"]))
                report.revoked.append(start_url)
            except ClientError:
                # Expired or already revoked: what remains is to forget it.
                report.already_ended.append(start_url)
            except BotoCoreError as exc:
                log.debug("sso:Logout failed: %s", type(exc).__name__)
                report.unreachable.append(start_url)
        else:
            report.unreachable.append(start_url)
        path.unlink(missing_ok=True)
        report.removed_tokens.append(path)
