"""`sso-sync login`."""

from __future__ import annotations

from typing import Annotated

import typer

from sso_sync.cli.options import (
    DEFAULT_TIMEOUT,
    NoBrowserOption,
    ProfileOption,
    TimeoutOption,
    UseDeviceCodeOption,
)
from sso_sync.cli.session import AwsSession, command_deadline


def login(
    profile: ProfileOption = None,
    no_browser: NoBrowserOption = False,
    use_device_code: UseDeviceCodeOption = False,
    use_auth_code: Annotated[
        bool,
        typer.Option(
            "--use-auth-code",
            help="Use the browser flow (PKCE, callback on 127.0.0.1) even where it looks "
            "unreachable (SSH, container, no display, CI).",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Sign in again even if the cached session is still valid."),
    ] = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Sign in to IAM Identity Center for a profile and cache the token as AWS CLI v2 does.

    sso-session profiles use the browser flow with PKCE; legacy profiles, --use-device-code
    and places a browser cannot reach 127.0.0.1 use a device code. A live session is reused.
    """
    with command_deadline(timeout) as deadline:
        AwsSession(profile, deadline=deadline).login(
            open_browser=not no_browser,
            force=force,
            use_device_code=use_device_code,
            use_auth_code=use_auth_code,
        )
