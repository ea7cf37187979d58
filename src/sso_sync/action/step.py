"""One verify step, whichever client asks STS: the masks first, then the checks, then (in GitHub
Actions) the outputs, the job summary and the `::error::` annotation.

`sso-sync verify` (botocore) and the action's fast path (`fast_path`, the AWS CLI) both run this,
so their verdicts, problem codes and runner output cannot drift apart. Standard library only: the
fast path imports it from the action's own files, with nothing installed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sso_sync.action import runner
from sso_sync.action.verify import (
    Checks,
    EnvCredentials,
    StsAnswer,
    Verdict,
    action_outputs,
    judge,
    make_checks,
    push_hint,
    read_credentials,
    require_inputs,
    secret_values_in,
    summary_rows,
)
from sso_sync.errors import SsoSyncError


@dataclass(frozen=True)
class Request:
    """What the step was asked to check: `sso-sync verify`'s options, the action's inputs."""

    prefix: str = ""
    expected_accounts: Sequence[str] = ()
    expected_role: str | None = None
    min_remaining: str | None = None


def run_step(
    environ: Mapping[str, str],
    request: Request,
    ask_sts: Callable[[EnvCredentials], StsAnswer],
    err: Callable[[str], None],
) -> Verdict:
    """The verdict; raises SsoSyncError for input that cannot be checked (after reporting it to
    the runner). `err` prints one line on stderr, where the runner reads workflow commands."""
    in_actions = runner.in_github_actions(environ)
    if in_actions:
        # Before anything else is printed, so no later line of this job can show them.
        for line in runner.mask_commands(secret_values_in(environ, request.prefix)):
            err(line)
    try:
        credentials = read_credentials(environ, request.prefix)
        checks = make_checks(
            request.expected_accounts, request.expected_role, request.min_remaining
        )
        require_inputs(credentials, checks)
        answer = ask_sts(credentials)
        verdict = judge(
            answer, credentials, checks, push_command=push_hint(environ, request.prefix)
        )
    except SsoSyncError as exc:
        if in_actions:
            report_to_actions(environ, str(exc), None, None, err)
        raise
    if in_actions:
        report_to_actions(environ, verdict.message, verdict, checks, err)
    return verdict


def report_to_actions(
    environ: Mapping[str, str],
    message: str,
    verdict: Verdict | None,
    checks: Checks | None,
    err: Callable[[str], None],
) -> None:
    if verdict is None or checks is None:
        outputs = {"valid": "false", "message": message}
        rows = [("verdict", "NOT checked"), ("what to do", message)]
    else:
        outputs, rows = action_outputs(verdict), summary_rows(verdict, checks)
    runner.append_to_file(environ, "GITHUB_OUTPUT", runner.output_block(outputs))
    runner.append_to_file(
        environ, "GITHUB_STEP_SUMMARY", runner.markdown_table("AWS credentials", rows)
    )
    if verdict is None or not verdict.valid:
        err(runner.error_command(message, "AWS credentials"))
