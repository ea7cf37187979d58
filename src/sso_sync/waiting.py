"""Waits that a suspend cannot stretch: each long wait is cut into slices and re-measured on
the wall clock between them.

Python's timed waits (`threading.Event.wait`, `time.sleep`) count on the monotonic clock, and
Linux's monotonic clock stops while the machine sleeps: a 50-minute wait begun before a lid is
closed for 55 minutes ends 50 minutes after waking. So a wait is over when either clock says so:
the wall clock (which jumps forward on waking) or the monotonic one (which a wall clock set back
cannot stretch, so such a change never makes a wait longer than asked, nor a loop spin). Slices
of at most `WAKE_SLICE` seconds bound how late a wait notices that it is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WAKE_SLICE = 30.0  # seconds: after waking, a wait that is over ends within this long


def time_left(
    seconds: float,
    *,
    wall: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
) -> Callable[[], float]:
    """What is left of a wait of `seconds` from now, by whichever clock has run further."""
    wall_end, monotonic_end = wall() + seconds, monotonic() + seconds
    return lambda: min(wall_end - wall(), monotonic_end - monotonic())


def sliced_wait(
    left: Callable[[], float], wait: Callable[[float], bool], slice_seconds: float = WAKE_SLICE
) -> bool:
    """Wait (`wait(seconds)` returns True when told to stop) until `left()` is zero or less;
    True when stopped."""
    while (remaining := left()) > 0:
        if wait(min(remaining, slice_seconds)):
            return True
    return False
