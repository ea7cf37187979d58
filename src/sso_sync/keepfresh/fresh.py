"""`push` with the state file: lock each target, skip the fresh ones, push the rest, record.

The sequence: take every target's write lock it can within the wait (`--timeout`); a target
still locked by another run then is `busy`. With the locks held, read the state file again (the
other run may just have pushed): with `min_remaining`, a target whose recorded credentials have
at least that long left is `fresh` (each secret has its own expiry: the soonest counts). The rest
are marked due in the file before the first write, so a run killed half-way (SIGKILL, a power
cut) never leaves a target with mixed credentials recorded as fresh; then they go to `run_push`,
and what happened is recorded. When nothing is left to push, no AWS and no GitHub request is
made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sso_sync.errors import LoginRequired
from sso_sync.keepfresh.locks import TargetLockWait
from sso_sync.keepfresh.state import StateStore, TargetRecord, new_record, target_key
from sso_sync.outcomes import TargetOutcome
from sso_sync.push_run import HeldTarget

if TYPE_CHECKING:
    from sso_sync.github.push import TargetResult
    from sso_sync.github.targets import Target, TargetSet
    from sso_sync.push_run import PushRun

# What a target due for a push is recorded as until the push is over: if the process dies
# between its writes, the target holds two generations and must not pass for fresh.
UNFINISHED = "the last push did not finish (the process was stopped): it is pushed again"


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
    force: frozenset[str] = frozenset(),
) -> PushRun:
    """Push `sets` (through `push`, which is `run_push` with its clients) to every target that
    is due, under the targets' locks; record each outcome in `store`.

    `role_of(profile)` gives the (account, role) a set's profile would push: a target recorded
    with another account or role is due whatever its expiry, and so is a target whose key is in
    `force` (a secret changed elsewhere, to be overwritten)."""
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
                    and key not in force
                    and _holds_every_secret(record, target_set)
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
            store.update(_unfinished(due_sets, records, moment, "interrupted", UNFINISHED))
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
        run.remaining = _remaining(run, due_sets, now())
        return run


def _holds_every_secret(record: TargetRecord, target_set: TargetSet) -> bool:
    """Whether the target holds every secret the set now pushes, by this machine's record: a
    source added since (`--ecr` on a job that pushed role credentials only) makes it due at once,
    however long the older secrets have left. A record from before each secret was recorded
    (state file version 1) held the role credentials alone."""
    from sso_sync.sources import ROLE_CREDENTIALS

    if record.secrets is None:
        return target_set.sources == (ROLE_CREDENTIALS,)
    held = {name.upper() for name in record.secrets}
    return all(name.upper() in held for name in target_set.secret_names())


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


def _set_of(sets: Sequence[TargetSet]) -> Callable[[TargetResult], TargetSet | None]:
    """The set a result's target was pushed for."""
    by_set = {(s.name, t): s for s in sets for t in s.targets}
    return lambda result: by_set.get((result.set_name, result.target))


def _expiries(
    run: PushRun, result: TargetResult, target_set: TargetSet | None
) -> tuple[dict[str, datetime], datetime | None]:
    """Each secret's expiry (as stored on GitHub), and the soonest: the target's. Without a
    source's record, the credentials' expiry."""
    secrets = _secret_expiry(run, result.profile, target_set)
    if secrets:
        return secrets, min(secrets.values())
    creds = run.credentials_of(result.profile)
    return secrets, creds.expiration if creds else None


def _records_of(
    run: PushRun, sets: Sequence[TargetSet], records: Mapping[str, TargetRecord], at: datetime
) -> dict[str, TargetRecord]:
    set_of = _set_of(sets)
    out = {}
    for result in run.results:
        target_set = set_of(result)
        prefix = target_set.prefix if target_set else ""
        key = target_key(result.target, prefix)
        creds = run.credentials_of(result.profile)
        secrets, soonest = _expiries(run, result, target_set)
        out[key] = new_record(
            result.target,
            prefix,
            outcome=result.outcome,
            at=at,
            previous=records.get(key),
            expires_at=soonest,
            secrets=secrets or None,
            account_id=creds.account_id if creds else None,
            role_name=creds.role_name if creds else None,
            error=result.error,
            written={s.name: s.written_at for s in result.secrets if s.written_at is not None},
        )
    return out


def _secret_expiry(
    run: PushRun, profile: str | None, target_set: TargetSet | None
) -> dict[str, datetime]:
    """Each secret of the set's sources, as stored on GitHub, and when it expires."""
    from sso_sync.sources import source_key

    if target_set is None:
        return {}
    issued = run.issued.get(profile)
    if issued is None and len(run.issued) == 1:
        issued = next(iter(run.issued.values()))
    out: dict[str, datetime] = {}
    for source in target_set.sources:
        for name in source.secret_names():
            when = (issued or {}).get(source_key(source, name))
            if when is not None:
                out[target_set.prefix + name] = when
    return out


def _remaining(run: PushRun, sets: Sequence[TargetSet], at: datetime) -> dict[str, float | None]:
    """Seconds of life left on each written target's soonest-expiring secret, by label."""
    set_of = _set_of(sets)
    out: dict[str, float | None] = {}
    for result in run.results:
        _secrets, soonest = _expiries(run, result, set_of(result))
        out[result.label] = (soonest - at).total_seconds() if soonest and result.ok else None
    return out
