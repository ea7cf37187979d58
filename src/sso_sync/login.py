"""IAM Identity Center sign-in and the AWS CLI v2 token cache (`~/.aws/sso/cache`).

The cache is byte-for-byte the AWS CLI's format, so `aws`, botocore and every SDK read what we
write and we read theirs. Silent refresh is botocore's own `SSOTokenProvider`, given our cache.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync.errors import AwsError, LoginRequired
from sso_sync.files import locked, read_json, utc_timestamp, write_private_json
from sso_sync.profiles import SsoProfile
from sso_sync.registration import Registration, obtain_registration

if TYPE_CHECKING:
    from botocore.session import Session
    from mypy_boto3_sso_oidc import SSOOIDCClient
    from mypy_boto3_sso_oidc.type_defs import CreateTokenResponseTypeDef

log = logging.getLogger(__name__)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# botocore refreshes a token within 15 minutes of its expiry; outside that it is used as is.
REFRESH_WINDOW = timedelta(minutes=15)
SLOW_DOWN_STEP = 5  # seconds added to the polling interval on SlowDownException (RFC 8628)


class TokenCache(MutableMapping[str, dict[str, Any]]):
    """`~/.aws/sso/cache` as the mapping botocore's token provider expects, writing safely."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def __getitem__(self, key: str) -> dict[str, Any]:
        data = read_json(self.path(key))
        if data is None:
            raise KeyError(key)
        return data

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        path = self.path(key)
        with locked(path):
            write_private_json(path, value)

    def __delitem__(self, key: str) -> None:
        path = self.path(key)
        with locked(path):
            try:
                path.unlink()
            except FileNotFoundError:
                raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.path(key).is_file()

    def __iter__(self) -> Iterator[str]:
        return (p.stem for p in sorted(self.directory.glob("*.json")))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class DevicePrompt:
    verification_uri: str
    verification_uri_complete: str
    user_code: str
    expires_in: int


def device_login(
    oidc: SSOOIDCClient,
    profile: SsoProfile,
    cache: TokenCache,
    *,
    show_prompt: Callable[[DevicePrompt], None],
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> datetime:
    """Run the OAuth device authorization flow and cache the token; returns its expiry."""
    from botocore.exceptions import ClientError

    registration = obtain_registration(oidc, profile, cache, auth_code=False, now=now)
    try:
        authorization = oidc.start_device_authorization(
            clientId=registration.client_id,
            clientSecret=registration.client_secret,
            startUrl=profile.start_url,
        )
    except ClientError as exc:
        raise AwsError(f"IAM Identity Center refused the sign-in: {_reason(exc)}") from None

    show_prompt(
        DevicePrompt(
            verification_uri=authorization["verificationUri"],
            verification_uri_complete=authorization.get(
                "verificationUriComplete", authorization["verificationUri"]
            ),
            user_code=authorization["userCode"],
            expires_in=authorization["expiresIn"],
        )
    )
    asked = authorization.get("interval")
    interval = 5.0 if asked is None else float(asked)
    give_up = time.monotonic() + authorization["expiresIn"]
    while True:
        try:
            token = oidc.create_token(
                grantType=DEVICE_GRANT,
                deviceCode=authorization["deviceCode"],
                clientId=registration.client_id,
                clientSecret=registration.client_secret,
            )
            break
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "AuthorizationPendingException":
                pass
            elif code == "SlowDownException":
                interval += SLOW_DOWN_STEP
            elif code == "ExpiredTokenException":
                raise LoginRequired(
                    f"the sign-in code expired before it was approved: "
                    f"run `{profile.login_hint}` again"
                ) from None
            else:
                raise AwsError(f"sign-in failed: {_reason(exc)}") from None
        if time.monotonic() + interval > give_up:
            raise LoginRequired(
                f"the sign-in code expired before it was approved: run `{profile.login_hint}` again"
            )
        sleep(interval)

    return store_token(cache, profile, registration, token, issued=now())


def store_token(
    cache: TokenCache,
    profile: SsoProfile,
    registration: Registration,
    token: CreateTokenResponseTypeDef,
    *,
    issued: datetime,
) -> datetime:
    """Cache a new token as AWS CLI v2 does (with its registration, so botocore can refresh it);
    returns its expiry."""
    expires_at = issued + timedelta(seconds=token["expiresIn"])
    entry: dict[str, Any] = {
        "startUrl": profile.start_url,
        "region": profile.sso_region,
        "accessToken": token["accessToken"],
        "expiresAt": utc_timestamp(expires_at),
        "clientId": registration.client_id,
        "clientSecret": registration.client_secret,
        "registrationExpiresAt": utc_timestamp(registration.expires_at),
    }
    if token.get("refreshToken"):
        entry["refreshToken"] = token["refreshToken"]
    cache[profile.token_cache_key] = entry
    log.info("cached SSO token for %s in %s", profile.name, cache.path(profile.token_cache_key))
    return expires_at


@dataclass(frozen=True)
class CachedToken:
    access_token: str = field(repr=False)
    expires_at: datetime


def cached_access_token(
    session: Session,
    profile: SsoProfile,
    cache: TokenCache,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> str | None:
    """A usable access token from the cache, refreshed silently when it is near expiry and
    refreshable; None when a sign-in is needed."""
    token = cached_token(session, profile, cache, now)
    return token.access_token if token is not None else None


def cached_token(
    session: Session,
    profile: SsoProfile,
    cache: TokenCache,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> CachedToken | None:
    """The cached token and its expiry, refreshed as `cached_access_token` describes."""
    key = profile.token_cache_key
    current = _token_of(cache.get(key))
    if current is None:
        return None
    if profile.session_name is None:
        # Legacy profiles have no refresh token; the AWS CLI only checks the expiry.
        return current if current.expires_at > now() else None
    if current.expires_at - now() >= REFRESH_WINDOW:
        return current  # nothing for botocore to refresh, so no lock in the common case

    from botocore.exceptions import BotoCoreError
    from botocore.tokens import SSOTokenProvider

    # Check, refresh and write under the token file's lock, so that of many processes finding
    # the token due at once, one refreshes and the rest read its result. botocore re-reads the
    # file inside the lock, and its write (TokenCache.__setitem__) re-enters the same lock.
    with locked(cache.path(key)):
        provider = SSOTokenProvider(session, cache=cache, profile_name=profile.name)  # type: ignore[arg-type]
        deferred = provider.load_token()
        if deferred is None:
            return None
        try:
            frozen = deferred.get_frozen_token()
        except BotoCoreError as exc:
            log.debug("no usable cached token for %s: %s", profile.name, type(exc).__name__)
            return None
    if frozen is None or frozen.expiration is None or frozen.expiration <= now():
        return None
    return CachedToken(frozen.token, frozen.expiration)


def _token_of(entry: dict[str, Any] | None) -> CachedToken | None:
    if not entry or "accessToken" not in entry or "expiresAt" not in entry:
        return None
    try:
        return CachedToken(str(entry["accessToken"]), _parse_time(str(entry["expiresAt"])))
    except ValueError:
        return None


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _reason(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return type(exc).__name__
