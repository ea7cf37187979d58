"""Per-target write locks: a scheduled run and a manual one never write one target at once.

One lock file per target under the state directory's `locks/`, held with an OS file lock (flock)
that the kernel drops when the process ends, however it ends. Every lock is tried without
blocking, round after round, until all are held or the wait is over: a target another run holds
does not keep this run from the targets that are free.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sso_sync.files import release_lock, take_lock, unusable_file


@dataclass(frozen=True)
class TargetLockWait:
    """How long to wait for target locks another run holds, and how."""

    seconds: float
    clock: Callable[[], float]  # monotonic
    sleep: Callable[[float], None]
    poll: float = 0.1
    # The wall clock ends the wait too: the monotonic one stops while the machine sleeps.
    wall: Callable[[], float] = time.time


@dataclass
class Lock:
    """A target lock this run holds: the descriptor carrying its flock."""

    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            release_lock(self.fd)
            self.fd = -1


def acquire_all(paths: Mapping[str, Path], wait: TargetLockWait) -> dict[str, Lock]:
    """Every lock it can take before `wait` runs out, by key."""
    deadline, wall_deadline = wait.clock() + wait.seconds, wait.wall() + wait.seconds
    pending = dict(paths)
    held: dict[str, Lock] = {}
    try:
        while True:
            for key, path in list(pending.items()):
                try:
                    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                except OSError as exc:
                    raise unusable_file(path, exc) from None
                fd = take_lock(path)
                if fd is not None:
                    held[key] = Lock(fd)
                    del pending[key]
            left = min(deadline - wait.clock(), wall_deadline - wait.wall())
            if not pending or left <= 0:
                return held
            wait.sleep(min(wait.poll, left))
    except BaseException:
        for lock in held.values():
            lock.release()
        raise
