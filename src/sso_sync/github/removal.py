"""`remove`: delete the secrets sso-sync manages (plan first from the listings, then delete)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sso_sync.errors import GitHubError
from sso_sync.github.fanout import DEFAULT_CONCURRENCY, for_each
from sso_sync.github.listing import Listing
from sso_sync.github.rest import GitHubApi, expect_status
from sso_sync.outcomes import TargetOutcome, report_word, stopped_or_failed, written_outcome
from sso_sync.wording import failed_targets


@dataclass(frozen=True)
class RemovePlan:
    """What `remove` will delete: only the managed secrets that exist, per target."""

    targets: tuple[tuple[Listing, tuple[str, ...]], ...]

    @property
    def count(self) -> int:
        return sum(len(names) for _, names in self.targets)

    def as_dict(self, *, dry_run: bool) -> dict[str, Any]:
        """The JSON of a dry run (or of a run with nothing to delete)."""
        return {
            "dry_run": dry_run,
            "targets": [
                {**listing.as_dict(), "delete": list(names)} for listing, names in self.targets
            ],
        }


def plan_remove(listings: Sequence[Listing]) -> RemovePlan:
    """Pure: listings in, deletions out. A target whose listing failed deletes nothing."""
    return RemovePlan(
        tuple((listing, tuple(s.name for s in listing.secrets)) for listing in listings)
    )


RemoveOutcome = Literal["deleted", "already gone", "failed", "not-attempted", "interrupted"]


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

    @property
    def outcome(self) -> TargetOutcome:
        if self.listing.error is not None:
            return self.listing.outcome if self.listing.outcome != "listed" else "failed"
        if not self.outcomes and self.error is None:
            return "updated"  # none of the managed secrets was there: nothing left to delete
        return written_outcome([o for _, o in self.outcomes])

    @property
    def status(self) -> str:
        return report_word(self.outcome)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.listing.target.label,
            "set": self.listing.set_name,
            "outcome": self.outcome,
            "ok": self.ok,
            "mixed": self.mixed,
            # A target whose listing failed was never deleted from: the listing says why.
            "error": self.error or self.listing.error,
            "secrets": [{"name": n, "outcome": o} for n, o in self.outcomes],
        }


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
                expect_status(
                    response,
                    f"{target.label}: deleting {name}",
                    (204,),
                    not_found=target.not_found_hint,
                )
                result.outcomes.append((name, "deleted"))
        except GitHubError as exc:
            if exc.status == 401:
                raise
            result.error = str(exc)
            word = stopped_or_failed(exc, aborted=api.deadline.aborted)
            result.outcomes.append((names[len(result.outcomes)], word))
        for name in names[len(result.outcomes) :]:
            result.outcomes.append((name, "not-attempted"))
        return result

    return for_each(
        list(plan.targets),
        one,
        concurrency=concurrency,
        api=api,
        on_done=None if on_done is None else (lambda _item, r: on_done(r)),
    )


def removal_failure(results: Sequence[RemoveResult], listings: Sequence[Listing]) -> str | None:
    """One line naming every target that failed, in the listing or the deletes, or None."""
    failed = [r for r in results if not r.ok]
    reported = {id(r.listing) for r in results}
    failed += [RemoveResult(li) for li in listings if li.error and id(li) not in reported]
    if not failed:
        return None
    return failed_targets([(r.listing.label, r.status) for r in failed], len(listings))
