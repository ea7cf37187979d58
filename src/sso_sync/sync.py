"""`push`'s sequence, the main line: resolve repository ids, plan, fetch the public keys while
IAM Identity Center issues the credentials, write the secrets, then the expiry variables.

The command passes in how to get credentials (which may sign in) and how to show progress, so
this module neither prints nor knows about terminals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from sso_sync.errors import DeadlineReached, Interrupted
from sso_sync.github.fanout import DEFAULT_CONCURRENCY
from sso_sync.wording import failed_targets

if TYPE_CHECKING:
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.github.push import PushPlan, TargetResult
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import TargetSet
    from sso_sync.github.variables import VariableResult
    from sso_sync.keepfresh.fresh import HeldTarget


class Steps(Protocol):
    def step(self, label: str, status: str) -> None: ...


# (number of targets, verb) -> a context in which each finished target is reported once.
ProgressFactory = Callable[[int, str], AbstractContextManager[Steps]]


class _Silent:
    def step(self, label: str, status: str) -> None:
        pass


@contextmanager
def no_progress(_total: int, _verb: str) -> Iterator[Steps]:
    yield _Silent()


def target_count(sets: Sequence[TargetSet]) -> int:
    """Targets a run works on: a target named twice in one set counts once."""
    return sum(len(dict.fromkeys(s.targets)) for s in sets)


@dataclass
class PushRun:
    """What a push did: per target, the credentials it pushed, and the expiry variables."""

    results: list[TargetResult]
    credentials: list[tuple[str, RoleCredentials]]  # (profile name, credentials) per profile
    variables: list[VariableResult] = field(default_factory=list)
    profiles: list[str | None] = field(default_factory=list)  # the sets' profiles, as credentials
    # Targets not written: fresh (enough life left) or busy (another run's lock); see keepfresh.
    held: list[HeldTarget] = field(default_factory=list)
    remaining: dict[str, float | None] = field(default_factory=dict)  # by label, written targets
    interrupted: bool = False  # Ctrl-C: the report is printed, then exit 130
    stopped: str | None = None  # why the run ended before its writes (the deadline)

    @property
    def ok(self) -> bool:
        return (
            all(r.ok for r in self.results)
            and all(h.ok for h in self.held)
            and all(v.error is None for v in self.variables)
        )

    def failure(self) -> str | None:
        """One line for the error exit, or None when everything landed."""
        if self.stopped:
            return self.stopped
        failed = [(r.label, r.status) for r in self.results if not r.ok]
        failed += [(h.label, h.outcome) for h in self.held if not h.ok]
        if failed:
            return failed_targets(failed, len(self.results) + len(self.held))
        errors = [v.error for v in self.variables if v.error is not None]
        return "; ".join(errors) if errors else None

    def as_dict(self) -> dict[str, Any]:
        single = self.credentials[0] if len(self.credentials) == 1 else None
        return {
            "profile": single[0] if single else None,
            "account_id": single[1].account_id if single else None,
            "role_name": single[1].role_name if single else None,
            "expiration": single[1].expiration_text if single else None,
            "credentials": [
                {
                    "profile": name,
                    "account_id": c.account_id,
                    "role_name": c.role_name,
                    "expiration": c.expiration_text,
                }
                for name, c in self.credentials
            ],
            "dry_run": False,
            "ok": all(r.ok for r in self.results) and all(h.ok for h in self.held),
            "targets": [
                {**r.as_dict(), "remaining_seconds": _whole(self.remaining.get(r.label))}
                for r in self.results
            ]
            + [h.as_dict() for h in self.held],
        }


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds)


def plan_dry_run(
    api: GitHubApi, sets: Sequence[TargetSet], *, concurrency: int = DEFAULT_CONCURRENCY
) -> PushPlan:
    """The plan with each secret marked create or update, from one listing per target, and
    each organization secret's visibility (kept, asked or default) as the real run finds it."""
    from sso_sync.github.org_visibility import CurrentVisibilities, complete
    from sso_sync.github.push import existing_for_plan, plan_sets, resolve_repo_ids

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
    credentials_for: Callable[[str | None], RoleCredentials],
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressFactory = no_progress,
    expiration_variable: str | None = None,
) -> PushRun:
    """Push to every target of `sets`; `credentials_for(profile)` gets a set's credentials
    (signing in if it may). Per-target failures are in the result; a bad token raises."""
    from sso_sync.github.org_visibility import CurrentVisibilities, complete, look_ups
    from sso_sync.github.public_keys import prefetched_keys
    from sso_sync.github.push import (
        SecretResult,
        TargetResult,
        apply_push,
        managed_names,
        plan_sets,
        resolve_repo_ids,
    )
    from sso_sync.github.variables import set_expiration_variables

    try:
        repo_ids = resolve_repo_ids(api, sets, concurrency=concurrency)
        plan = plan_sets(sets, repo_ids=repo_ids)
        # The public keys, and the visibilities organization secrets keep, arrive while IAM
        # Identity Center issues the credentials.
        current = CurrentVisibilities(api)
        also = look_ups(current, plan)
        with prefetched_keys(api, plan, concurrency=concurrency, also=also) as keys:
            credentials = {p: credentials_for(p) for p in profile_names}
        kept = complete(current, plan, concurrency=concurrency)
        plan = plan_sets(sets, repo_ids=repo_ids, current=kept)
    except (DeadlineReached, KeyboardInterrupt) as exc:
        # Nothing was written: every target is reported as not attempted, and why.
        api.abort()
        why = str(exc) if isinstance(exc, DeadlineReached) else "interrupted"
        results = [
            TargetResult(
                t,
                [SecretResult(n, "not-attempted") for n in managed_names(s.prefix)],
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
                values_by_profile={p: c.as_secrets() for p, c in credentials.items()},
                concurrency=concurrency,
                on_result=lambda r: steps.step(r.label, r.status),
                keys=keys,
            )
        except Interrupted as exc:
            done = cast("list[TargetResult]", exc.results)
            pairs = [(profile_names[p], c) for p, c in credentials.items()]
            return PushRun(done, pairs, profiles=list(credentials), interrupted=True)
    run = PushRun(
        results,
        [(profile_names[p], c) for p, c in credentials.items()],
        profiles=list(credentials),
    )
    if expiration_variable:
        expirations = {p: c.expiration_text for p, c in credentials.items()}
        run.variables = set_expiration_variables(api, results, expiration_variable, expirations)
    return run
