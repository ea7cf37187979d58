"""`sso-sync remove`: delete the managed secrets, after asking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.cli.groups import Sources
from sso_sync.cli.source_options import source_options
from sso_sync.cli.target_options import TargetOptions, config_file_of, target_options
from sso_sync.clients import command_deadline
from sso_sync.errors import OperationFailed
from sso_sync.wording import plural, without_label

if TYPE_CHECKING:
    from sso_sync.deadline import Deadline
    from sso_sync.github.app_auth import AppSettings
    from sso_sync.github.listing import Listing
    from sso_sync.github.removal import RemovePlan, RemoveResult
    from sso_sync.github.targets import TargetSet


@target_options
@source_options
def remove(
    targets: TargetOptions,
    sources: Sources,
    prefix: opt.PrefixOption = None,
    api_url: opt.ApiUrlOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Delete without asking for confirmation.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be deleted; delete nothing.")
    ] = False,
    concurrency: opt.ConcurrencyOption = opt.DEFAULT_CONCURRENCY,
    timeout: opt.TargetsTimeoutOption = opt.DEFAULT_TIMEOUT,
    as_json: opt.JsonOption = False,
    profile: opt.IgnoredProfileOption = None,
) -> None:
    """Delete the secrets sso-sync manages (the four credential names with the prefix) from
    each target. Asks first unless --yes.

    SET names one set of sso-sync.toml; with neither SET nor target options, every set.
    """

    del profile  # accepted so that a push line works with the verb changed; nothing to sign in to
    sets = targets.sets(profile=None, prefix=prefix, sources=sources)
    app = targets.github_app(sets)
    with command_deadline(timeout) as deadline:
        _remove(sets, app, deadline, api_url, yes, dry_run, concurrency, as_json)


def _remove(
    sets: tuple[TargetSet, ...],
    app: AppSettings | None,
    deadline: Deadline,
    api_url: str | None,
    yes: bool,
    dry_run: bool,
    concurrency: int,
    as_json: bool,
) -> None:
    from sso_sync.errors import UsageError
    from sso_sync.github.app_auth import run_permissions
    from sso_sync.github.listing import failed_listings, list_managed
    from sso_sync.github.patterns import resolve_patterns
    from sso_sync.github.removal import RemoveResult, apply_remove, plan_remove, removal_failure

    permissions = run_permissions(sets, write=True, variables=False)
    api = current().github(api_url, deadline, app=app, permissions=permissions)
    try:
        sets = resolve_patterns(api, sets)
        listings = list_managed(api, sets, concurrency=concurrency)
        plan = plan_remove([li for li in listings if li.error is None])
        todo = [(li, names) for li, names in plan.targets if names]
        failed = [li for li in listings if li.error is not None]
        if dry_run:
            _print_dry_run(plan, failed, as_json, config_file_of(sets))
            failure = failed_listings(listings)
            if failure:
                raise OperationFailed(failure)
            return
        if todo and not yes:
            if not current().streams.in_is_terminal():
                raise UsageError(
                    f"refusing to delete {plural(plan.count, 'secret')} without confirmation and "
                    "there is no terminal to ask: re-run with --yes (see --dry-run first)"
                )
            for li, names in todo:
                ui.err(f"{li.label}: {', '.join(names)}")
            # A person is reading the list: that wait is not the network's.
            confirmed = ui.PatientPrompter(deadline).confirm(
                f"Delete {plural(plan.count, 'secret')} from {plural(len(todo), 'target')}?"
            )
            if not confirmed:
                ui.err("nothing deleted")
                return
        if not todo:  # nothing to ask about or to send: each target is reported all the same
            results = [RemoveResult(li) for li, _ in plan.targets]
            if not failed:
                ui.err("nothing to remove")
        else:
            with current().progress(len(plan.targets), "removing") as progress:
                results = apply_remove(
                    api,
                    plan,
                    concurrency=concurrency,
                    on_done=lambda r: progress.step(r.listing.label, r.status),
                )
    finally:
        api.close()
    results += [RemoveResult(li) for li in failed]
    _print_remove(results, as_json, config_file_of(sets))
    failure = removal_failure(results, listings)
    if failure:
        raise OperationFailed(failure)


def _print_dry_run(
    plan: RemovePlan, failed: list[Listing], as_json: bool, config_file: str | None
) -> None:
    for li, names in plan.targets:
        if names:
            ui.err(f"{li.label}: would delete {', '.join(names)}")
    if as_json:
        data = plan.as_dict(dry_run=True)
        data["ok"] = not failed
        data["targets"] += [li.as_dict() for li in failed]
        data["config_file"] = config_file
        current().out_json(data)
    else:
        for li in failed:  # each target that could not be read, and why
            ui.out(f"{li.label}: {li.outcome}: {without_label(li.target.label, li.error or '')}")
    ui.err("dry run: nothing was deleted")


def _print_remove(results: list[RemoveResult], as_json: bool, config_file: str | None) -> None:
    if as_json:
        current().out_json(
            {
                "dry_run": False,
                "ok": all(r.ok for r in results),
                "targets": [r.as_dict() for r in results],
                "config_file": config_file,
            }
        )
        return
    for r in results:
        if r.ok:
            detail = ", ".join(f"{n} {o}" for n, o in r.outcomes) or "nothing to delete"
            ui.out(f"{r.listing.label}: {detail}")
        else:
            error = without_label(r.listing.target.label, r.error or r.listing.error or "")
            ui.out(f"{r.listing.label}: {r.status}: {error}")
