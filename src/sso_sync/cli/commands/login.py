"""`sso-sync login`."""

from __future__ import annotations

from typing import Annotated

import typer

from sso_sync.aws.session import AwsSession
from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.clients import command_deadline


def login(
    profile: opt.ProfileOption = None,
    no_browser: opt.NoBrowserOption = False,
    use_device_code: opt.UseDeviceCodeOption = False,
    use_auth_code: opt.UseAuthCodeOption = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Sign in again even if the cached session is still valid."),
    ] = False,
    new_session: Annotated[
        bool,
        typer.Option(
            "--new-session",
            help="Sign out first (sso:Logout), so the new portal session starts at its full "
            "length instead of inheriting the live one's end.",
        ),
    ] = False,
    timeout: opt.TimeoutOption = opt.DEFAULT_TIMEOUT,
) -> None:
    """Sign in to IAM Identity Center for a profile and cache the token as AWS CLI v2 does.

    sso-session profiles use the browser flow with PKCE; legacy profiles, --use-device-code
    and places a browser cannot reach 127.0.0.1 use a device code. A live session is reused.
    """
    with command_deadline(timeout) as deadline:
        aws = current().aws(profile, deadline=deadline)
        if new_session:
            _sign_out(aws)
        aws.login(
            open_browser=not no_browser,
            force=force or new_session,
            use_device_code=use_device_code,
            use_auth_code=use_auth_code,
        )


def _sign_out(aws: AwsSession) -> None:
    """End the live portal session: IAM Identity Center would otherwise hand the new sign-in the
    same session, and with it the old end."""
    from sso_sync.aws.logout import logout, scope_for_profile

    report = logout(
        aws.sso_client,
        aws.paths.sso_cache,
        aws.paths.cli_cache,
        scope_for_profile(aws.session.full_config, aws.profile),
    )
    if report.revoked:
        ui.err("Signed out of the previous session; signing in to a new one.")
    if report.unreachable:
        ui.err(
            "Could not reach IAM Identity Center to end the previous session: the new sign-in "
            "may keep its end."
        )
