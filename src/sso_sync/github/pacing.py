"""Pacing GitHub requests: a token bucket counted in GitHub's own "points", and a shared pause.

GitHub's documented secondary limits for the REST API (docs.github.com, "Rate limits for the
REST API"): no more than 100 concurrent requests, and no more than 900 points a minute, where a
GET costs 1 point and a PUT/POST/PATCH/DELETE costs 5. That is 180 writes a minute at most.

A token bucket of capacity C points refilled at R points a second lets through at most C + 60·R
points in any 60-second window. We keep that at 900 so that no minute, including the first one,
can exceed the limit: C = 450 and R = 7.5. The burst of 450 points is 90 writes, enough for about
20 repositories x 4 secrets plus their key fetches to go at full concurrency with no wait at all;
beyond that we settle at 90 writes a minute, half the documented ceiling, leaving the other half
to whatever else uses the same token (other jobs, `gh`). A bucket at 15 points a second with no
burst would sustain 180 writes a minute but make even a 5-repository push wait.

When GitHub asks for a wait (Retry-After, or a primary rate limit at 0 until x-ratelimit-reset),
every worker waits, not only the one that was told: the limits are per token, so the others
would only collect more 403s and 429s. A pause longer than `LONG_WAIT` is told once, by the
first worker held by it, so that a run waiting on GitHub never looks hung.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

READ_POINTS = 1
# Waits longer than this are told on stderr (without -v): a silent pause looks like a hang.
LONG_WAIT = 2.0
WRITE_POINTS = 5


def request_points(method: str) -> int:
    return READ_POINTS if method.upper() in ("GET", "HEAD", "OPTIONS") else WRITE_POINTS


@dataclass(frozen=True)
class PacingPolicy:
    burst_points: float = 450.0
    points_per_second: float = 7.5


class Pacer:
    """Thread-safe: every worker calls `acquire` before each request."""

    def __init__(
        self,
        policy: PacingPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy or PacingPolicy()
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.policy.burst_points
        self._updated = clock()
        self._paused_until = 0.0
        # The same pause's end on the wall clock: a pause (a rate-limit reset, up to an hour)
        # also ends when the wall clock gets there, as after a suspend it does first.
        self._paused_until_wall = 0.0
        self._pause_why = ""
        self._pause_told = True  # nothing to tell until a pause is asked for

    def pause_until(self, when: float, why: str, *, told: bool = False) -> None:
        """No request starts before `when` (a `clock()` value), in any worker. `why` says what
        the wait is for; `told` when the caller has said so already."""
        with self._lock:
            if when > self._paused_until:
                self._paused_until, self._pause_why, self._pause_told = when, why, told
                self._paused_until_wall = self._wall_clock() + (when - self._clock())

    def acquire(
        self,
        points: int,
        deadline: float | None,
        on_long_wait: Callable[[str], None] | None = None,
    ) -> float | None:
        """Wait until `points` may be spent; returns None, or, without waiting, the number of
        seconds that would be needed when that wait would end past `deadline`. A pause over
        `LONG_WAIT` seconds is told to `on_long_wait` once, by the first worker it holds."""
        while True:
            tell = None
            with self._lock:
                now = self._clock()
                rate, cap = self.policy.points_per_second, self.policy.burst_points
                self._tokens = min(cap, self._tokens + (now - self._updated) * rate)
                self._updated = now
                wait = max(0.0, self._paused_until - now)
                by_wall = self._paused_until_wall - self._wall_clock()
                if by_wall < wait - 1.0:  # the machine slept through part of the pause
                    wait = max(0.0, by_wall)
                if wait == 0.0 and self._tokens >= points:
                    self._tokens -= points
                    return None
                if wait == 0.0:
                    wait = (points - self._tokens) / rate
                elif (
                    wait > LONG_WAIT
                    and not self._pause_told
                    and on_long_wait is not None
                    and (deadline is None or now + wait <= deadline)
                ):
                    self._pause_told = True
                    tell = f"{self._pause_why}: waiting {wait:.0f} s before sending more"
            if deadline is not None and now + wait > deadline:
                return wait
            if tell is not None and on_long_wait is not None:
                on_long_wait(tell)
            self._sleep(wait)
