"""`sso-sync push`: the main line."""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.cli.groups import GitHubAuth, Notifying, Sources, Writing, github_auth_options
from sso_sync.cli.source_options import source_options
from sso_sync.cli.target_options import TargetOptions, config_file_of, target_options
from sso_sync.errors import Interrupted, OperationFailed
from sso_sync.wording import expire_at, without_label

# The use case (pushing, plan, clients, the state file) is imported inside the functions: only
# the options above are needed to build the command, so `push --help` does not load the rest
# (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import timedelta

    from sso_sync.cli.context import Context
    from sso_sync.deadline import Deadline
    from sso_sync.github.plan import PlannedSecret, PushPlan
    from sso_sync.github.targets import TargetSet
    from sso_sync.push_run import PushRun
    from sso_sync.pushing import Push


@target_options
@source_options
@github_auth_options
def push(
    targets: TargetOptions,
    sources: Sources,
    *,
    profile: opt.ProfileOption = None,
    prefix: opt.PrefixOption = None,
    auth: GitHubAuth,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be set where; write nothing.")
    ] = False,
    concurrency: opt.ConcurrencyOption = opt.DEFAULT_CONCURRENCY,
    timeout: opt.TargetsTimeoutOption = opt.DEFAULT_TIMEOUT,
    as_json: opt.JsonOption = False,
    expiration_variable: opt.ExpirationVariableOption = None,
    min_remaining: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--min-remaining",
            metavar="DURATION",
            help="Push only to targets whose credentials (as this machine recorded them) have "
            "less than this left (30m, 2h, 1h30m); report the others fresh.",
        ),
    ] = None,
    record_variable: opt.RecordVariableOption = None,
    record_who: opt.RecordWhoOption = False,
    notify_url_file: opt.NotifyUrlFileOption = None,
    notify_issue: opt.NotifyIssueOption = None,
) -> None:
    """Push fresh role credentials of a profile as GitHub secrets (repository, environment,
    organization; Actions or Dependabot).

    SET names one set of sso-sync.toml; with neither SET nor target options, every set.
    """
    from sso_sync.cli.notifying import build_notifier
    from sso_sync.clients import command_deadline
    from sso_sync.durations import parse_duration
    from sso_sync.github.plan import check_sets
    from sso_sync.keepfresh.schedule.job import JOB_VARIABLE
    from sso_sync.pushing import recorded_job_run

    ctx = current()
    sets = targets.sets(profile=profile, prefix=prefix, sources=sources)
    check_sets(sets)  # names and duplicates, before any network call
    fresh_for = parse_duration(min_remaining) if min_remaining is not None else None
    writing = Writing(concurrency, timeout, expiration_variable, record_variable, record_who)
    writing.validate(sets)
    if dry_run:
        _dry_run(ctx, targets, sets, auth, writing, as_json)
        return
    notifier = build_notifier(
        ctx, Notifying(notify_url_file, notify_issue), sets, auth, targets.github_app(sets)
    )
    with command_deadline(timeout) as deadline:
        push = _push(ctx, targets, sets, auth, writing, deadline, fresh_for)
        push.sides.notifier = notifier
        with closing(push):  # its one GitHub client, for everything below
            _resolve_patterns(push)
            with recorded_job_run(push, ctx.environ.get(JOB_VARIABLE, "").strip()):
                # A missing token is found before the locks are taken.
                push.github()
                run = push.run()
                print_push(run, as_json, config_file=config_file_of(sets))
                if run.interrupted:
                    raise Interrupted("interrupted: the report above says what was done")
                failure = run.failure()
                if failure:
                    raise OperationFailed(failure)


def _push(
    ctx: Context,
    targets: TargetOptions,
    sets: tuple[TargetSet, ...],
    auth: GitHubAuth,
    writing: Writing,
    deadline: Deadline,
    fresh_for: timedelta | None,
) -> Push:
    """The push use case, with one App authorizer for the whole run (one token per
    installation) in its one GitHub client."""
    from sso_sync.github.app_auth import prepare_app, run_permissions
    from sso_sync.pushing import Push, PushRequest, PushSides

    permissions = run_permissions(sets, write=True, variables=writing.variables)
    app = prepare_app(targets.github_app(sets), permissions)
    request = PushRequest(
        sets,
        deadline,
        writing.concurrency,
        min_remaining=fresh_for,
        expiration_variable=writing.expiration_variable,
        record_variable=writing.record_variable,
        record_who=writing.record_who,
        allow_sign_in=ctx.interactive(),
    )
    sides = PushSides(
        aws=ctx.aws_factory(deadline),
        github=ctx.github_factory(auth.api_url, deadline, auth.token_file, app=app),
        store=ctx.state_store(),
        terminal=ctx.terminal,
        now=ctx.now,
    )
    return Push(request, sides)


def _resolve_patterns(push: Push) -> None:
    """The repository patterns, resolved once with the push's client, before the job decides
    which targets are due."""
    import dataclasses

    from sso_sync.github.patterns import resolve_patterns
    from sso_sync.github.plan import check_sets

    if any(s.patterns for s in push.request.sets):
        resolved = resolve_patterns(push.github(), push.request.sets)
        check_sets(resolved)  # the resolved repositories may now collide across sets
        push.request = dataclasses.replace(push.request, sets=resolved)


def _dry_run(
    ctx: Context,
    targets: TargetOptions,
    sets: tuple[TargetSet, ...],
    auth: GitHubAuth,
    writing: Writing,
    as_json: bool,
) -> None:
    """What a push would write where, from one listing per target; it writes nothing, and its
    installation tokens (GitHub App auth) can write nothing."""
    from sso_sync.clients import command_deadline
    from sso_sync.github.app_auth import prepare_app, run_permissions
    from sso_sync.github.patterns import resolve_patterns
    from sso_sync.github.plan import check_sets
    from sso_sync.sync import plan_dry_run

    app = prepare_app(targets.github_app(sets), run_permissions(sets, write=False))
    if writing.expiration_variable:
        ui.err(
            f"would also set Actions variable {writing.expiration_variable} to the expiry on "
            "each target"
        )
    with command_deadline(writing.timeout) as deadline:
        names = {
            p: ctx.aws(p, deadline=deadline).profile.name
            for p in dict.fromkeys(s.profile for s in sets)
        }
        api = ctx.github(auth.api_url, deadline, auth.token_file, app=app)
        try:
            sets = resolve_patterns(api, sets)
            check_sets(sets)  # the resolved repositories may now collide across sets
            plan = plan_dry_run(api, sets, concurrency=writing.concurrency)
            _print_plan(plan, names, as_json, sets)
        finally:
            api.close()


def print_push(run: PushRun, as_json: bool, *, config_file: str | None = None) -> None:
    """push's report: one line per target, then the credentials' expiry (`config_file`: the
    config file the sets came from, for --json). `watch` prints its own cycle lines."""
    if as_json:
        current().out_json({**run.as_dict(), "config_file": config_file})
    else:
        for r in run.results:
            if r.ok:
                ui.out(f"{r.label}: " + ", ".join(f"{s.name} {s.outcome}" for s in r.secrets))
            else:
                ui.out(f"{r.label}: {r.status}: {without_label(r.target.label, r.error or '')}")
        for held in run.held:
            ui.out(held.describe())
        for _name, c in run.credentials:
            ui.out(f"credentials for {c.account_id}/{c.role_name} {expire_at(c.expiration)}")
        for line in registry_expiries(run):
            ui.out(line)
    for v in run.variables:
        if v.error is None:
            ui.err(f"{v.target.label}: variable {v.name} {v.outcome} ({v.value})")


def registry_expiries(run: PushRun) -> list[str]:
    """`ECR_PASSWORD expires at ... (11 h 59 min left)`: each secret a source other than the
    role credentials issued (a registry token keeps its own expiry), once per name and time."""
    from sso_sync.sources import ROLE_SECRET_NAMES, name_of

    seen = {
        (name_of(key), when)
        for issued in run.issued.values()
        for key, when in issued.items()
        if name_of(key) not in ROLE_SECRET_NAMES
    }
    return [f"{n} " + expire_at(w).replace("expire", "expires", 1) for n, w in sorted(seen)]


def _print_plan(
    plan: PushPlan, profiles: dict[str | None, str], as_json: bool, sets: Sequence[TargetSet]
) -> None:
    if as_json:
        current().out_json({**plan.as_dict(profiles), "config_file": config_file_of(sets)})
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
