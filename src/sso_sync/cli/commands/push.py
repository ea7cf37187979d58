"""`sso-sync push`: the main line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sso_sync.cli import ui
from sso_sync.cli.options import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    ApiUrlOption,
    ConcurrencyOption,
    ExpirationVariableOption,
    GitHubTokenFileOption,
    JsonOption,
    PrefixOption,
    ProfileOption,
    RecordVariableOption,
    RecordWhoOption,
    TargetOptions,
    TargetsTimeoutOption,
    config_file_of,
    target_options,
)
from sso_sync.cli.session import AwsSession, command_deadline, github_api
from sso_sync.errors import Interrupted, OperationFailed, UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sso_sync.github.push import PlannedSecret, PushPlan
    from sso_sync.github.targets import TargetSet


@target_options
def push(
    targets: TargetOptions,
    profile: ProfileOption = None,
    prefix: PrefixOption = None,
    api_url: ApiUrlOption = None,
    github_token_file: GitHubTokenFileOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be set where; write nothing.")
    ] = False,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    timeout: TargetsTimeoutOption = DEFAULT_TIMEOUT,
    as_json: JsonOption = False,
    expiration_variable: ExpirationVariableOption = None,
    min_remaining: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--min-remaining",
            metavar="DURATION",
            help="Push only to targets whose credentials (as this machine recorded them) have "
            "less than this left (30m, 2h, 1h30m); report the others fresh.",
        ),
    ] = None,
    record_variable: RecordVariableOption = None,
    record_who: RecordWhoOption = False,
) -> None:
    """Push fresh role credentials of a profile as GitHub secrets (repository, environment,
    organization; Actions or Dependabot).

    SET names one set of sso-sync.toml; with neither SET nor target options, every set.
    """
    from sso_sync.cli.pushing import PushJob, print_push, record_job_run
    from sso_sync.durations import parse_duration
    from sso_sync.github.app_auth import prepare_app, run_permissions
    from sso_sync.github.patterns import resolve_patterns
    from sso_sync.github.push import check_sets
    from sso_sync.github.variables import validate_variable
    from sso_sync.sync import plan_dry_run

    sets = targets.sets(profile=profile, prefix=prefix)
    check_sets(sets)  # names and duplicates, before any network call
    fresh_for = parse_duration(min_remaining) if min_remaining is not None else None
    for name, option in (
        (expiration_variable, "--expiration-variable"),
        (record_variable, "--record-variable"),
    ):
        if name:
            validate_variable(name, [t for s in sets for t in s.targets], option=option)
    if record_who and not record_variable:
        raise UsageError("--record-who needs --record-variable NAME: name the variable to write")
    # A dry run only reads: its installation tokens (GitHub App auth) can write nothing.
    write = not dry_run
    variables = write and bool(expiration_variable or record_variable)
    # One App authorizer for the whole run: one token per installation, patterns included.
    app = prepare_app(
        targets.github_app(sets), run_permissions(sets, write=write, variables=variables)
    )
    if dry_run and expiration_variable:
        ui.err(
            f"would also set Actions variable {expiration_variable} to the expiry on each target"
        )
    with command_deadline(timeout) as deadline:
        if dry_run:
            aws = {
                p: AwsSession(p, deadline=deadline) for p in dict.fromkeys(s.profile for s in sets)
            }
            names = {p: a.profile.name for p, a in aws.items()}
            api = github_api(api_url, deadline, github_token_file, app=app)
            try:
                sets = resolve_patterns(api, sets)
                check_sets(sets)  # the resolved repositories may now collide across sets
                plan = plan_dry_run(api, sets, concurrency=concurrency)
                _print_plan(plan, names, as_json, sets)
            finally:
                api.close()
            return
        if any(s.patterns for s in sets):
            # Resolved once, before the job decides which targets are due.
            api = github_api(api_url, deadline, github_token_file, app=app)
            try:
                sets = resolve_patterns(api, sets)
            finally:
                api.close()
            check_sets(sets)
        job = PushJob(
            sets,
            api_url,
            deadline,
            concurrency,
            expiration_variable=expiration_variable,
            record_variable=record_variable,
            record_who=record_who,
            token_file=github_token_file,
            progress=ui.Progress,
            app=app,
        )
        with record_job_run(job):
            # A missing token is found before the locks are taken.
            github_api(api_url, deadline, github_token_file, app=app).close()
            run = job.run(fresh_for)
            print_push(run, as_json, config_file=config_file_of(sets))
            if run.interrupted:
                raise Interrupted("interrupted: the report above says what was done")
            failure = run.failure()
            if failure:
                raise OperationFailed(failure)


def _print_plan(
    plan: PushPlan, profiles: dict[str | None, str], as_json: bool, sets: Sequence[TargetSet]
) -> None:
    if as_json:
        ui.out_json({**plan.as_dict(profiles), "config_file": config_file_of(sets)})
        return
    for tp in plan.targets:
        # An organization secret's visibility: once for the target when its secrets share one,
        # else after each secret (each keeps its own).
        shared = {_visibility_words(s) for s in tp.secrets}
        each = len(shared) > 1
        extra = "" if each or shared == {""} else f" ({shared.pop()})"
        ui.out(
            f"{tp.label}: would "
            + ", ".join(
                f"{s.action} {s.name}" + (f" ({_visibility_words(s)})" if each else "")
                for s in tp.secrets
            )
            + extra
            + f" from profile {profiles[tp.profile]}"
        )
    ui.out("dry run: nothing was written")


_FROM = {"kept": "kept", "option": "as asked", "default": "new, the default"}


def _visibility_words(secret: PlannedSecret) -> str:
    """`visibility selected, kept; repository ids 1001, 1002`; "" for a secret without one."""
    if secret.visibility is None or secret.visibility_source is None:
        return ""
    words = f"visibility {secret.visibility}, {_FROM[secret.visibility_source]}"
    if secret.visibility == "selected":
        ids = ", ".join(map(str, secret.selected_repository_ids)) or "none"
        words += f"; repository ids {ids}"
    return words
