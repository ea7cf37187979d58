"""`status`: is this profile usable right now, and for how long, without starting a sign-in?

It reads the token cache and the role-credential cache, refreshes the access token silently
only when any AWS SDK would (botocore's own provider, near expiry and refreshable), fetches
role credentials only when none are cached with 15 minutes left, and asks STS who they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sso_sync.aws.budget import SessionBudget, session_budget
from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.role_cache import RoleCache, reuse_or_fetch
from sso_sync.aws.role_credentials import RoleCredentials, get_role_credentials
from sso_sync.aws.signin.registration import registration_cache_key
from sso_sync.aws.token_cache import TokenCache, cached_access_token
from sso_sync.durations import describe_duration
from sso_sync.errors import LoginRequired, SsoSyncError
from sso_sync.files import parse_utc_timestamp, utc_timestamp

if TYPE_CHECKING:
    from botocore.session import Session
    from mypy_boto3_sso import SSOClient
    from mypy_boto3_sts import STSClient

log = logging.getLogger(__name__)


def sts_region(environ: Mapping[str, str], profile_region: str | None, sso_region: str) -> str:
    """The region the AWS CLI v2 would call STS in. botocore ignores AWS_REGION; we do not."""
    return (
        environ.get("AWS_REGION")
        or environ.get("AWS_DEFAULT_REGION")
        or profile_region
        or sso_region
    )


@dataclass(frozen=True)
class SessionState:
    session_name: str | None
    start_url: str
    region: str
    token_file: str
    present: bool
    expires_at: str | None
    remaining_seconds: int | None
    refreshable: bool
    refreshed: bool
    verdict: str


@dataclass(frozen=True)
class RegistrationState:
    expires_at: str | None
    verdict: str


@dataclass(frozen=True)
class RoleState:
    account_id: str
    role_name: str
    source: str | None  # "cache", "fetched", or None when there are none
    cache_file: str
    expires_at: str | None
    verdict: str


@dataclass(frozen=True)
class IdentityState:
    arn: str | None
    account: str | None
    region: str
    verdict: str


@dataclass(frozen=True)
class StatusReport:
    profile: str
    usable: bool  # role credentials in hand that STS accepts: `export` works
    sign_in_needed: bool  # for new role credentials (push, and export once these run out)
    sso_session: SessionState
    registration: RegistrationState
    role_credentials: RoleState
    caller_identity: IdentityState
    session_budget: SessionBudget | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_refreshable(entry: Mapping[str, Any] | None, now: datetime) -> bool:
    """What botocore's SSOTokenProvider needs to refresh without a browser."""
    if not entry:
        return False
    if not all(entry.get(k) for k in ("refreshToken", "clientId", "clientSecret")):
        return False
    registration = parse_utc_timestamp(entry.get("registrationExpiresAt"))
    return registration is not None and registration > now


def _session_state(
    profile: SsoProfile,
    cache: TokenCache,
    entry: Mapping[str, Any] | None,
    *,
    refreshed: bool,
    refresh_failed: bool,
    rejected: bool,
    now: datetime,
) -> tuple[SessionState, bool]:
    """The session's state and verdict, and whether a sign-in is needed."""
    login = f"run `{profile.login_hint}`"
    # Legacy profiles never refresh: botocore only refreshes sso-session tokens.
    refreshable = profile.session_name is not None and is_refreshable(entry, now)
    expires = parse_utc_timestamp(entry.get("expiresAt")) if entry else None
    remaining = None if expires is None else int((expires - now).total_seconds())
    if entry is None or expires is None or not entry.get("accessToken"):
        verdict, needed = f"no sign-in cached; sign-in needed: {login}", True
    elif refresh_failed:
        verdict, needed = f"the silent refresh failed; sign-in needed: {login}", True
    elif rejected:
        verdict = f"IAM Identity Center no longer accepts it; sign-in needed: {login}"
        needed = True
    elif expires > now:
        then = (
            "refreshable without a browser"
            if refreshable
            else "a browser sign-in is needed after that"
        )
        done = "refreshed silently just now; " if refreshed else ""
        verdict, needed = f"{done}valid {describe_duration(expires - now)}; {then}", False
    elif refreshable:
        verdict = f"expired {describe_duration(now - expires)} ago; refreshable without a browser"
        needed = False
    else:
        verdict = f"expired {describe_duration(now - expires)} ago; sign-in needed: {login}"
        needed = True
    state = SessionState(
        session_name=profile.session_name,
        start_url=profile.start_url,
        region=profile.sso_region,
        token_file=str(cache.path(profile.token_cache_key)),
        present=entry is not None,
        expires_at=None if expires is None else utc_timestamp(expires),
        remaining_seconds=remaining,
        refreshable=refreshable,
        refreshed=refreshed,
        verdict=verdict,
    )
    return state, needed


def _registration_state(
    profile: SsoProfile,
    entry: Mapping[str, Any] | None,
    now: datetime,
    stored: Mapping[str, Any] | None = None,
) -> RegistrationState:
    """From the token entry; else (after a sign-out) from the registration's own cache file."""
    expires = parse_utc_timestamp(entry.get("registrationExpiresAt")) if entry else None
    kept = ""
    if expires is None and stored and profile.session_name is not None:
        expires = parse_utc_timestamp(stored.get("expiresAt"))
        kept = "; still cached after sign-out (as with the AWS CLI): the next sign-in reuses it"
    if expires is None:
        kind = "legacy profiles keep none" if profile.session_name is None else "none cached"
        return RegistrationState(None, f"no client registration ({kind})")
    if expires <= now:
        return RegistrationState(
            utc_timestamp(expires),
            f"expired {describe_duration(now - expires)} ago; the next sign-in registers anew",
        )
    return RegistrationState(
        utc_timestamp(expires), f"valid {describe_duration(expires - now)}{kept}"
    )


def collect_status(
    *,
    session: Session,
    profile: SsoProfile,
    cache: TokenCache,
    role_cache: RoleCache,
    sso: SSOClient,
    sts_for: Callable[[RoleCredentials], STSClient],
    region: str,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> StatusReport:
    """Everything `status` shows. Never signs in; may refresh silently, as any SDK would."""
    before = cache.get(profile.token_cache_key)
    refresh_failed = False
    rejected = False
    sign_in_needed = False
    credentials: RoleCredentials | None = None
    source: str | None = None
    role_problem: str | None = None

    def fetch() -> RoleCredentials:
        nonlocal refresh_failed, rejected
        token = cached_access_token(session, profile, cache, now)
        if token is None:
            refresh_failed = before is not None and is_refreshable(before, now())
            raise LoginRequired("no usable sign-in")
        try:
            return get_role_credentials(sso, token, profile)
        except LoginRequired:
            rejected = True  # revoked or signed out elsewhere: the file alone cannot tell
            raise

    try:
        credentials, from_cache = reuse_or_fetch(role_cache, profile, fetch, now=now)
        source = "cache" if from_cache else "fetched"
    except LoginRequired:
        sign_in_needed = True
        role_problem = "not available: sign-in needed"
    except SsoSyncError as exc:
        role_problem = f"failed: {exc}"

    moment = now()
    after = cache.get(profile.token_cache_key)
    refreshed = bool(before and after and before.get("accessToken") != after.get("accessToken"))
    session_state, needed = _session_state(
        profile,
        cache,
        after,
        refreshed=refreshed,
        refresh_failed=refresh_failed,
        rejected=rejected,
        now=moment,
    )
    # Cached role credentials keep working for a while, but `push` always needs the sign-in.
    sign_in_needed = sign_in_needed or needed

    if credentials is not None:
        left = describe_duration(credentials.expiration - moment)
        where = "from the role cache" if source == "cache" else "fetched now"
        role_verdict = f"valid {left} ({where})"
        identity = _caller_identity(sts_for, credentials, region)
    else:
        role_verdict = role_problem or "not available"
        identity = IdentityState(None, None, region, "not checked: no role credentials")
    role_state = RoleState(
        account_id=profile.account_id,
        role_name=profile.role_name,
        source=source,
        cache_file=str(role_cache.path(profile)),
        expires_at=None if credentials is None else credentials.expiration_text,
        verdict=role_verdict,
    )
    # One verdict, the one `export` and `credential_process` act on: role credentials in hand
    # (cached or fetched) that STS accepts are usable, whatever the sign-in's state; that a
    # sign-in is needed for the next ones is reported beside it.
    usable = credentials is not None and identity.arn is not None
    return StatusReport(
        profile=profile.name,
        usable=usable,
        sign_in_needed=sign_in_needed,
        sso_session=session_state,
        registration=_registration_state(
            profile, after, moment, cache.get(registration_cache_key(profile))
        ),
        role_credentials=role_state,
        caller_identity=identity,
        session_budget=session_budget(after, refreshable=session_state.refreshable),
    )


def _caller_identity(
    sts_for: Callable[[RoleCredentials], STSClient], credentials: RoleCredentials, region: str
) -> IdentityState:
    from botocore.exceptions import BotoCoreError, ClientError

    from sso_sync.aws.sts_errors import sts_refusal

    try:
        answer = sts_for(credentials).get_caller_identity()
    except ClientError as exc:
        secrets = (
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.session_token,
        )
        code, message = sts_refusal(exc.response.get("Error", {}), secrets)
        return IdentityState(
            None, None, region, f"STS refused the credentials: {code or 'error'} {message}".strip()
        )
    except BotoCoreError as exc:
        return IdentityState(None, None, region, f"STS call failed: {type(exc).__name__}")
    return IdentityState(answer.get("Arn"), answer.get("Account"), region, "ok")
