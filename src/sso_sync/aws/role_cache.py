"""Role credentials cached in `~/.aws/cli/cache`, named and shaped as AWS CLI v2 does it.

AWS CLI v2 gives botocore's `SSOCredentialFetcher` a `JSONFileCache` on `~/.aws/cli/cache`, so
every file we write there is one the AWS CLI (and any botocore session given the same cache)
picks up instead of calling GetRoleCredentials, and we reuse theirs the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.role_credentials import RoleCredentials, is_credential_text
from sso_sync.files import (
    locked,
    parse_utc_timestamp,
    read_json,
    utc_timestamp,
    write_private_json,
)

log = logging.getLogger(__name__)

# botocore's CachedCredentialFetcher treats cached credentials with less than this left as
# expired (DEFAULT_EXPIRY_WINDOW_SECONDS); we use the same window so we never hand out
# credentials that the AWS CLI itself would already refuse.
MIN_REMAINING = timedelta(minutes=15)


def cache_key(profile: SsoProfile) -> str:
    """botocore's `SSOCredentialFetcher._create_cache_key`: sha1 of compact sorted-keys JSON."""
    args = {"roleName": profile.role_name, "accountId": profile.account_id}
    if profile.session_name:
        args["sessionName"] = profile.session_name
    else:
        args["startUrl"] = profile.start_url
    text = json.dumps(args, sort_keys=True, separators=(",", ":"))
    # The digest is hex, so botocore's `_make_file_safe` (which replaces ':', '/', '\\') is a no-op.
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # noqa: S324 - a file name


class RoleCache:
    """`~/.aws/cli/cache/<key>.json` entries with `"ProviderType": "sso"`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, profile: SsoProfile) -> Path:
        return self.directory / f"{cache_key(profile)}.json"

    def load(
        self,
        profile: SsoProfile,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        min_remaining: timedelta = MIN_REMAINING,
    ) -> RoleCredentials | None:
        """Cached credentials for the profile's role with at least `min_remaining` left."""
        data = read_json(self.path(profile))
        credentials = _parse_entry(data, profile)
        if credentials is None:
            return None
        if credentials.expiration - now() < min_remaining:
            log.debug("cached role credentials for %s are too close to expiry", profile.name)
            return None
        return credentials

    def store(self, profile: SsoProfile, credentials: RoleCredentials) -> Path:
        path = self.path(profile)
        with locked(path):
            write_private_json(path, entry_for(credentials))
        log.debug("cached role credentials for %s in %s", profile.name, path)
        return path


def entry_for(credentials: RoleCredentials) -> dict[str, Any]:
    """The body botocore's SSOCredentialFetcher writes, key for key and in the same order."""
    return {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token,
            "Expiration": utc_timestamp(credentials.expiration),
            "AccountId": credentials.account_id,
        },
    }


def _parse_entry(data: dict[str, Any] | None, profile: SsoProfile) -> RoleCredentials | None:
    if data is None or data.get("ProviderType") != "sso":
        return None
    body = data.get("Credentials")
    if not isinstance(body, dict):
        return None
    try:
        values = {k: str(body[k]) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
    except KeyError:
        return None
    expiration = parse_utc_timestamp(body.get("Expiration"))
    if expiration is None or not all(is_credential_text(v) for v in values.values()):
        return None  # treated as no cache entry: fresh credentials are fetched and checked
    return RoleCredentials(
        account_id=profile.account_id,
        role_name=profile.role_name,
        access_key_id=values["AccessKeyId"],
        secret_access_key=values["SecretAccessKey"],
        session_token=values["SessionToken"],
        expiration=expiration,
    )


def reuse_or_fetch(
    cache: RoleCache,
    profile: SsoProfile,
    fetch: Callable[[], RoleCredentials],
    *,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> tuple[RoleCredentials, bool]:
    """Live cached credentials (>= 15 min left), else fresh ones, which are then cached.

    Returns the credentials and whether they came from the cache.
    """
    cached = cache.load(profile, now=now)
    if cached is not None:
        return cached, True
    fresh = fetch()
    cache.store(profile, fresh)
    return fresh, False
