"""`sso-sync status`: is a profile usable, and for how long."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sso_sync.cli import ui
from sso_sync.cli.options import JsonOption, ProfileOption
from sso_sync.cli.session import AwsSession
from sso_sync.errors import OperationFailed

if TYPE_CHECKING:
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.aws.status import StatusReport


def status(profile: ProfileOption = None, as_json: JsonOption = False) -> None:
    """Show whether a profile is usable: sign-in, registration, role credentials, identity.

    Never starts a sign-in; it refreshes the token silently when any AWS SDK would. Exit 0 when
    usable, 3 when a sign-in is needed.
    """
    from sso_sync import clients
    from sso_sync.aws.profiles import profile_region
    from sso_sync.aws.role_cache import RoleCache
    from sso_sync.aws.status import collect_status, sts_region
    from sso_sync.errors import LoginRequired

    aws = AwsSession(profile)
    own_region = profile_region(aws.session.full_config, aws.profile.name)
    region = sts_region(os.environ, own_region, aws.profile.sso_region)

    def sts_for(credentials: RoleCredentials) -> Any:
        return clients.sts_client(
            aws.session,
            region,
            access_key_id=credentials.access_key_id,
            secret_access_key=credentials.secret_access_key,
            session_token=credentials.session_token,
        )

    with clients.aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO"):
        report = collect_status(
            session=aws.session,
            profile=aws.profile,
            cache=aws.cache,
            role_cache=RoleCache(aws.paths.cli_cache),
            sso=aws.sso,
            sts_for=sts_for,
            region=region,
        )
    if as_json:
        ui.out_json(report.as_dict())
    else:
        _print_status(report)
    if report.sign_in_needed:
        raise LoginRequired(
            f"profile '{report.profile}' needs a sign-in: run `{aws.profile.login_hint}`"
        )
    if not report.usable:
        raise OperationFailed(f"profile '{report.profile}' is not usable: see above")


def _print_status(report: StatusReport) -> None:
    s, reg = report.sso_session, report.registration
    role, who = report.role_credentials, report.caller_identity
    session_label = f"[sso-session {s.session_name}]" if s.session_name else "legacy profile"
    ui.out(f"profile {report.profile}: {'usable' if report.usable else 'NOT usable'}")
    ui.out(f"  sign-in       {session_label} {s.start_url} ({s.region})")
    ui.out(f"                {s.verdict}")
    ui.out(f"  registration  {reg.verdict}")
    ui.out(f"  role          {role.account_id}/{role.role_name}: {role.verdict}")
    ui.out(f"  identity      {who.arn or '-'}: {who.verdict}")
    budget = report.session_budget
    if budget is not None:
        until = f"at most until {budget.until}" if budget.until else "not known"
        ui.out(f"  unattended    {until} ({budget.limited_by}); {budget.note}")
