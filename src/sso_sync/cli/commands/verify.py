"""`sso-sync verify`: the check the composite action runs inside a workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sso_sync.aws.profiles import AwsPaths
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.cli.options import DEFAULT_TIMEOUT, JsonOption, TimeoutOption
from sso_sync.clients import command_deadline
from sso_sync.errors import OperationFailed, SsoSyncError

if TYPE_CHECKING:
    from sso_sync.action.verify import Checks, EnvCredentials, Verdict
    from sso_sync.deadline import Deadline


def verify(
    prefix: Annotated[
        str,
        typer.Option(
            "--prefix",
            metavar="PREFIX",
            help="Read PREFIX + AWS_ACCESS_KEY_ID etc., as pushed with push --prefix.",
        ),
    ] = "",
    expected_account: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--expected-account",
            metavar="ID",
            help="Fail unless the credentials belong to this account (repeatable).",
        ),
    ] = None,
    expected_role: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--expected-role",
            metavar="GLOB",
            help="Fail unless the caller's ARN matches, e.g. '*AWSReservedSSO_Deployer_*'.",
        ),
    ] = None,
    min_remaining: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--min-remaining",
            metavar="DURATION",
            help="Fail if less lifetime is left (30m, 2h, 1h30m); needs AWS_CREDENTIAL_EXPIRATION.",
        ),
    ] = None,
    as_json: JsonOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Check the AWS credentials in the environment with STS: alive, right account and role,
    enough lifetime left. Exit 0 valid, 1 not. In GitHub Actions: masks, outputs, summary."""
    from sso_sync.action import runner as actions
    from sso_sync.action import verify as checks_module

    environ = current().environ
    in_actions = actions.in_github_actions(environ)
    if in_actions:
        # Before anything else is printed, so no later line of this job can show them.
        for line in actions.mask_commands(checks_module.secret_values_in(environ, prefix)):
            ui.err(line)
    try:
        credentials = checks_module.read_credentials(environ, prefix)
        checks = checks_module.make_checks(expected_account or [], expected_role, min_remaining)
        checks_module.require_inputs(credentials, checks)
        with command_deadline(timeout) as deadline:
            verdict = _verify_with_sts(credentials, checks, prefix, deadline)
    except SsoSyncError as exc:
        if in_actions:
            _report_to_actions(str(exc), None, None)
        raise
    if in_actions:
        _report_to_actions(verdict.message, verdict, checks)
    if as_json:
        current().out_json(verdict.as_dict())
    elif verdict.valid:
        ui.out(verdict.message)
    if not verdict.valid:
        raise OperationFailed(verdict.message)


def _verify_with_sts(
    credentials: EnvCredentials, checks: Checks, prefix: str, deadline: Deadline
) -> Verdict:
    from sso_sync import clients
    from sso_sync.action.verify import push_hint
    from sso_sync.action.verify import verify as verify_credentials

    session = clients.aws_session(AwsPaths.from_environ(current().environ), deadline=deadline)
    # botocore reads AWS_DEFAULT_REGION only; credentials.region already honours AWS_REGION.
    sts = clients.sts_client(
        session,
        credentials.region,
        access_key_id=credentials.access_key_id,
        secret_access_key=credentials.secret_access_key,
        session_token=credentials.session_token,
        deadline=deadline,
    )
    return verify_credentials(
        sts, credentials, checks, push_command=push_hint(current().environ, prefix)
    )


def _report_to_actions(message: str, verdict: Verdict | None, checks: Checks | None) -> None:
    from sso_sync.action import runner as actions
    from sso_sync.action.verify import action_outputs, summary_rows

    if verdict is None or checks is None:
        outputs = {"valid": "false", "message": message}
        rows = [("verdict", "NOT checked"), ("what to do", message)]
    else:
        outputs, rows = action_outputs(verdict), summary_rows(verdict, checks)
    actions.append_to_file(current().environ, "GITHUB_OUTPUT", actions.output_block(outputs))
    actions.append_to_file(
        current().environ, "GITHUB_STEP_SUMMARY", actions.markdown_table("AWS credentials", rows)
    )
    if verdict is None or not verdict.valid:
        ui.err(actions.error_command(message, "AWS credentials"))
