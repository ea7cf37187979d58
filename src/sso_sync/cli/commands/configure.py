"""`sso-sync configure`: what `aws configure sso` does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sso_sync.aws.profiles import AwsPaths
from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.clients import command_deadline

if TYPE_CHECKING:
    from sso_sync.aws.profiles import SsoProfile


SessionNameOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--session-name",
        metavar="NAME",
        help="Name of the [sso-session] section to use or create.",
    ),
]

StartUrlOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--start-url", metavar="URL", help="IAM Identity Center start URL (AWS access portal)."
    ),
]

RegionOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--region", metavar="REGION", help="Region of IAM Identity Center (sso_region)."),
]

ScopesOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--scopes",
        metavar="SCOPES",
        help="Registration scopes, comma-separated. Default: sso:account:access.",
    ),
]

AccountIdOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--account-id", metavar="ID", help="Account to use; otherwise chosen from a menu."
    ),
]

RoleNameOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--role-name", metavar="NAME", help="Role to use; otherwise chosen from a menu."),
]

ProfileOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--profile", "-p", metavar="NAME", help="Profile to write. Default: ROLE-ACCOUNT."
    ),
]

ProfileRegionOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--profile-region",
        metavar="REGION",
        help="Default region of the new profile. Default: --region.",
    ),
]

OverwriteOption = Annotated[
    bool,
    typer.Option("--overwrite", help="Replace an existing profile or sso-session's settings."),
]


def configure(
    session_name: SessionNameOption = None,
    start_url: StartUrlOption = None,
    region: RegionOption = None,
    scopes: ScopesOption = None,
    account_id: AccountIdOption = None,
    role_name: RoleNameOption = None,
    profile: ProfileOption = None,
    profile_region: ProfileRegionOption = None,
    overwrite: OverwriteOption = False,
    no_browser: opt.NoBrowserOption = False,
    use_device_code: opt.UseDeviceCodeOption = False,
    use_auth_code: opt.UseAuthCodeOption = False,
    timeout: opt.TimeoutOption = opt.DEFAULT_TIMEOUT,
) -> None:
    """Create an SSO profile in ~/.aws/config, as `aws configure sso` does (flags or menus).

    With --account-id, --role-name and --profile nothing is asked. Other lines and comments of
    the file are kept; the previous version is saved as config.bak.
    """
    from sso_sync import clients
    from sso_sync.aws.configure import ConfigureRequest, live_access_token, run_configure
    from sso_sync.errors import LoginRequired, UsageError

    paths = AwsPaths.from_environ(current().environ)
    request = ConfigureRequest(
        session_name=session_name,
        start_url=start_url,
        region=region,
        scopes=scopes,
        account_id=account_id,
        role_name=role_name,
        profile=profile,
        profile_region=profile_region,
        overwrite=overwrite,
    )
    if current().environ.get("CI") and not request.non_interactive:
        raise UsageError(
            "configure needs --account-id, --role-name and --profile when CI is set "
            "(nothing can be asked)"
        )

    with command_deadline(timeout) as deadline:
        prompter = ui.PatientPrompter(deadline)

        def access_token(sso_profile: SsoProfile) -> str:
            aws = current().aws(None, paths=paths, unsaved=sso_profile, deadline=deadline)
            token = live_access_token(aws.cache, sso_profile)
            if token is None:
                aws.login(
                    open_browser=not no_browser,
                    use_device_code=use_device_code,
                    use_auth_code=use_auth_code,
                )
                token = live_access_token(aws.cache, sso_profile)
            if token is None:
                raise LoginRequired("the sign-in produced no usable token: run configure again")
            return token

        def sso(sso_region: str) -> Any:
            return current().aws_clients(deadline=deadline, paths=paths).sso_client(sso_region)

        with clients.aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO", deadline):
            result = run_configure(
                request,
                config_file=paths.config_file,
                sso=sso,
                access_token=access_token,
                prompter=prompter,
            )
    p = result.profile
    if not result.changed:
        ui.err(f"{result.config_file} already has profile '{p.name}' exactly so: nothing written")
    else:
        saved = f" (previous version in {result.backup})" if result.backup else ""
        ui.err(f"wrote {' and '.join(result.written)} to {result.config_file}{saved}")
    ui.out(p.name)
    ui.err(f"try: sso-sync status --profile {p.name}")
