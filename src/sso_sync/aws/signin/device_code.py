"""Sign-in by the OAuth device authorization flow (RFC 8628): `aws sso login --use-device-code`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.signin.registration import obtain_registration
from sso_sync.aws.token_cache import TokenCache, reason, store_token
from sso_sync.errors import AwsError, LoginRequired

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc import SSOOIDCClient

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5  # seconds added to the polling interval on SlowDownException (RFC 8628)


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
        raise AwsError(f"IAM Identity Center refused the sign-in: {reason(exc)}") from None

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
                raise AwsError(f"sign-in failed: {reason(exc)}") from None
        if time.monotonic() + interval > give_up:
            raise LoginRequired(
                f"the sign-in code expired before it was approved: run `{profile.login_hint}` again"
            )
        sleep(interval)

    return store_token(cache, profile, registration, token, issued=now())
