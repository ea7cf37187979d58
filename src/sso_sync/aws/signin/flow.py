"""`login`: reuse a live session, or choose a sign-in flow (browser with PKCE, or device code)
and run it."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.signin.auth_code import TIME_LIMIT_SECONDS, auth_code_login
from sso_sync.aws.signin.device_code import DevicePrompt, device_login
from sso_sync.aws.token_cache import REFRESH_WINDOW, TokenCache, cached_token
from sso_sync.errors import UsageError

if TYPE_CHECKING:
    from botocore.session import Session
    from mypy_boto3_sso_oidc import SSOOIDCClient


class Flow(enum.Enum):
    AUTH_CODE = "browser (authorization code with PKCE)"
    DEVICE_CODE = "device code"


@dataclass(frozen=True)
class FlowChoice:
    flow: Flow
    note: str | None = None  # why this flow was picked for the user, shown before it runs
    headless: bool = False  # no local browser can help: do not try to open one


@dataclass(frozen=True)
class SignInUi:
    """How a sign-in talks to the person: all of it goes to stderr in the CLI."""

    say: Callable[[str], None]
    show_device_prompt: Callable[[DevicePrompt, bool], None]  # (prompt, browser opened)
    show_url: Callable[[str, bool], None]  # (authorize URL, browser opened)
    open_browser: Callable[[str], object] | None  # None: --no-browser


@dataclass(frozen=True)
class SignInResult:
    expires_at: datetime
    reused: bool
    flow: Flow | None  # None when the live session was reused


def browser_unreachable_reason(
    environ: Mapping[str, str],
    *,
    platform: str = sys.platform,
    exists: Callable[[str], bool] = os.path.exists,
) -> str | None:
    """Why a browser could not reach a callback on this machine's 127.0.0.1, or None."""
    if environ.get("CI"):
        return "CI is set"
    if environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"):
        return "this is an SSH session"
    if exists("/.dockerenv"):
        return "this is a container (/.dockerenv exists)"
    if platform.startswith("linux") and not (
        environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY")
    ):
        return "there is no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)"
    return None


def choose_flow(
    profile: SsoProfile,
    *,
    use_device_code: bool,
    use_auth_code: bool,
    environ: Mapping[str, str],
    platform: str = sys.platform,
    exists: Callable[[str], bool] = os.path.exists,
) -> FlowChoice:
    if use_device_code and use_auth_code:
        raise UsageError("--use-device-code and --use-auth-code exclude each other: pass one")
    if use_device_code:
        return FlowChoice(Flow.DEVICE_CODE)
    if profile.session_name is None:
        if use_auth_code:
            raise UsageError(
                f"profile '{profile.name}' has no sso_session, and the browser flow needs one: "
                f"move its sso_start_url/sso_region into an [sso-session] section "
                f"(`aws configure sso-session`), or drop --use-auth-code"
            )
        return FlowChoice(
            Flow.DEVICE_CODE,
            note=f"Signing in with a device code: profile '{profile.name}' has no sso_session "
            f"(legacy profiles cannot use the browser flow, as with the AWS CLI).",
        )
    if use_auth_code:
        return FlowChoice(Flow.AUTH_CODE)
    reason = browser_unreachable_reason(environ, platform=platform, exists=exists)
    if reason is not None:
        return FlowChoice(
            Flow.DEVICE_CODE,
            note=f"Signing in with a device code: {reason}, so a browser probably cannot reach "
            f"the sign-in callback on 127.0.0.1 (pass --use-auth-code to try anyway).",
            headless=True,
        )
    return FlowChoice(Flow.AUTH_CODE)


def sign_in(
    session: Session,
    oidc: SSOOIDCClient,
    profile: SsoProfile,
    cache: TokenCache,
    *,
    choice: FlowChoice,
    ui: SignInUi,
    force: bool = False,
    time_limit: float = TIME_LIMIT_SECONDS,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    accepted: Callable[[str], bool] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> SignInResult:
    """Reuse the cached session if it is good for 15 more minutes (after a silent refresh if
    one is due) and `accepted` (the server) still takes it, unless `force`; otherwise run the
    chosen flow and cache the new token. `on_wait` runs as the flow starts waiting for a
    person (the command's deadline gives way to the flow's own limit there)."""
    if not force:
        live = cached_token(session, profile, cache, now)
        if live is not None and live.expires_at - now() >= REFRESH_WINDOW:
            if accepted is None or accepted(live.access_token):
                return SignInResult(live.expires_at, reused=True, flow=None)
            ui.say(
                f"IAM Identity Center no longer accepts the cached sign-in for profile "
                f"'{profile.name}' (ended early, or revoked): signing in again."
            )
    if on_wait is not None:
        on_wait()
    if choice.note:
        ui.say(choice.note)
    opener = None if choice.headless else ui.open_browser
    if choice.flow is Flow.AUTH_CODE:
        expires = auth_code_login(
            oidc,
            profile,
            cache,
            open_browser=opener,
            show_url=ui.show_url,
            time_limit=time_limit,
            now=now,
        )
    else:

        def show(prompt: DevicePrompt) -> None:
            opened = False
            if opener is not None:
                try:
                    opened = bool(opener(prompt.verification_uri_complete))
                except Exception:  # no browser: the prompt says where to go anyway
                    opened = False
            ui.show_device_prompt(prompt, opened)

        expires = device_login(oidc, profile, cache, show_prompt=show, now=now)
    return SignInResult(expires, reused=False, flow=choice.flow)
