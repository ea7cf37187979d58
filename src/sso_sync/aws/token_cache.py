"""The AWS CLI v2 token cache (`~/.aws/sso/cache`): reading, storing and silently refreshing tokens.

The cache is byte-for-byte the AWS CLI's format, so `aws`, botocore and every SDK read what we
write and we read theirs. Silent refresh is botocore's own `SSOTokenProvider`, given our cache.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.signin.registration import Registration
from sso_sync.deadline import Deadline
from sso_sync.errors import AwsError, DeadlineReached, LockTimeout
from sso_sync.files import (
    LOCK_TIMEOUT_SECONDS,
    locked,
    parse_utc_timestamp,
    read_json,
    utc_timestamp,
    write_private_json,
)

if TYPE_CHECKING:
    from botocore.session import Session
    from mypy_boto3_sso_oidc.type_defs import CreateTokenResponseTypeDef

log = logging.getLogger(__name__)

# botocore refreshes a token within 15 minutes of its expiry; outside that it is used as is.
REFRESH_WINDOW = timedelta(minutes=15)
# The refresh's network call under the token lock ends within this (plus botocore's retry
# sleeps, a few seconds), well inside the LOCK_TIMEOUT_SECONDS other processes wait for it.
REFRESH_SECONDS = 20.0
# Longer than taking a free lock, shorter than any refresh: the lock was another process's.
WAITED_SECONDS = 0.1


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
    *,
    deadline: Deadline | None = None,
) -> str | None:
    """A usable access token from the cache, refreshed silently when it is near expiry and
    refreshable; None when a sign-in is needed."""
    token = cached_token(session, profile, cache, now, deadline=deadline)
    return token.access_token if token is not None else None


def cached_token(
    session: Session,
    profile: SsoProfile,
    cache: TokenCache,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    *,
    deadline: Deadline | None = None,
) -> CachedToken | None:
    """The cached token and its expiry, refreshed as `cached_access_token` describes.

    A refresh that fails for want of the network (or of time) is not a refusal: the current
    token is used while it is valid, and only when it is not is that an error (exit 1), not a
    call to sign in again."""
    key = profile.token_cache_key
    current = _token_of(cache.get(key))
    if current is None:
        return None
    if profile.session_name is None:
        # Legacy profiles have no refresh token; the AWS CLI only checks the expiry.
        return current if current.expires_at > now() else None
    if current.expires_at - now() >= REFRESH_WINDOW:
        return current  # nothing for botocore to refresh, so no lock in the common case

    from botocore.exceptions import BotoCoreError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.tokens import SSOTokenProvider

    left = math.inf if deadline is None else deadline.remaining()
    # Check, refresh and write under the token file's lock, so that of many processes finding
    # the token due at once, one refreshes and the rest read its result. botocore re-reads the
    # file inside the lock, and its write (TokenCache.__setitem__) re-enters the same lock.
    # The refresh has its own shorter deadline, and waiting for another process's refresh is
    # bounded too (a third of what is left, each): a stalled refresh leaves time to use the
    # current token, and the lock is never held longer than others wait.
    asked = time.monotonic()
    try:
        with (
            locked(cache.path(key), timeout=min(LOCK_TIMEOUT_SECONDS, left / 3)),
            # Its own thread's sockets only: a push asks for credentials in the background.
            Deadline(min(REFRESH_SECONDS, left / 3), what="token refresh").guard(this_thread=True),
        ):
            waited = time.monotonic() - asked > WAITED_SECONDS
            if waited and current.expires_at > now() and _token_of(cache.get(key)) == current:
                # Another process held the lock to refresh, and the token it leaves is the one
                # we had: its refresh failed. Trying again at once would most likely stall as
                # long again, while this run (a push) holds its targets' locks and makes the
                # other wait for them: the token in hand is used while it lasts.
                return _keep_current(current, profile, None, now)
            provider = SSOTokenProvider(session, cache=cache, profile_name=profile.name)  # type: ignore[arg-type]
            try:
                deferred = provider.load_token()
                frozen = None if deferred is None else deferred.get_frozen_token()
            except (BotoConnectionError, HTTPClientError, DeadlineReached) as exc:
                if deadline is not None and deadline.expired:
                    raise deadline.reached("IAM Identity Center", sent=True) from None
                return _keep_current(current, profile, exc, now)
            # botocore parses the entry's dates and fields itself: a damaged entry (say, an
            # unparseable registrationExpiresAt) fails there as a ValueError or TypeError, as
            # does an answer that is not the service's (a proxy's page). The token in hand is
            # still used while it lasts; after that, it means the same as a dead refresh
            # token: sign in again.
            except (BotoCoreError, ValueError, TypeError, KeyError) as exc:
                log.debug("no usable cached token for %s: %s", profile.name, type(exc).__name__)
                return current if current.expires_at > now() else None
    except LockTimeout as exc:  # the lock: another process refreshing past our deadline
        if deadline is not None and deadline.expired:
            raise deadline.reached("waiting for the token lock", sent=False) from None
        return _keep_current(current, profile, exc, now)
    if frozen is None or frozen.expiration is None or frozen.expiration <= now():
        return None
    return CachedToken(frozen.token, frozen.expiration)


def _keep_current(
    current: CachedToken,
    profile: SsoProfile,
    exc: Exception | None,
    now: Callable[[], datetime],
) -> CachedToken:
    """The refresh could not reach IAM Identity Center (`exc`; None: another process's could
    not, just now): the token still works until it ends."""
    if current.expires_at > now():
        why = (
            "another process's refresh just failed"
            if exc is None
            else "no answer in time"
            if isinstance(exc, DeadlineReached)
            else type(exc).__name__
        )
        log.warning(
            "could not refresh the sign-in of profile %s (%s); using it while it lasts",
            profile.name,
            why,
        )
        return current
    raise AwsError(
        f"cannot reach IAM Identity Center to renew the sign-in of profile '{profile.name}' "
        f"({type(exc).__name__}): check the network and AWS_ENDPOINT_URL_SSO_OIDC, then retry"
    ) from None


def _token_of(entry: dict[str, Any] | None) -> CachedToken | None:
    if not entry or "accessToken" not in entry or "expiresAt" not in entry:
        return None
    expires = parse_utc_timestamp(entry["expiresAt"])
    return None if expires is None else CachedToken(str(entry["accessToken"]), expires)


def reason(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return type(exc).__name__
