"""`sso-sync status`: is a profile usable, and for how long."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sso_sync.aws.session import AwsSession
from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.clients import command_deadline
from sso_sync.errors import OperationFailed

if TYPE_CHECKING:
    from sso_sync.aws.status import StatusReport


def status(
    profile: opt.ProfileOption = None,
    as_json: opt.JsonOption = False,
    timeout: opt.TimeoutOption = opt.DEFAULT_TIMEOUT,
) -> None:
    """Show whether a profile is usable: sign-in, registration, role credentials, identity.

    Never starts a sign-in; it refreshes the token silently when any AWS SDK would. Exit 0 when
    role credentials (cached or fetched) are in hand and STS accepts them, as `export` would
    use them; 1 when STS refuses them or the network fails with none cached; 3 when there are
    none and a sign-in is needed.
    """
    with command_deadline(timeout) as deadline:
        _status(current().aws(profile, deadline=deadline), as_json)


def _status(aws: AwsSession, as_json: bool) -> None:
    from sso_sync.errors import LoginRequired

    report = aws.status_report()
    if as_json:
        current().out_json(report.as_dict())
    else:
        _print_status(report)
    if report.usable:
        if report.sign_in_needed:
            ui.err(
                f"note: the role credentials work until {report.role_credentials.expires_at}; "
                f"new ones need a sign-in: run `{aws.profile.login_hint}`"
            )
        return
    if report.role_credentials.source is None and report.sign_in_needed:
        raise LoginRequired(
            f"profile '{report.profile}' needs a sign-in: run `{aws.profile.login_hint}`"
        )
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
