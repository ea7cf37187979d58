"""`push` with the state file: lock each target, skip the fresh ones, push the rest, record.

The sequence: take every target's write lock it can within the wait (`--timeout`); a target
still locked by another run then is `busy`. With the locks held, read the state file again (the
other run may just have pushed): with `min_remaining`, a target whose recorded credentials have
at least that long left is `fresh`. The rest go to `run_push`, and what happened is recorded.
When nothing is left to push, no AWS and no GitHub request is made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sso_sync.durations import human_duration
from sso_sync.errors import LoginRequired
from sso_sync.keepfresh.state import (
    StateStore,
    TargetLockWait,
    TargetRecord,
    new_record,
    target_key,
)
from sso_sync.outcomes import TargetOutcome

if TYPE_CHECKING:
    from sso_sync.github.targets import Target, TargetSet
    from sso_sync.sync import PushRun


@dataclass(frozen=True)
class HeldTarget:
    """A target this run did not write: `fresh` (enough life left) or `busy` (locked)."""

    target: Target
    set_name: str | None
    outcome: TargetOutcome
    remaining_seconds: float | None

    @property
    def ok(self) -> bool:
        return self.outcome == "fresh"

    @property
    def label(self) -> str:
        return self.target.label + (f" [{self.set_name}]" if self.set_name else "")

    def describe(self) -> str:
        if self.outcome == "fresh":
            return f"{self.label}: fresh ({human_duration(self.remaining_seconds or 0)} left)"
        return (
            f"{self.label}: busy: another sso-sync run held this target until the --timeout "
            "deadline: re-run once it is done"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target.label,
            "set": self.set_name,
            "outcome": self.outcome,
            "ok": self.ok,
            "mixed": False,
            "error": None if self.ok else "locked by another sso-sync run",
            "secrets": [],
            "remaining_seconds": _whole(self.remaining_seconds),
        }


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds)


PushSets = Callable[[Sequence["TargetSet"]], "PushRun"]


def push_when_due(
    sets: Sequence[TargetSet],
    push: PushSets,
    *,
    store: StateStore,
    lock_wait: TargetLockWait,
    min_remaining: timedelta | None,
    now: Callable[[], datetime],
    empty_run: Callable[[], PushRun],
    role_of: Callable[[str | None], tuple[str, str]] | None = None,
) -> PushRun:
    """Push `sets` (through `push`, which is `run_push` with its clients) to every target that
    is due, under the targets' locks; record each outcome in `store`.

    `role_of(profile)` gives the (account, role) a set's profile would push: a target recorded
    with another account or role is due whatever its expiry."""
    keys = {
        (index, target): target_key(target, target_set.prefix)
        for index, target_set in enumerate(sets)
        for target in dict.fromkeys(target_set.targets)
    }
    with store.holding(keys.values(), lock_wait) as held_keys:
        records = store.read()
        moment = now()
        held: list[HeldTarget] = []
        due_sets: list[TargetSet] = []
        for index, target_set in enumerate(sets):
            due: list[Target] = []
            for target in dict.fromkeys(target_set.targets):
                key = keys[(index, target)]
                record = records.get(key)
                left = record.remaining_seconds(moment) if record else None
                if key not in held_keys:
                    held.append(HeldTarget(target, target_set.name, "busy", left))
                elif (
                    min_remaining is not None
                    and record is not None
                    and left is not None
                    and left >= min_remaining.total_seconds()
                    and (role_of is None or _same_role(record, role_of(target_set.profile)))
                ):
                    held.append(HeldTarget(target, target_set.name, "fresh", left))
                else:
                    due.append(target)
            if due:
                due_sets.append(dataclasses.replace(target_set, targets=tuple(due)))
        if not due_sets:
            run = empty_run()
        else:
            try:
                run = push(due_sets)
            except LoginRequired as exc:
                # For `schedule status`: the targets were not attempted, and what to run.
                store.update(_unfinished(due_sets, records, moment, "not-attempted", str(exc)))
                raise
            except KeyboardInterrupt:
                # Some secrets may have been written: the record must not call them fresh.
                store.update(_unfinished(due_sets, records, now(), "interrupted", "interrupted"))
                raise
            store.update(_records_of(run, due_sets, records, now()))
        run.held = held
        run.remaining = _remaining(run, now())
        return run


def _same_role(record: TargetRecord, role: tuple[str, str]) -> bool:
    return (record.account_id, record.role_name) == role


def _unfinished(
    sets: Sequence[TargetSet],
    records: Mapping[str, TargetRecord],
    at: datetime,
    outcome: TargetOutcome,
    error: str,
) -> dict[str, TargetRecord]:
    out = {}
    for target_set in sets:
        for target in target_set.targets:
            key = target_key(target, target_set.prefix)
            out[key] = new_record(
                target,
                target_set.prefix,
                outcome=outcome,
                at=at,
                previous=records.get(key),
                error=error,
            )
    return out


def _records_of(
    run: PushRun, sets: Sequence[TargetSet], records: Mapping[str, TargetRecord], at: datetime
) -> dict[str, TargetRecord]:
    prefixes = {(s.name, t): s.prefix for s in sets for t in s.targets}
    by_profile = {c.account_id + "/" + c.role_name: c for _name, c in run.credentials}
    credentials = dict(zip(run.profiles, (c for _n, c in run.credentials), strict=False))
    out = {}
    for result in run.results:
        prefix = prefixes.get((result.set_name, result.target), "")
        key = target_key(result.target, prefix)
        creds = credentials.get(result.profile)
        if creds is None and len(by_profile) == 1:
            creds = next(iter(by_profile.values()))
        out[key] = new_record(
            result.target,
            prefix,
            outcome=result.outcome,
            at=at,
            previous=records.get(key),
            expires_at=creds.expiration if creds else None,
            account_id=creds.account_id if creds else None,
            role_name=creds.role_name if creds else None,
            error=result.error,
        )
    return out


def _remaining(run: PushRun, at: datetime) -> dict[str, float | None]:
    """Seconds of life left on each written target's credentials, by label."""
    credentials = dict(zip(run.profiles, (c for _n, c in run.credentials), strict=False))
    only = run.credentials[0][1] if len(run.credentials) == 1 else None
    out: dict[str, float | None] = {}
    for result in run.results:
        creds = credentials.get(result.profile, only)
        out[result.label] = (
            (creds.expiration - at).total_seconds() if creds is not None and result.ok else None
        )
    return out
