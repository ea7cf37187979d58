"""`list`: the secrets sso-sync manages on each target (the four credential names with the
set's prefix) and when each was last updated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sso_sync.errors import GitHubError
from sso_sync.github.fanout import DEFAULT_CONCURRENCY, for_each
from sso_sync.github.push import list_secrets
from sso_sync.github.rest import GitHubApi
from sso_sync.github.targets import Target, TargetSet, validate_secret_names
from sso_sync.outcomes import ListOutcome, stopped_or_failed
from sso_sync.wording import failed_targets


@dataclass(frozen=True)
class ManagedSecret:
    name: str
    updated_at: str | None
    visibility: str | None = None
    # GitHub's `updated_at` is over a minute later than when this machine's last write of it
    # landed (keepfresh/elsewhere.py); None: this machine has no record of writing it.
    changed_elsewhere: bool | None = None
    # When the value this machine last pushed expires (each secret its own: a registry token
    # lives apart from the role credentials); None: no record of it here.
    expires_at: str | None = None


@dataclass
class Listing:
    """One target of one set: its managed secrets as GitHub reports them, or why not."""

    target: Target
    set_name: str | None
    prefix: str
    secrets: list[ManagedSecret] = field(default_factory=list)
    error: str | None = None
    outcome: ListOutcome = "listed"

    @property
    def label(self) -> str:
        return self.target.label + (f" [{self.set_name}]" if self.set_name else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target.label,
            "set": self.set_name,
            "prefix": self.prefix,
            "outcome": self.outcome,
            "error": self.error,
            "secrets": [
                {
                    "name": s.name,
                    "updated_at": s.updated_at,
                    "changed_elsewhere": s.changed_elsewhere,
                    "expires_at": s.expires_at,
                }
                | ({"visibility": s.visibility} if s.visibility else {})
                for s in self.secrets
            ],
        }


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
        validate_secret_names(target_set.secret_names())
        jobs += [(t, target_set) for t in dict.fromkeys(target_set.targets)]

    def one(job: tuple[Target, TargetSet]) -> Listing:
        target, target_set = job
        listing = Listing(target, target_set.name, target_set.prefix)
        wanted = {n.upper() for n in target_set.secret_names()}
        try:
            items = list_secrets(api, target)
        except GitHubError as exc:
            if exc.status == 401:
                raise
            listing.error = str(exc)
            stopped = stopped_or_failed(exc, aborted=api.deadline.aborted)
            listing.outcome = (
                "failed" if stopped not in ("not-attempted", "interrupted") else stopped
            )
            return listing
        order = {n.upper(): i for i, n in enumerate(target_set.secret_names())}
        found = [
            item
            for item in items
            if isinstance(item.get("name"), str) and item["name"].upper() in wanted
        ]
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


def failed_listings(listings: Sequence[Listing]) -> str | None:
    """One line naming the targets whose listing failed, or None."""
    failed = [li for li in listings if li.error]
    if not failed:
        return None
    return failed_targets([(li.label, "failed") for li in failed], len(listings))
