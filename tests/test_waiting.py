"""Waits a suspend cannot stretch (waiting.py and the waits built on it): the monotonic clock
stops while the machine sleeps, the wall clock jumps on waking. Two fake clocks, no sleeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from sso_sync.github.pacing import Pacer
from sso_sync.keepfresh.locks import TargetLockWait, acquire_all
from sso_sync.waiting import WAKE_SLICE, sliced_wait, time_left


class Machine:
    """A wall and a monotonic clock; `suspend_at` the n-th wait (from 1) the machine sleeps."""

    def __init__(self, suspend_at: int = 0, suspend: float = 3300.0) -> None:
        self.wall_now = 1_000_000.0
        self.ticks = 0.0
        self.waits: list[float] = []
        self.suspend_at, self.suspend = suspend_at, suspend

    def wall(self) -> float:
        return self.wall_now

    def monotonic(self) -> float:
        return self.ticks

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        if len(self.waits) > 10_000:
            raise AssertionError("the wait never ended")
        self.ticks += seconds
        self.wall_now += seconds
        if len(self.waits) == self.suspend_at:
            self.wall_now += self.suspend  # asleep: only the wall clock moves
        return False

    def sleep(self, seconds: float) -> None:
        """As GitHubApi sleeps: in slices (sliced_wait)."""
        self.wait(min(seconds, WAKE_SLICE))


def test_a_wait_spanning_a_suspend_ends_within_a_slice_of_waking() -> None:
    machine = Machine(suspend_at=2)
    left = time_left(3000, wall=machine.wall, monotonic=machine.monotonic)
    assert sliced_wait(left, machine.wait) is False
    assert machine.waits == [WAKE_SLICE, WAKE_SLICE]  # awake again after 60 s: 3360 s have passed


def test_a_wall_clock_set_back_does_not_stretch_a_wait() -> None:
    machine = Machine(suspend_at=1, suspend=-7200)
    left = time_left(300, wall=machine.wall, monotonic=machine.monotonic)
    sliced_wait(left, machine.wait)
    assert sum(machine.waits) == 300 and min(machine.waits) > 0


def test_a_pause_for_the_rate_limit_ends_by_the_wall_clock_after_a_suspend() -> None:
    machine = Machine(suspend_at=1)
    pacer = Pacer(clock=machine.monotonic, sleep=machine.sleep, wall_clock=machine.wall)
    pacer.pause_until(3600.0, "GitHub's rate limit for this token is used up")
    # After the first slice the machine sleeps 55 minutes: 270 s of the pause are left.
    assert pacer.acquire(1, None) is None
    assert sum(machine.waits) < 400  # not the 3600 s the monotonic clock would ask


def test_a_lock_wait_ends_by_the_wall_clock_after_a_suspend(tmp_path: Path) -> None:
    from filelock import FileLock

    path = tmp_path / "target.lock"
    other = FileLock(str(path))
    other.acquire()  # another run holds the target
    try:
        machine = Machine(suspend_at=3)
        wait = TargetLockWait(60, machine.monotonic, machine.sleep, wall=machine.wall)
        assert acquire_all({"t": path}, wait) == {}
        assert len(machine.waits) == 3  # busy: given up on waking, not 60 s of polls later
    finally:
        other.release()


@pytest.mark.parametrize("seconds", [0, -5])
def test_a_wait_with_nothing_left_does_not_wait(seconds: float) -> None:
    machine = Machine()
    sliced_wait(time_left(seconds, wall=machine.wall, monotonic=machine.monotonic), machine.wait)
    assert machine.waits == []


def test_a_stop_during_a_slice_ends_the_wait_at_once() -> None:
    machine = Machine()
    asked: list[float] = []

    def stopped(seconds: float) -> bool:
        asked.append(seconds)
        return True

    assert sliced_wait(time_left(3000, wall=machine.wall, monotonic=machine.monotonic), stopped)
    assert asked == [WAKE_SLICE]


def test_the_last_slice_is_what_is_left() -> None:
    machine = Machine()
    sliced_wait(time_left(45.5, wall=machine.wall, monotonic=machine.monotonic), machine.wait)
    assert machine.waits == [WAKE_SLICE, 15.5]
