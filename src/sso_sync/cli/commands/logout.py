"""`sso-sync logout`: as `aws sso logout`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.clients import command_deadline
from sso_sync.wording import plural

if TYPE_CHECKING:
    from sso_sync.aws.logout import LogoutReport
    from sso_sync.aws.session import AwsClients
    from sso_sync.deadline import Deadline


def logout(
    profile: opt.ProfileOption = None,
    all_sessions: Annotated[
        bool,
        typer.Option("--all", help="Sign out of every cached IAM Identity Center session."),
    ] = False,
    timeout: opt.TimeoutOption = opt.DEFAULT_TIMEOUT,
) -> None:
    """Sign out as `aws sso logout` does: revoke the session, delete its cached token and the
    role credentials cached from it. Client registrations stay."""
    with command_deadline(timeout) as deadline:
        _logout(profile, all_sessions, deadline)


def _logout(profile: str | None, all_sessions: bool, deadline: Deadline) -> None:
    from sso_sync.aws.logout import EVERYTHING, logout, scope_for_profile
    from sso_sync.errors import AwsError, UsageError

    ctx = current()
    aws: AwsClients
    if all_sessions:
        if profile:
            raise UsageError("--all and --profile exclude each other: pass one")
        aws = ctx.aws_clients(deadline=deadline)
        scope = EVERYTHING
        what = "any profile"
    else:
        environ = ctx.environ
        if not (profile or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")):
            raise UsageError(
                "say which session to end: --profile NAME (or set AWS_PROFILE), or --all"
            )
        named = ctx.aws(profile, deadline=deadline)
        scope = scope_for_profile(named.session.full_config, named.profile)
        what = f"profile '{named.profile.name}'"
        aws = named
    report = logout(aws.sso_client, aws.paths.sso_cache, aws.paths.cli_cache, scope)
    _print_logout(report, what)
    if report.unreachable:
        raise AwsError(
            "could not tell IAM Identity Center to end the session for "
            + ", ".join(report.unreachable)
            + " (network): the local copies are deleted, but the session stays valid on the "
            "server until it expires"
        )


def _print_logout(report: LogoutReport, what: str) -> None:
    if not report.removed_tokens and not report.removed_role_credentials:
        ui.err(f"No cached IAM Identity Center session for {what}: nothing to do.")
        return
    for url in report.revoked:
        ui.err(f"Signed out of {url}.")
    for url in report.already_ended:
        ui.err(f"Signed out of {url} (the session had already ended).")
    if report.removed_role_credentials:
        count = plural(len(report.removed_role_credentials), "cached role credential file")
        ui.err(f"Deleted {count}.")
