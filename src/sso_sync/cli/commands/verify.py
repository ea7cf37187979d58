"""`sso-sync verify`: the check the composite action runs inside a workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.clients import command_deadline
from sso_sync.errors import OperationFailed

if TYPE_CHECKING:
    from sso_sync.action.verify import EnvCredentials, StsAnswer
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
    as_json: opt.JsonOption = False,
    timeout: opt.TimeoutOption = opt.DEFAULT_TIMEOUT,
) -> None:
    """Check the AWS credentials in the environment with STS: alive, right account and role,
    enough lifetime left. Exit 0 valid, 1 not. In GitHub Actions: masks, outputs, summary."""
    from sso_sync.action.step import Request, run_step

    def ask_sts(credentials: EnvCredentials) -> StsAnswer:
        # The deadline covers the STS call; a bad --timeout is reported like any bad input.
        with command_deadline(timeout) as deadline:
            return _ask_sts(credentials, deadline)

    request = Request(prefix, expected_account or [], expected_role, min_remaining)
    verdict = run_step(current().environ, request, ask_sts, ui.err)
    if as_json:
        current().out_json(verdict.as_dict())
    elif verdict.valid:
        ui.out(verdict.message)
    if not verdict.valid:
        raise OperationFailed(verdict.message)


def _ask_sts(credentials: EnvCredentials, deadline: Deadline) -> StsAnswer:
    """GetCallerIdentity through botocore, its answer or refusal as a `StsAnswer`."""
    from botocore.exceptions import BotoCoreError, ClientError

    from sso_sync.action.verify import StsAnswer

    # botocore reads AWS_DEFAULT_REGION only; credentials.region already honours AWS_REGION.
    sts = current().aws_clients(deadline=deadline).sts_client(credentials, credentials.region)
    try:
        identity = sts.get_caller_identity()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "") or ""), str(error.get("Message", "") or "")
        return StsAnswer(error_code=code, error_message=message)
    except BotoCoreError as exc:  # botocore's ConnectionError and timeouts among them
        return StsAnswer(unreachable=type(exc).__name__)
    return StsAnswer(account=str(identity["Account"]), arn=str(identity["Arn"]))
