"""Role credentials from IAM Identity Center (`sso:GetRoleCredentials`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.token_cache import TokenCache, cached_access_token, reason
from sso_sync.errors import AwsError, LoginRequired
from sso_sync.files import utc_timestamp
from sso_sync.sources import ROLE_SECRET_NAMES

if TYPE_CHECKING:
    from botocore.session import Session
    from mypy_boto3_sso import SSOClient

    from sso_sync.deadline import Deadline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleCredentials:
    account_id: str
    role_name: str
    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime
    # When this process received them from IAM Identity Center (None: read from a cache).
    received_at: datetime | None = field(default=None, compare=False)

    @property
    def expiration_text(self) -> str:
        return utc_timestamp(self.expiration)

    @property
    def lifetime(self) -> timedelta | None:
        """How long they were issued for, to the whole second (None: not known). Measured from
        their arrival, it is short only by the answer's trip and any clock skew."""
        if self.received_at is None:
            return None
        return timedelta(seconds=round((self.expiration - self.received_at).total_seconds()))

    def as_secrets(self) -> dict[str, str]:
        values = (
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            self.expiration_text,
        )
        return dict(zip(ROLE_SECRET_NAMES, values, strict=True))


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


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def get_role_credentials(
    sso: SSOClient,
    access_token: str,
    profile: SsoProfile,
    now: Callable[[], datetime] = _utc_now,
) -> RoleCredentials:
    """`now`: the issuer's clock, as far as it is known (their expiry is by its time)."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
    from botocore.parsers import ResponseParserError

    try:
        response = sso.get_role_credentials(
            roleName=profile.role_name, accountId=profile.account_id, accessToken=access_token
        )
    except (ResponseParserError, ValueError, TypeError, KeyError):
        # botocore's parser fails on a body that is not the service's JSON, or on a field of
        # the wrong type (an expiration that is not a number) with these.
        raise AwsError(
            "IAM Identity Center's answer to GetRoleCredentials could not be read (not its "
            "JSON: a proxy's page?): check AWS_ENDPOINT_URL_SSO and the network"
        ) from None
    except (ConnectionError, HTTPClientError):
        raise  # the caller says what to check
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
    return parse_role_credentials(response, profile, now)


# Role sessions last 12 hours at most; a day of slack covers any clock skew.
LONGEST_LIFE = timedelta(hours=36)


def parse_role_credentials(
    response: Any,
    profile: SsoProfile,
    now: Callable[[], datetime] = _utc_now,
) -> RoleCredentials:
    """The credentials in a GetRoleCredentials answer, checked: four strings and an expiry in
    the future and within a role session's longest life. Never pushes what is already dead."""
    role = response.get("roleCredentials") if isinstance(response, dict) else None
    fields = ("accessKeyId", "secretAccessKey", "sessionToken")
    # Present as strings; whether each can be a credential is checked_credential's call.
    if not isinstance(role, dict) or not all(isinstance(role.get(k), str) for k in fields):
        raise AwsError(
            "IAM Identity Center's answer to GetRoleCredentials holds no credentials: check "
            "AWS_ENDPOINT_URL_SSO, then retry"
        )
    millis = role.get("expiration")
    moment = now()
    try:
        if type(millis) is not int:
            raise TypeError
        expiration = datetime.fromtimestamp(millis / 1000, timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        expiration = None
    if expiration is None or expiration - moment > LONGEST_LIFE:
        raise AwsError(
            "IAM Identity Center's answer to GetRoleCredentials has no usable expiration "
            f"({'missing' if millis is None else 'out of range'}): check AWS_ENDPOINT_URL_SSO"
        )
    if expiration <= moment:
        raise AwsError(
            f"IAM Identity Center issued role credentials for profile '{profile.name}' that "
            f"expired at {utc_timestamp(expiration)}, before they could be used: check this "
            "computer's clock, then retry"
        )
    return RoleCredentials(
        account_id=profile.account_id,
        role_name=profile.role_name,
        access_key_id=checked_credential("accessKeyId", role.get("accessKeyId")),
        secret_access_key=checked_credential("secretAccessKey", role.get("secretAccessKey")),
        session_token=checked_credential("sessionToken", role.get("sessionToken")),
        expiration=expiration,
        received_at=moment,
    )


def obtain_role_credentials(
    session: Session,
    sso: SSOClient,
    profile: SsoProfile,
    cache: TokenCache,
    *,
    sign_in: Callable[[], None] | None,
    deadline: Deadline | None = None,
    now: Callable[[], datetime] = _utc_now,
) -> RoleCredentials:
    """Fresh role credentials from the cached sign-in, refreshing it silently if it can be.

    `sign_in` runs an interactive login when there is no usable token; None means this process
    cannot (no terminal, or CI), and the user is told what to run instead. `now` judges their
    expiry (the servers' clock, when known).
    """
    token = cached_access_token(session, profile, cache, deadline=deadline)
    if token is None:
        if sign_in is None:
            raise LoginRequired(
                f"no valid IAM Identity Center sign-in for profile '{profile.name}' and no "
                f"terminal to sign in here: run `{profile.login_hint}`, then retry"
            )
        sign_in()
        token = cached_access_token(session, profile, cache, deadline=deadline)
        if token is None:
            raise LoginRequired(
                f"sign-in did not produce a usable token: run `{profile.login_hint}`"
            )
    log.debug("fetching role credentials for %s/%s", profile.account_id, profile.role_name)
    try:
        return get_role_credentials(sso, token, profile, now)
    except LoginRequired:
        if sign_in is None:
            raise
    # Refused although not expired (the session ended early): sign in here, once.
    sign_in()
    token = cached_access_token(session, profile, cache, deadline=deadline)
    if token is None:
        raise LoginRequired(f"sign-in did not produce a usable token: run `{profile.login_hint}`")
    return get_role_credentials(sso, token, profile, now)


def token_accepted(sso: SSOClient, access_token: str) -> bool:
    """Whether IAM Identity Center still takes this token: the cheapest call that needs one
    (`sso:ListAccounts`, one result). A cache file cannot tell an ended session from a live
    one."""
    from botocore.exceptions import ClientError

    try:
        sso.list_accounts(accessToken=access_token, maxResults=1)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "UnauthorizedException":
            return False
        raise AwsError(
            f"IAM Identity Center could not check the cached sign-in ({reason(exc)}): retry"
        ) from None
    return True


class CredentialsInFlight:
    """Role credentials asked for in a background thread as soon as a push knows it needs them
    (`fetch` must not sign in: no prompt from a thread), so that building the client and the
    round trip to IAM Identity Center overlap the push's GitHub work instead of preceding it.
    `result()` returns them, or raises what `fetch` raised, in the caller's thread. The thread
    is a daemon: Ctrl-C never waits for it, and the command's deadline bounds its requests."""

    def __init__(self, fetch: Callable[[], RoleCredentials], name: str = "") -> None:
        import threading

        self._done = threading.Event()
        self._credentials: RoleCredentials | None = None
        self._error: BaseException | None = None
        self._fetch = fetch
        thread = threading.Thread(
            target=self._run, name=f"sso-sync-role-credentials {name}".strip(), daemon=True
        )
        thread.start()

    def _run(self) -> None:
        try:
            self._credentials = self._fetch()
        except BaseException as exc:  # handed to the caller, in its thread
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> RoleCredentials:
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._credentials is not None
        return self._credentials
