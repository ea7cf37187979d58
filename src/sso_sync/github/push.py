"""Plan, then apply: which secrets go to which targets, and putting them there.

`plan_sets` (and its one-set form `plan_push`) is pure and drives both `--dry-run` and the
writes; `apply_push` performs a plan: one public-key fetch per target, one PUT per secret,
nothing else, on a bounded pool of workers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sso_sync.errors import Cancelled, DeadlineReached, GitHubError, Interrupted, UsageError
from sso_sync.github.fanout import DEFAULT_CONCURRENCY, for_each
from sso_sync.github.plan import PlannedSecret, PushPlan, TargetPlan
from sso_sync.github.public_keys import PublicKeys
from sso_sync.github.rest import GitHubApi, expect_status, seal
from sso_sync.github.targets import (
    Target,
    TargetSet,
    validate_secret_values,
)
from sso_sync.outcomes import TargetOutcome, report_word, target_row, written_outcome

log = logging.getLogger(__name__)

Action = Literal["create", "update", "set"]
Outcome = Literal["created", "updated", "failed", "not-attempted", "interrupted"]


def put_body(
    plan: TargetPlan, planned: PlannedSecret, key_id: str, encrypted_value: str
) -> dict[str, Any]:
    """The PUT body GitHub's REST docs give for this kind of target."""
    body: dict[str, Any] = {"encrypted_value": encrypted_value, "key_id": key_id}
    if plan.target.kind == "org":
        if planned.visibility is None:
            # Never guess: a guess could widen a secret that is `selected` today.
            raise UsageError(f"{plan.target.label}: {planned.name}'s visibility was not looked up")
        body["visibility"] = planned.visibility
        if planned.visibility == "selected":
            body["selected_repository_ids"] = list(planned.selected_repository_ids)
    elif plan.target.kind == "user" and plan.selected_repository_ids:
        # `gh secret set --user --repos`: the repositories whose codespaces may use it.
        body["selected_repository_ids"] = list(plan.selected_repository_ids)
    return body


# --- reads that feed the plan ------------------------------------------------------------


def resolve_repo_ids(
    api: GitHubApi, sets: Sequence[TargetSet], *, concurrency: int = DEFAULT_CONCURRENCY
) -> dict[str, int]:
    """Repository ids for every --selected-repo, one GET each however often it is named."""
    wanted = list(
        dict.fromkeys(name.lower() for s in sets for t in s.targets for name in t.selected_repos)
    )

    def lookup(name: str) -> int:
        response = api.request("GET", f"/repos/{name}")
        what = f"selected repository {name}"
        expect_status(
            response,
            what,
            (200,),
            not_found=f"repository {name} not found, or the token cannot see it",
        )
        data = response.data
        if not isinstance(data, dict) or type(data.get("id")) is not int or data["id"] <= 0:
            raise GitHubError(f"{what}: GitHub's answer has no repository id: check --api-url")
        return int(data["id"])

    ids = for_each(wanted, lookup, concurrency=concurrency, api=api)
    return dict(zip(wanted, ids, strict=True))


def list_secrets(api: GitHubApi, target: Target) -> list[dict[str, Any]]:
    """Every secret's metadata on `target` (all pages)."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        response = api.request("GET", f"{target.secrets_path}?per_page=100&page={page}")
        what = f"{target.label}: listing secrets"
        expect_status(response, what, (200,), not_found=target.not_found_hint)
        data = response.data
        batch = data.get("secrets") if isinstance(data, dict) else None
        if not isinstance(batch, list) or not all(
            isinstance(item, dict) and isinstance(item.get("name"), str) for item in batch
        ):
            # An HTML page, `{}`, or entries without names: not GitHub's list of secrets.
            raise GitHubError(f"{what}: GitHub's answer is not a list of secrets: check --api-url")
        items.extend(batch)
        if len(batch) < 100:
            return items
        page += 1


def existing_secret_names(api: GitHubApi, target: Target) -> set[str]:
    """Names already set on `target` (upper-cased), for a dry run's create/update column."""
    return {str(item["name"]).upper() for item in list_secrets(api, target)}


def existing_for_plan(
    api: GitHubApi, plan: PushPlan, *, concurrency: int = DEFAULT_CONCURRENCY
) -> dict[Target, set[str]]:
    """One list request per target, concurrently; raises the first failure."""
    targets = list(dict.fromkeys(tp.target for tp in plan.targets))
    names = for_each(
        targets, lambda t: existing_secret_names(api, t), concurrency=concurrency, api=api
    )
    return dict(zip(targets, names, strict=True))


# --- apply -------------------------------------------------------------------------------


@dataclass
class SecretResult:
    name: str
    outcome: Outcome
    error: str | None = None
    # When GitHub stored it, by GitHub's clock (the PUT answer's `Date`): `list` compares the
    # secret's `updated_at` with it to tell a change made elsewhere.
    written_at: datetime | None = None


@dataclass
class TargetResult:
    target: Target
    secrets: list[SecretResult] = field(default_factory=list)
    error: str | None = None
    set_name: str | None = None
    profile: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(s.outcome in ("created", "updated") for s in self.secrets)

    @property
    def mixed(self) -> bool:
        """Some secrets were written and some were not: the target holds two generations."""
        written = [s for s in self.secrets if s.outcome in ("created", "updated")]
        return bool(written) and len(written) < len(self.secrets)

    @property
    def label(self) -> str:
        return self.target.label + (f" [{self.set_name}]" if self.set_name else "")

    @property
    def status(self) -> str:
        return report_word(self.outcome)

    @property
    def outcome(self) -> TargetOutcome:
        return written_outcome([s.outcome for s in self.secrets])

    def as_dict(self) -> dict[str, Any]:
        secrets = [{"name": s.name, "outcome": s.outcome} for s in self.secrets]
        flags = (self.ok, self.mixed)
        return target_row(
            self.target.label, self.set_name, self.outcome, flags, self.error, secrets
        )


def apply_push(
    api: GitHubApi,
    plan: PushPlan,
    values: Mapping[str, str] | None = None,
    *,
    values_by_profile: Mapping[str | None, Mapping[str, str]] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_result: Callable[[TargetResult], None] | None = None,
    keys: PublicKeys | None = None,
) -> list[TargetResult]:
    """Write the plan. `values` are the secrets of the run's one profile; with several
    profiles (config sets), `values_by_profile` maps each plan's profile to its own.

    Every secret is its own unit of work on the pool, so a target's secrets go out side by
    side rather than one round trip after another; results come back per target."""
    by_profile: dict[str | None, Mapping[str, str]] = dict(values_by_profile or {})
    if values is not None:
        by_profile.setdefault(None, values)
    for tp in plan.targets:
        if tp.profile not in by_profile and None not in by_profile:
            raise UsageError(f"no credentials for profile {tp.profile!r}")
    for profile_values in by_profile.values():
        validate_secret_values(dict(profile_values))
    keys = keys or PublicKeys(api)
    results = [
        TargetResult(tp.target, set_name=tp.set_name, profile=tp.profile) for tp in plan.targets
    ]
    outcomes: list[dict[int, SecretResult]] = [{} for _ in plan.targets]
    pending = [len(tp.secrets) for tp in plan.targets]
    lock = threading.Lock()
    begun = [_Begun() for _ in plan.targets]

    def put_one(item: tuple[int, int]) -> SecretResult:
        i, j = item
        tp = plan.targets[i]
        values_for = by_profile.get(tp.profile, by_profile.get(None, {}))
        outcomes[i][j] = _put_secret(api, keys, tp, tp.secrets[j], values_for, begun[i])
        return outcomes[i][j]

    def done(item: tuple[int, int], _secret: SecretResult) -> None:
        i = item[0]
        with lock:
            pending[i] -= 1
            finished = pending[i] == 0
        if finished and on_result is not None:
            on_result(_assemble(results[i], plan.targets[i], outcomes[i]))

    work = [(i, j) for i, tp in enumerate(plan.targets) for j in range(len(tp.secrets))]
    try:
        for_each(work, put_one, concurrency=concurrency, api=api, on_done=done)
    except KeyboardInterrupt:
        # The pool has waited for the writes in flight (cut short): report what got done.
        for i, tp in enumerate(plan.targets):
            _assemble(results[i], tp, outcomes[i])
        raise Interrupted(results=results) from None
    for i, tp in enumerate(plan.targets):
        _assemble(results[i], tp, outcomes[i])
    return results


class _Begun:
    """A target's writes are paced as one: the first to start pays our pacing budget for all
    of them, and the others take none, so our own pacing never holds a begun target's later
    writes behind other targets' and leaves it half-written (`mixed`, two generations of
    credentials side by side). A pause GitHub asks for (Retry-After, a used-up rate limit)
    still holds every write, begun or not: GitHub asks it of every request of the token. Each
    write's retries are paced again as usual."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paid = False

    def begin(self, api: GitHubApi, tp: TargetPlan) -> None:
        with self._lock:
            if not self._paid:
                api.pace("PUT", f"{tp.target.label}: writing", times=len(tp.secrets))
                self._paid = True


def _assemble(
    result: TargetResult, tp: TargetPlan, outcomes: Mapping[int, SecretResult]
) -> TargetResult:
    """The target's secrets in plan order; its error is the first one, in that order."""
    result.secrets = [
        outcomes.get(j, SecretResult(planned.name, "not-attempted"))
        for j, planned in enumerate(tp.secrets)
    ]
    result.error = next((s.error for s in result.secrets if s.error), None)
    return result


def _put_secret(
    api: GitHubApi,
    keys: PublicKeys,
    tp: TargetPlan,
    planned: PlannedSecret,
    values: Mapping[str, str],
    begun: _Begun,
) -> SecretResult:
    target = tp.target
    try:
        if planned.blocked is not None:
            raise planned.blocked
        key = keys.get(target)
        begun.begin(api, tp)
    except GitHubError as exc:
        if exc.status == 401:
            raise  # the token is bad for every target: stop and say so once
        # No key, no write: GitHub said why (failed), or the deadline or Ctrl-C came first.
        stopped = isinstance(exc, (DeadlineReached, Cancelled))
        return SecretResult(planned.name, "not-attempted" if stopped else "failed", str(exc))
    body = put_body(tp, planned, str(key["key_id"]), seal(str(key["key"]), values[planned.source]))
    try:
        response = api.request("PUT", f"{target.secrets_path}/{planned.name}", body, paid=True)
        # GitHub documents 201 (created) and 204 (updated); nothing else means it was stored.
        expect_status(
            response,
            f"{target.label}: setting {planned.name}",
            (201, 204),
            not_found=target.not_found_hint,
        )
    except (DeadlineReached, Cancelled) as exc:
        if not (isinstance(exc, DeadlineReached) and exc.sent):
            return SecretResult(planned.name, "not-attempted", str(exc))
        # Cut off in flight: GitHub may or may not have stored it.
        cut: Outcome = "interrupted" if api.deadline.aborted else "failed"
        return SecretResult(planned.name, cut, str(exc))
    except GitHubError as exc:
        if exc.status == 401:
            raise
        return SecretResult(planned.name, "failed", str(exc))
    outcome: Outcome = "created" if response.status == 201 else "updated"
    return SecretResult(planned.name, outcome, written_at=response.date)
