"""`sso-sync push`: the main line."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sso_sync.cli import ui
from sso_sync.cli.options import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    ApiUrlOption,
    ConcurrencyOption,
    JsonOption,
    PrefixOption,
    ProfileOption,
    TargetOptions,
    TimeoutOption,
    target_options,
)
from sso_sync.cli.session import AwsSession, command_deadline, github_api
from sso_sync.errors import Interrupted, OperationFailed
from sso_sync.wording import without_label

if TYPE_CHECKING:
    from sso_sync.github.push import PushPlan
    from sso_sync.sync import PushRun


@target_options
def push(
    targets: TargetOptions,
    profile: ProfileOption = None,
    prefix: PrefixOption = None,
    api_url: ApiUrlOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be set where; write nothing.")
    ] = False,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    as_json: JsonOption = False,
    expiration_variable: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--expiration-variable",
            metavar="NAME",
            help="Also store the expiry as this plain Actions variable, readable as vars.NAME.",
        ),
    ] = None,
) -> None:
    """Push fresh role credentials of a profile as GitHub secrets (repository, environment,
    organization; Actions or Dependabot).

    SET names one set of sso-sync.toml; with neither SET nor target options, every set.
    """
    from sso_sync.aws.profiles import is_interactive
    from sso_sync.github.push import check_sets
    from sso_sync.github.variables import validate_variable
    from sso_sync.sync import plan_dry_run, run_push

    sets = targets.sets(profile=profile, prefix=prefix)
    check_sets(sets)  # names and duplicates, before any network call
    if expiration_variable:
        validate_variable(expiration_variable, [t for s in sets for t in s.targets])
        if dry_run:
            ui.err(
                f"would also set Actions variable {expiration_variable} to the expiry on each "
                "target"
            )
    with command_deadline(timeout) as deadline:
        aws = {p: AwsSession(p, deadline=deadline) for p in dict.fromkeys(s.profile for s in sets)}
        names = {p: a.profile.name for p, a in aws.items()}
        api = github_api(api_url, deadline)
        try:
            if dry_run:
                _print_plan(plan_dry_run(api, sets, concurrency=concurrency), names, as_json)
                return
            allow = is_interactive(os.environ, sys.stdin.isatty())
            run = run_push(
                api,
                sets,
                profile_names=names,
                credentials_for=lambda p: aws[p].role_credentials(allow_sign_in=allow),
                concurrency=concurrency,
                progress=ui.Progress,
                expiration_variable=expiration_variable,
            )
        finally:
            api.close()
    _print_push(run, as_json)
    if run.interrupted:
        raise Interrupted("interrupted: the report above says what was done")
    failure = run.failure()
    if failure:
        raise OperationFailed(failure)


def _print_plan(plan: PushPlan, profiles: dict[str | None, str], as_json: bool) -> None:
    if as_json:
        ui.out_json(plan.as_dict(profiles))
        return
    for tp in plan.targets:
        extra = ""
        if tp.visibility is not None:
            extra = f" (visibility {tp.visibility}"
            if tp.visibility == "selected":
                extra += ", repository ids " + ", ".join(map(str, tp.selected_repository_ids))
            extra += ")"
        ui.out(
            f"{tp.label}: would "
            + ", ".join(f"{s.action} {s.name}" for s in tp.secrets)
            + extra
            + f" from profile {profiles[tp.profile]}"
        )
    ui.out("dry run: nothing was written")


def _print_push(run: PushRun, as_json: bool) -> None:
    if as_json:
        ui.out_json(run.as_dict())
    else:
        for r in run.results:
            if r.ok:
                ui.out(f"{r.label}: " + ", ".join(f"{s.name} {s.outcome}" for s in r.secrets))
            else:
                ui.out(f"{r.label}: {r.status}: {without_label(r.target.label, r.error or '')}")
        for _name, c in run.credentials:
            ui.out(f"credentials for {c.account_id}/{c.role_name} expire at {c.expiration_text}")
    for v in run.variables:
        if v.error is None:
            ui.err(f"{v.target.label}: variable {v.name} {v.outcome} ({v.value})")
