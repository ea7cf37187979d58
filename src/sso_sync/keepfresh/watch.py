"""`watch`: push now (unless fresh), sleep until the credentials are due, push again, for as long
as the IAM Identity Center sign-in lasts.

Each cycle is one `push --min-remaining` (its own client, its own `--timeout`). Between cycles
the process sleeps on an event, so it uses no CPU, and a signal wakes it at once. The sleep is
cut into slices re-measured on the wall clock (waiting.py): after a laptop's suspend, a cycle
that fell due while it slept runs within `WAKE_SLICE` seconds of waking. When a target
fails, the next cycle comes sooner (backing off), but never lets the others' credentials lapse.
A browser sign-in needed ends the loop: that `LoginRequired` goes up to the CLI (exit 3).

The clock, the wait and the jitter are passed in, so the tests drive the loop without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sso_sync.errors import ChangedElsewhere, LoginRequired, SsoSyncError, UsageError
from sso_sync.files import utc_timestamp
from sso_sync.wording import without_label

if TYPE_CHECKING:
    from sso_sync.keepfresh.elsewhere import ChangedSecret
    from sso_sync.push_run import PushRun

DEFAULT_REFRESH_BEFORE = timedelta(minutes=15)
# Credentials shorter-lived than this get a third of their life as the default margin instead.
SHORT_LIFETIME = timedelta(minutes=45)
RETRY_FIRST = 5.0  # seconds before the first retry of a failed cycle or target
RETRY_MAX = 300.0
JITTER_MAX = 30.0
MIN_SLEEP = RETRY_FIRST  # seconds: the next cycle never starts sooner after this one ends


def refresh_margin(explicit: timedelta | None, lifetime: timedelta | None) -> timedelta:
    """How long before expiry to push again. Only the default is shortened for short-lived
    credentials; an explicit value is used as given, and must be shorter than the lifetime."""
    if explicit is not None:
        if lifetime is not None and explicit >= lifetime:
            raise UsageError(
                f"--refresh-before {_seconds(explicit)} is not shorter than the credentials' "
                f"lifetime ({_seconds(lifetime)}): give a shorter one, such as "
                f"{_seconds(lifetime / 3)}"
            )
        return explicit
    if lifetime is not None and lifetime < SHORT_LIFETIME:
        return lifetime / 3
    return DEFAULT_REFRESH_BEFORE


def jitter_limit(margin: timedelta) -> float:
    """At most this many seconds early: a tenth of the margin, at most 30 s."""
    return min(JITTER_MAX, margin.total_seconds() / 10)


def _seconds(span: timedelta) -> str:
    return f"{int(span.total_seconds())}s"


@dataclass
class Cycle:
    """What one cycle did, and when the next one runs."""

    number: int
    at: datetime
    next_at: datetime | None  # None: the last cycle (watch is ending with an error)
    run: PushRun | None = None
    error: str | None = None  # the cycle as a whole failed (AWS unreachable, a bad token)
    # What failed without stopping the cycle: a repository listing (the last list was used).
    warnings: list[str] = field(default_factory=list)
    # Secrets another writer changed since this machine wrote them, and what was done about it.
    changed: list[ChangedSecret] = field(default_factory=list)
    fatal: SsoSyncError | None = None  # ends watch once the cycle is reported (--on-change stop)
    expires_at: datetime | None = None  # the earliest expiry among the targets
    pushed: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Failed targets GitHub says do not exist (404): they will not exist 5 s later either.
    not_found: list[str] = field(default_factory=list)

    @property
    def retry_soon(self) -> bool:
        """Whether a failure here may pass by itself: not when the only failures are targets
        that do not exist; those are tried again with the next regular cycle."""
        return bool(self.error or self.warnings or set(self.failed) - set(self.not_found))

    def line(self) -> str:
        """The one progress line on stderr."""
        when = utc_timestamp(self.at)
        if self.error is not None:
            head = f"{when} cycle {self.number} failed: {self.error}"
        else:
            head = f"{when} cycle {self.number}: pushed {len(self.pushed)}"
            if self.pushed:
                head += " (" + ", ".join(self.pushed) + ")"
            if self.fresh:
                head += f", fresh {len(self.fresh)}"
            if self.failed:
                head += f", FAILED {len(self.failed)} (" + ", ".join(self.failed) + ")"
            if self.changed:
                labels = dict.fromkeys(c.label for c in self.changed)
                head += f", CHANGED ELSEWHERE {len(self.changed)} (" + ", ".join(labels) + ")"
        head += "".join(f"; {w}" for w in self.warnings)
        expiry = f"; expiry {utc_timestamp(self.expires_at)}" if self.expires_at else ""
        if self.next_at is None:
            return f"{head}{expiry}; no next run"
        return f"{head}{expiry}; next run {utc_timestamp(self.next_at)}"

    def failure_lines(self) -> list[str]:
        """Under the cycle line: why each failed target failed, one line each, as `push`
        reports it; and each secret changed elsewhere, with the fix."""
        from sso_sync.keepfresh.elsewhere import FIX

        changed = [f"  {c.describe()}" for c in self.changed]
        changed += [f"  fix: {FIX}"] if self.changed else []
        if self.run is None:
            return changed
        lines = changed + [
            f"  {r.label}: {r.status}: {without_label(r.target.label, r.error or '')}"
            for r in self.run.results
            if not r.ok
        ]
        return lines + [f"  {h.describe()}" for h in self.run.held if not h.ok]

    def as_dict(self) -> dict[str, Any]:
        """One JSON line on stdout."""
        return {
            "cycle": self.number,
            "at": utc_timestamp(self.at),
            "ok": self.error is None and not self.failed and not self.warnings,
            "error": self.error,
            "warnings": self.warnings,
            "pushed": self.pushed,
            "fresh": self.fresh,
            "failed": self.failed,
            "changed_elsewhere": [c.as_dict() for c in self.changed],
            "expires_at": utc_timestamp(self.expires_at) if self.expires_at else None,
            "next_run": utc_timestamp(self.next_at) if self.next_at else None,
            "targets": self.run.as_dict()["targets"] if self.run is not None else [],
        }


@dataclass
class Watcher:
    """The loop, with everything that touches the world passed in."""

    push: Callable[[timedelta], PushRun]  # one push --min-remaining
    now: Callable[[], datetime]
    wait: Callable[[float], bool]  # sleep this long; True when told to stop
    stopping: Callable[[], bool]
    on_cycle: Callable[[Cycle], None]
    jitter: Callable[[float], float]  # a random number in [0, limit]
    refresh_before: timedelta | None = None  # None: the default
    # After each push: what failed without stopping it (watch_cycle.py's listing failures).
    warnings: Callable[[], list[str]] = list
    # After each push: the secrets found changed elsewhere (cycles.py's check).
    changed: Callable[[], list[ChangedSecret]] = list
    max_cycles: int | None = None  # for tests and the benchmark
    monotonic: Callable[[], float] = time.monotonic  # bounds a wait when the wall clock is set back

    def run(self) -> None:
        """Until stopped (returns) or a sign-in is needed (raises LoginRequired). An explicit
        margin not shorter than the credentials' lifetime, known once they are issued, is a
        UsageError after that cycle is reported."""
        margin = refresh_margin(self.refresh_before, None)
        failures = 0
        number = 0
        while not self.stopping():
            number += 1
            cycle = self._cycle(number, margin + timedelta(seconds=jitter_limit(margin) + 1))
            if cycle.fatal is not None:
                cycle.next_at = None  # reported, then watch ends
                self.on_cycle(cycle)
                raise cycle.fatal
            if cycle.run is not None and cycle.run.credentials:
                try:
                    margin = refresh_margin(self.refresh_before, lifetime_of(cycle))
                except UsageError:
                    cycle.next_at = None  # this cycle's push happened: report it, then stop
                    self.on_cycle(cycle)
                    raise
            failures = failures + 1 if cycle.retry_soon else 0
            cycle.next_at = next_at = self._next(cycle, margin, failures)
            self.on_cycle(cycle)
            if self.max_cycles is not None and number >= self.max_cycles:
                return
            if self._sleep_until(next_at):
                return

    def _sleep_until(self, next_at: datetime) -> bool:
        """Until `next_at` by the wall clock (a suspend moves it on), or as long as was asked by
        the monotonic clock (a wall clock set back does not stretch it); True when stopped."""
        from sso_sync.waiting import sliced_wait

        asked = (next_at - self.now()).total_seconds()
        monotonic_end = self.monotonic() + asked

        def left() -> float:
            return min((next_at - self.now()).total_seconds(), monotonic_end - self.monotonic())

        return sliced_wait(left, self.wait)

    def _cycle(self, number: int, min_remaining: timedelta) -> Cycle:
        at = self.now()
        cycle = Cycle(number, at, at)
        try:
            run = self.push(min_remaining)
        except LoginRequired:
            raise
        except SsoSyncError as exc:
            cycle.error = str(exc)
            cycle.warnings = self.warnings()
            cycle.changed = self.changed()
            cycle.fatal = exc if isinstance(exc, ChangedElsewhere) else None
            return cycle
        cycle.warnings = self.warnings()
        cycle.changed = self.changed()
        cycle.run = run
        cycle.pushed = [r.label for r in run.results if r.ok]
        cycle.failed = [r.label for r in run.results if not r.ok]
        cycle.failed += [h.label for h in run.held if not h.ok]
        cycle.not_found = [
            r.label for r in run.results if not r.ok and r.target.not_found_hint in (r.error or "")
        ]
        cycle.fresh = [h.label for h in run.held if h.ok]
        left = [s for s in run.remaining.values() if s is not None]
        left += [h.remaining_seconds for h in run.held if h.remaining_seconds is not None]
        if left:
            cycle.expires_at = at + timedelta(seconds=min(left))
        return cycle

    def _next(self, cycle: Cycle, margin: timedelta, failures: int) -> datetime:
        """When the earliest target is due, a little early; sooner after a failure."""
        due = None
        if cycle.expires_at is not None:
            due = cycle.expires_at - margin - timedelta(seconds=self.jitter(jitter_limit(margin)))
        if failures:
            retry = cycle.at + timedelta(seconds=min(RETRY_MAX, RETRY_FIRST * 2 ** (failures - 1)))
            due = retry if due is None else min(due, retry)
        if due is None:  # nothing known about any expiry: try again after the margin
            due = cycle.at + margin
        # Never at once: a margin that leaves no time (credentials that live barely longer than
        # it, a slow cycle) must not turn into a loop without sleep.
        return max(due, self.now() + timedelta(seconds=MIN_SLEEP))


def lifetime_of(cycle: Cycle) -> timedelta:
    """The shortest lifetime among the credentials and the other secrets (registry tokens) the
    cycle pushed: as issued where known, else from the cycle's start (slightly long), to the
    whole second. A 15-minute ECR password beside 12-hour credentials is renewed by its own."""
    assert cycle.run is not None
    spans = [
        c.lifetime if c.lifetime is not None else c.expiration - cycle.at
        for _n, c in cycle.run.credentials
    ]
    # A secret that expires before the credentials was issued just now, for less: count it.
    # (Cached credentials may be part-used; their full lifetime is what counts for them.)
    soonest = min((c.expiration for _n, c in cycle.run.credentials), default=None)
    spans += [
        when - cycle.at
        for issued in cycle.run.issued.values()
        for when in issued.values()
        if soonest is None or when < soonest
    ]
    return timedelta(seconds=round(min(spans).total_seconds()))
