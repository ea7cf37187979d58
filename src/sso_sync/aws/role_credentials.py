"""Role credentials from IAM Identity Center (`sso:GetRoleCredentials`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.token_cache import TokenCache, cached_access_token
from sso_sync.errors import AwsError, LoginRequired
from sso_sync.files import utc_timestamp

if TYPE_CHECKING:
    from botocore.session import Session
    from mypy_boto3_sso import SSOClient

log = logging.getLogger(__name__)

# The names AWS CLI v2's `configure export-credentials --format env` uses.
SECRET_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)


@dataclass(frozen=True)
class RoleCredentials:
    account_id: str
    role_name: str
    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime

    @property
    def expiration_text(self) -> str:
        return utc_timestamp(self.expiration)

    def as_secrets(self) -> dict[str, str]:
        values = (
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            self.expiration_text,
        )
        return dict(zip(SECRET_NAMES, values, strict=True))


def is_credential_text(value: object) -> bool:
    """Real keys and session tokens are printable ASCII without whitespace (base64 and
    alphanumerics): anything else would break a dotenv or INI line, or inject one."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= 8192
        and value.isascii()
        and value.isprintable()
        and not any(c.isspace() for c in value)
    )


def checked_credential(name: str, value: object) -> str:
    """`value` if it can be a credential; otherwise AwsError naming the field, never the value."""
    if not is_credential_text(value):
        raise AwsError(
            f"IAM Identity Center answered with a {name} that is not a printable string without "
            "whitespace: refusing to use or store it; check AWS_ENDPOINT_URL_SSO points at the "
            "real service"
        )
    return str(value)


def get_role_credentials(sso: SSOClient, access_token: str, profile: SsoProfile) -> RoleCredentials:
    from botocore.exceptions import ClientError

    try:
        response = sso.get_role_credentials(
            roleName=profile.role_name, accountId=profile.account_id, accessToken=access_token
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "UnauthorizedException":
            raise LoginRequired(
                f"IAM Identity Center no longer accepts the cached sign-in for profile "
                f"'{profile.name}': run `{profile.login_hint}`"
            ) from None
        if code == "ForbiddenException":
            raise AwsError(
                f"role '{profile.role_name}' in account {profile.account_id} is not assigned to "
                f"you: check sso_account_id/sso_role_name of profile '{profile.name}'"
            ) from None
        message = exc.response.get("Error", {}).get("Message", "")
        raise AwsError(f"GetRoleCredentials failed ({code}): {message}") from None
    role = response["roleCredentials"]
    return RoleCredentials(
        account_id=profile.account_id,
        role_name=profile.role_name,
        access_key_id=checked_credential("accessKeyId", role.get("accessKeyId")),
        secret_access_key=checked_credential("secretAccessKey", role.get("secretAccessKey")),
        session_token=checked_credential("sessionToken", role.get("sessionToken")),
        expiration=datetime.fromtimestamp(role["expiration"] / 1000, timezone.utc),
    )


def obtain_role_credentials(
    session: Session,
    sso: SSOClient,
    profile: SsoProfile,
    cache: TokenCache,
    *,
    sign_in: Callable[[], None] | None,
) -> RoleCredentials:
    """Fresh role credentials from the cached sign-in, refreshing it silently if it can be.

    `sign_in` runs an interactive login when there is no usable token; None means this process
    cannot (no terminal, or CI), and the user is told what to run instead.
    """
    token = cached_access_token(session, profile, cache)
    if token is None:
        if sign_in is None:
            raise LoginRequired(
                f"no valid IAM Identity Center sign-in for profile '{profile.name}' and no "
                f"terminal to sign in here: run `{profile.login_hint}`, then retry"
            )
        sign_in()
        token = cached_access_token(session, profile, cache)
        if token is None:
            raise LoginRequired(
                f"sign-in did not produce a usable token: run `{profile.login_hint}`"
            )
    log.debug("fetching role credentials for %s/%s", profile.account_id, profile.role_name)
    return get_role_credentials(sso, token, profile)
