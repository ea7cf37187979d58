"""The secrets sso-sync manages on a target (the four credential names with the set's prefix):
listing them, and removing them (plan first, then delete)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sso_sync.errors import GitHubError
from sso_sync.fanout import DEFAULT_CONCURRENCY, for_each
from sso_sync.github import GitHubApi, raise_for_status
from sso_sync.push import list_secrets, managed_names
from sso_sync.targets import Target, TargetSet, validate_secret_names


@dataclass(frozen=True)
class ManagedSecret:
    name: str
    updated_at: str | None
    visibility: str | None = None


@dataclass
class Listing:
    """One target of one set: its managed secrets as GitHub reports them, or why not."""

    target: Target
    set_name: str | None
    prefix: str
    secrets: list[ManagedSecret] = field(default_factory=list)
    error: str | None = None

    @property
    def label(self) -> str:
        return self.target.label + (f" [{self.set_name}]" if self.set_name else "")


def list_managed(
    api: GitHubApi,
    sets: Sequence[TargetSet],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[Listing], None] | None = None,
) -> list[Listing]:
    """One list request (per page) per target; a failing target is reported, not raised."""
    jobs: list[tuple[Target, TargetSet]] = []
    for target_set in sets:
        validate_secret_names(managed_names(target_set.prefix))
        jobs += [(t, target_set) for t in dict.fromkeys(target_set.targets)]

    def one(job: tuple[Target, TargetSet]) -> Listing:
        target, target_set = job
        listing = Listing(target, target_set.name, target_set.prefix)
        wanted = {n.upper() for n in managed_names(target_set.prefix)}
        try:
            items = list_secrets(api, target)
        except GitHubError as exc:
            if exc.status == 401:
                raise
            listing.error = str(exc)
            return listing
        order = {n.upper(): i for i, n in enumerate(managed_names(target_set.prefix))}
        found = [item for item in items if str(item.get("name", "")).upper() in wanted]
        found.sort(key=lambda item: order[str(item["name"]).upper()])
        listing.secrets = [
            ManagedSecret(
                str(item["name"]),
                item.get("updated_at"),
                item.get("visibility") if target.kind == "org" else None,
            )
            for item in found
        ]
        return listing

    return for_each(
        jobs,
        one,
        concurrency=concurrency,
        api=api,
        on_done=None if on_done is None else (lambda _job, listing: on_done(listing)),
    )


# --- remove ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemovePlan:
    """What `remove` will delete: only the managed secrets that exist, per target."""

    targets: tuple[tuple[Listing, tuple[str, ...]], ...]

    @property
    def count(self) -> int:
        return sum(len(names) for _, names in self.targets)


def plan_remove(listings: Sequence[Listing]) -> RemovePlan:
    """Pure: listings in, deletions out. A target whose listing failed deletes nothing."""
    return RemovePlan(
        tuple((listing, tuple(s.name for s in listing.secrets)) for listing in listings)
    )


RemoveOutcome = Literal["deleted", "already gone", "failed", "not attempted"]


@dataclass
class RemoveResult:
    listing: Listing
    outcomes: list[tuple[str, RemoveOutcome]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.listing.error is None

    @property
    def mixed(self) -> bool:
        done = [o for _, o in self.outcomes if o in ("deleted", "already gone")]
        return bool(done) and len(done) < len(self.outcomes)


def apply_remove(
    api: GitHubApi,
    plan: RemovePlan,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[RemoveResult], None] | None = None,
) -> list[RemoveResult]:
    def one(item: tuple[Listing, tuple[str, ...]]) -> RemoveResult:
        listing, names = item
        result = RemoveResult(listing)
        target = listing.target
        try:
            for name in names:
                response = api.request("DELETE", f"{target.secrets_path}/{name}")
                if response.status == 404:
                    result.outcomes.append((name, "already gone"))
                    continue
                raise_for_status(
                    response, f"{target.label}: deleting {name}", not_found=target.not_found_hint
                )
                result.outcomes.append((name, "deleted"))
        except GitHubError as exc:
            if exc.status == 401:
                raise
            result.error = str(exc)
            result.outcomes.append((names[len(result.outcomes)], "failed"))
        for name in names[len(result.outcomes) :]:
            result.outcomes.append((name, "not attempted"))
        return result

    return for_each(
        list(plan.targets),
        one,
        concurrency=concurrency,
        api=api,
        on_done=None if on_done is None else (lambda _item, r: on_done(r)),
    )
