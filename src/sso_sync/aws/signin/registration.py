"""OIDC client registrations, cached in `~/.aws/sso/cache` exactly as AWS CLI v2 caches them.

AWS CLI v2 (`awscli/botocore/utils.py`, `BaseSSOTokenFetcher`) names the file after the SHA-1 of
`json.dumps({"tool": "botocore", "startUrl", "region", "scopes", "session_name"},
sort_keys=True)`, where `scopes` is `sso_registration_scopes` as configured (null when absent), and
reuses a registration until 15 minutes before it expires, but only for the flow it was made for:
a registration whose `grantTypes` include `authorization_code` serves only the browser flow, any
other only the device flow. We use the same key, so the AWS CLI and sso-sync share one
registration per session instead of registering a new client at every sign-in.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sso_sync.aws.profiles import SsoProfile
from sso_sync.errors import AwsError
from sso_sync.files import parse_utc_timestamp, utc_timestamp

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc import SSOOIDCClient

log = logging.getLogger(__name__)

AUTH_CODE_GRANTS = ("authorization_code", "refresh_token")
# Registered without a port: RFC 8252 lets a loopback redirect use any port at request time.
REDIRECT_URI = "http://127.0.0.1/oauth/callback"
EXPIRY_WINDOW = timedelta(minutes=15)
CACHE_TOOL = "botocore"  # the AWS CLI's value; sharing it shares the registration file


@dataclass(frozen=True)
class Registration:
    client_id: str
    client_secret: str = field(repr=False)
    expires_at: datetime
    scopes: tuple[str, ...] | None = None
    grant_types: tuple[str, ...] | None = None

    @property
    def for_auth_code(self) -> bool:
        # Registrations cached before the AWS CLI recorded grantTypes are device-flow ones.
        return "authorization_code" in (self.grant_types or ())

    def as_cache_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "expiresAt": utc_timestamp(self.expires_at),
        }
        if self.scopes:
            entry["scopes"] = list(self.scopes)
        if self.grant_types:
            entry["grantTypes"] = list(self.grant_types)
        return entry


def registration_cache_key(profile: SsoProfile) -> str:
    """The file stem AWS CLI v2 uses for this profile's client registration."""
    scopes = profile.configured_scopes
    args: dict[str, object] = {
        "tool": CACHE_TOOL,
        "startUrl": profile.start_url,
        "region": profile.sso_region,
        "scopes": list(scopes) if scopes is not None else None,
        "session_name": profile.session_name,
    }
    text = json.dumps(args, sort_keys=True)  # the AWS CLI's default separators, not compact ones
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # noqa: S324 - a file name, not security


def client_name(profile: SsoProfile, now: datetime) -> str:
    """The AWS CLI's name for the registration: the registration file is shared with it."""
    suffix = profile.session_name or str(int(now.timestamp()))
    return f"botocore-client-{suffix}"


def obtain_registration(
    oidc: SSOOIDCClient,
    profile: SsoProfile,
    cache: MutableMapping[str, dict[str, Any]],
    *,
    auth_code: bool,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Registration:
    """A cached registration for this flow if one is good for 15 more minutes, else a new one."""
    key = registration_cache_key(profile)
    cached = _from_cache(cache.get(key))
    if (
        cached is not None
        and cached.for_auth_code == auth_code
        and cached.expires_at - now() >= EXPIRY_WINDOW
    ):
        log.debug("reusing the client registration in %s.json", key)
        return cached
    registration = _register(oidc, profile, auth_code=auth_code, now=now())
    cache[key] = registration.as_cache_entry()
    return registration


def _register(
    oidc: SSOOIDCClient, profile: SsoProfile, *, auth_code: bool, now: datetime
) -> Registration:
    from botocore.exceptions import ClientError

    scopes = list(profile.scopes)
    try:
        if auth_code:
            response = oidc.register_client(
                clientName=client_name(profile, now),
                clientType="public",
                grantTypes=list(AUTH_CODE_GRANTS),
                redirectUris=[REDIRECT_URI],
                issuerUrl=profile.start_url,
                scopes=scopes,
            )
        else:
            response = oidc.register_client(
                clientName=client_name(profile, now), clientType="public", scopes=scopes
            )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise AwsError(
            f"IAM Identity Center refused to register a sign-in client "
            f"({error.get('Code', 'error')}): check sso_start_url, sso_region and "
            f"sso_registration_scopes of profile '{profile.name}'"
        ) from None
    return Registration(
        client_id=response["clientId"],
        client_secret=response["clientSecret"],
        expires_at=datetime.fromtimestamp(response["clientSecretExpiresAt"], timezone.utc),
        scopes=tuple(scopes),
        grant_types=AUTH_CODE_GRANTS if auth_code else None,
    )


def _from_cache(entry: dict[str, Any] | None) -> Registration | None:
    if not entry:
        return None
    expires = parse_utc_timestamp(entry.get("expiresAt"))
    if expires is None:
        return None  # unreadable: register afresh and overwrite it
    try:
        return Registration(
            client_id=str(entry["clientId"]),
            client_secret=str(entry["clientSecret"]),
            expires_at=expires,
            scopes=tuple(entry["scopes"]) if entry.get("scopes") else None,
            grant_types=tuple(entry["grantTypes"]) if entry.get("grantTypes") else None,
        )
    except (KeyError, ValueError, TypeError):
        return None  # unreadable: register afresh and overwrite it
