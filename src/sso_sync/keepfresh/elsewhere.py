"""Secrets changed elsewhere: another writer (a teammate's `gh secret set`, a second machine,
Terraform) put a value in a secret this machine manages.

GitHub never shows a secret's value, but it tells each secret's `updated_at`. This machine
records when GitHub stored each secret it wrote, by GitHub's own clock (the PUT answer's `Date`,
keepfresh/state.py's `written`), so no clock skew enters the comparison. A secret whose
`updated_at` is more than `TOLERANCE` later than that was written again by someone else: it no
longer holds this machine's credentials, and two writers are fighting over it.

`list` shows the verdict per secret, `doctor` fails such a target, `watch` checks every cycle
and the scheduled push at most once an hour (`CHECK_EVERY`), one listing request per target
that this machine has written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sso_sync.errors import UsageError
from sso_sync.files import parse_utc_timestamp
from sso_sync.keepfresh.state import TargetRecord, target_key

if TYPE_CHECKING:
    from sso_sync.github.listing import Listing
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import Target, TargetSet
    from sso_sync.keepfresh.notices import Notifier
    from sso_sync.terminal import Terminal

# GitHub's `updated_at` and its `Date` come from two steps of one request, a second apart at
# most; a minute keeps any rounding or slow answer from ever reading as another writer.
TOLERANCE = timedelta(seconds=60)
CHECK_EVERY = timedelta(hours=1)  # the scheduled push's pace (watch checks every cycle)
EVENT = "changed_elsewhere"  # the notification's event name
TITLE = "sso-sync: a secret was changed elsewhere"
FIX = (
    "stop the other writer, or let one writer own it: remove the target from sso-sync, or stop "
    "setting the secret elsewhere"
)

# What watch does about it: push its own credentials again (the default: they are the fresh
# ones), leave the other writer's value and stop writing that target, or stop watching.
Policy = Literal["overwrite", "keep", "stop"]
POLICIES: tuple[Policy, ...] = ("overwrite", "keep", "stop")
DONE: dict[Policy, str] = {
    "overwrite": "overwritten with this machine's credentials",
    "keep": "kept: watch no longer writes this target (a `push` takes it back)",
    "stop": "watch stopped",
}


def policy(text: str) -> Policy:
    """`--on-change`'s value, checked."""
    for known in POLICIES:
        if text == known:
            return known
    raise UsageError(f"--on-change {text!r}: give one of {', '.join(POLICIES)}")


def changed_since(written_at: str | None, updated_at: object) -> bool | None:
    """True when `updated_at` is over `TOLERANCE` after `written_at`; None when either is
    unknown (this machine never wrote it, or GitHub gave no time)."""
    written = parse_utc_timestamp(written_at)
    updated = parse_utc_timestamp(updated_at)
    if written is None or updated is None:
        return None
    return updated - written > TOLERANCE


def written_record(
    records: Mapping[str, TargetRecord], target: Target, prefix: str
) -> dict[str, str]:
    """When GitHub stored each secret this machine wrote to the target, by upper-cased name."""
    record = records.get(target_key(target, prefix))
    written = record.written if record is not None else None
    return {n.upper(): t for n, t in (written or {}).items()}


def mark(listings: Sequence[Listing], records: Mapping[str, TargetRecord]) -> None:
    """Set each listed secret's `changed_elsewhere`, and its own expiry, from this machine's
    record."""
    for listing in listings:
        written = written_record(records, listing.target, listing.prefix)
        record = records.get(target_key(listing.target, listing.prefix))
        expiry = {n.upper(): t for n, t in ((record.secrets if record else None) or {}).items()}
        listing.secrets = [
            dataclasses.replace(
                s,
                changed_elsewhere=changed_since(written.get(s.name.upper()), s.updated_at),
                expires_at=expiry.get(s.name.upper()),
            )
            for s in listing.secrets
        ]


@dataclass(frozen=True)
class ChangedSecret:
    """One secret another writer changed after this machine wrote it."""

    target: Target
    set_name: str | None
    prefix: str
    name: str
    updated_at: str
    written_at: str
    done: str | None = None  # what was done about it (DONE), once decided

    @property
    def key(self) -> str:
        return target_key(self.target, self.prefix)

    @property
    def label(self) -> str:
        return self.target.label + (f" [{self.set_name}]" if self.set_name else "")

    def describe(self) -> str:
        """`octo-org/app: AWS_ACCESS_KEY_ID changed elsewhere at T (this machine wrote it at
        T0)`, then what was done."""
        text = (
            f"{self.label}: {self.name} changed elsewhere at {self.updated_at} (this machine "
            f"wrote it at {self.written_at})"
        )
        return text + (f": {self.done}" if self.done else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target.label,
            "set": self.set_name,
            "secret": self.name,
            "updated_at": self.updated_at,
            "written_at": self.written_at,
            "done": self.done,
        }


def changed_secrets(
    listings: Sequence[Listing], records: Mapping[str, TargetRecord]
) -> list[ChangedSecret]:
    """The listed secrets changed elsewhere, in listing order (the listings are marked)."""
    mark(listings, records)
    found = []
    for li in listings:
        written = written_record(records, li.target, li.prefix)
        found += [
            ChangedSecret(
                li.target,
                li.set_name,
                li.prefix,
                s.name,
                str(s.updated_at),
                written[s.name.upper()],
            )
            for s in li.secrets
            if s.changed_elsewhere
        ]
    return found


def find_changed(
    api: GitHubApi,
    sets: Sequence[TargetSet],
    records: Mapping[str, TargetRecord],
    *,
    concurrency: int,
) -> tuple[list[ChangedSecret], list[str]]:
    """One listing request per target this machine has written (none for the others); the
    secrets changed elsewhere, and one line per target whose listing failed."""
    from sso_sync.github.listing import list_managed

    written = [
        dataclasses.replace(
            s, targets=tuple(t for t in s.targets if written_record(records, t, s.prefix))
        )
        for s in sets
    ]
    written = [s for s in written if s.targets]
    if not written:
        return [], []
    listings = list_managed(api, written, concurrency=concurrency)
    failed = [
        f"{li.label}: not checked for changes made elsewhere: {li.error}"
        for li in listings
        if li.error
    ]
    return changed_secrets(listings, records), failed


def notify_new(
    terminal: Terminal,
    changed: Sequence[ChangedSecret],
    told: set[tuple[str, str, str]],
    notifier: Notifier | None = None,
) -> None:
    """One notification per change (a secret and the `updated_at` it was found with): `watch`
    finds a kept change again every cycle, and tells it once. `told` is updated. With a
    notifier (keepfresh/notices.py), the `changed_elsewhere` event on every channel it has
    (the desktop among them), per target."""
    new = [c for c in changed if (c.key, c.name, c.updated_at) not in told]
    if not new:
        return
    told.update((c.key, c.name, c.updated_at) for c in new)
    if notifier is None:
        terminal.notify(TITLE, "; ".join(c.describe() for c in new) + f". Fix: {FIX}")
        return
    by_target: dict[str, list[str]] = {}
    for c in new:
        by_target.setdefault(c.label, []).append(c.name)
    for label, names in by_target.items():
        notifier.changed_elsewhere([label], names)


def due_for_check(last: object, now: datetime) -> bool:
    """The scheduled push checks when it never did, or `CHECK_EVERY` has passed (a clock set
    back counts as passed)."""
    at = parse_utc_timestamp(last)
    return at is None or not (timedelta(0) <= now - at < CHECK_EVERY)
