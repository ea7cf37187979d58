"""`sso-sync list`: the managed secrets on each target."""

from __future__ import annotations

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.cli.groups import Sources
from sso_sync.cli.source_options import source_options
from sso_sync.cli.target_options import TargetOptions, config_file_of, target_options
from sso_sync.clients import command_deadline
from sso_sync.errors import OperationFailed
from sso_sync.wording import without_label


@target_options
@source_options
def list_secrets(
    targets: TargetOptions,
    sources: Sources,
    prefix: opt.PrefixOption = None,
    api_url: opt.ApiUrlOption = None,
    concurrency: opt.ConcurrencyOption = opt.DEFAULT_CONCURRENCY,
    timeout: opt.TargetsTimeoutOption = opt.DEFAULT_TIMEOUT,
    as_json: opt.JsonOption = False,
    profile: opt.IgnoredProfileOption = None,
) -> None:
    """List the secrets sso-sync manages on each target (with the prefix), and when each was
    last updated. Values are never readable. A secret updated over a minute after this
    machine's last write of it is marked "changed-elsewhere" (another writer set it).

    SET names one set of sso-sync.toml; with neither SET nor target options, every set.
    """
    from sso_sync.github.app_auth import run_permissions
    from sso_sync.github.listing import failed_listings, list_managed
    from sso_sync.github.patterns import resolve_patterns
    from sso_sync.keepfresh.elsewhere import mark
    from sso_sync.sync import target_count

    del profile  # accepted so that a push line works with the verb changed; nothing to sign in to
    sets = targets.sets(profile=None, prefix=prefix, sources=sources)
    app = targets.github_app(sets)
    permissions = run_permissions(sets, write=False, variables=False)
    with command_deadline(timeout) as deadline:
        api = current().github(api_url, deadline, app=app, permissions=permissions)
        try:
            sets = resolve_patterns(api, sets)
            with current().progress(target_count(sets), "listing") as progress:
                listings = list_managed(
                    api,
                    sets,
                    concurrency=concurrency,
                    on_done=lambda li: progress.step(li.label, li.outcome),
                )
        finally:
            api.close()
    mark(listings, current().state_store().read())
    if as_json:
        current().out_json(
            {
                "ok": all(li.error is None for li in listings),
                "targets": [li.as_dict() for li in listings],
                "config_file": config_file_of(sets),
            }
        )
    else:
        for li in listings:
            if li.error:
                ui.out(f"{li.label}: {li.outcome}: {without_label(li.target.label, li.error)}")
            elif not li.secrets:
                ui.out(
                    f"{li.label}: no managed secrets"
                    + (f" with prefix {li.prefix}" if li.prefix else "")
                )
            for secret in li.secrets:
                word = "\tchanged-elsewhere" if secret.changed_elsewhere else ""
                ui.out(f"{li.label}\t{secret.name}\t{secret.updated_at or '-'}{word}")
    failure = failed_listings(listings)
    if failure:
        raise OperationFailed(failure)
