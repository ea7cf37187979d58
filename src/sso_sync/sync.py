"""`push`'s sequence, the main line: resolve repository ids, plan, fetch the public keys while
IAM Identity Center issues the credentials, write the secrets, then the expiry variables.

The use case (pushing.py) passes in how to get each profile's secrets (which may sign in) and
how to show progress, so this module neither prints nor knows about terminals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from sso_sync.errors import DeadlineReached, Interrupted
from sso_sync.github.fanout import DEFAULT_CONCURRENCY
from sso_sync.push_run import ProfileSecrets, PushRun, expiries
from sso_sync.sources import values_of
from sso_sync.terminal import ProgressFactory, no_progress

if TYPE_CHECKING:
    from sso_sync.github.plan import PushPlan
    from sso_sync.github.public_keys import KeyFetches
    from sso_sync.github.push import TargetResult
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import TargetSet


def target_count(sets: Sequence[TargetSet]) -> int:
    """Targets a run works on: a target named twice in one set counts once."""
    return sum(len(dict.fromkeys(s.targets)) for s in sets)


def plan_dry_run(
    api: GitHubApi, sets: Sequence[TargetSet], *, concurrency: int = DEFAULT_CONCURRENCY
) -> PushPlan:
    """The plan with each secret marked create or update, from one listing per target, and
    each organization secret's visibility (kept, asked or default) as the real run finds it."""
    from sso_sync.github.org_visibility import CurrentVisibilities, complete
    from sso_sync.github.plan import plan_sets
    from sso_sync.github.push import existing_for_plan, resolve_repo_ids

    repo_ids = resolve_repo_ids(api, sets, concurrency=concurrency)
    plan = plan_sets(sets, repo_ids=repo_ids)
    existing = existing_for_plan(api, plan, concurrency=concurrency)
    current = complete(CurrentVisibilities(api), plan, concurrency=concurrency)
    plan = plan_sets(sets, existing, repo_ids=repo_ids, current=current)
    for tp in plan.targets:
        for secret in tp.secrets:
            if secret.blocked is not None:
                raise secret.blocked  # as a failed listing does: the plan cannot be told
    return plan


def run_push(
    api: GitHubApi,
    sets: Sequence[TargetSet],
    *,
    profile_names: Mapping[str | None, str],
    secrets_for: Callable[[str | None], ProfileSecrets],
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressFactory = no_progress,
    expiration_variable: str | None = None,
    key_fetches: KeyFetches | None = None,
) -> PushRun:
    """Push to every target of `sets`; `secrets_for(profile)` gets a profile's credentials and
    what its sets' sources issue with them (signing in if it may). Per-target failures are in
    the result; a bad token raises. `key_fetches`: those the caller started already."""
    from sso_sync.github.org_visibility import CurrentVisibilities, complete, look_ups
    from sso_sync.github.plan import plan_sets
    from sso_sync.github.public_keys import prefetched_keys
    from sso_sync.github.push import SecretResult, TargetResult, apply_push, resolve_repo_ids
    from sso_sync.github.variables import set_expiration_variables

    try:
        repo_ids = resolve_repo_ids(api, sets, concurrency=concurrency)
        plan = plan_sets(sets, repo_ids=repo_ids)
        # The public keys, and the visibilities organization secrets keep, arrive while IAM
        # Identity Center issues the credentials.
        current = CurrentVisibilities(api)
        also = look_ups(current, plan)
        with prefetched_keys(
            api, plan, concurrency=concurrency, also=also, started=key_fetches
        ) as keys:
            issued = {p: secrets_for(p) for p in profile_names}
        credentials = {p: i.credentials for p, i in issued.items()}
        plan = plan.deciding(complete(current, plan, concurrency=concurrency))
    except (DeadlineReached, KeyboardInterrupt) as exc:
        # Nothing was written: every target is reported as not attempted, and why.
        api.abort()
        why = str(exc) if isinstance(exc, DeadlineReached) else "interrupted"
        results = [
            TargetResult(
                t,
                [SecretResult(n, "not-attempted") for n in s.secret_names()],
                why,
                s.name,
                s.profile,
            )
            for s in sets
            for t in dict.fromkeys(s.targets)
        ]
        return PushRun(results, [], interrupted=isinstance(exc, KeyboardInterrupt), stopped=why)
    with progress(len(plan.targets), "pushing") as steps:
        try:
            results = apply_push(
                api,
                plan,
                values_by_profile={p: values_of(i.issued) for p, i in issued.items()},
                concurrency=concurrency,
                on_result=lambda r: steps.step(r.label, r.status),
                keys=keys,
            )
        except Interrupted as exc:
            done = cast("list[TargetResult]", exc.results)
            pairs = [(profile_names[p], c) for p, c in credentials.items()]
            return PushRun(
                done, pairs, profiles=list(credentials), interrupted=True, issued=expiries(issued)
            )
    run = PushRun(
        results,
        [(profile_names[p], c) for p, c in credentials.items()],
        profiles=list(credentials),
        issued=expiries(issued),
    )
    if expiration_variable:
        expirations = {p: c.expiration_text for p, c in credentials.items()}
        run.variables = set_expiration_variables(api, results, expiration_variable, expirations)
    return run
