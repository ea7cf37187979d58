"""How long a run with a deadline may take on this machine, as loaded as it is right now.

The deadline tests check that a command facing a peer that never answers (or drips one byte at a
time) ends by its `--timeout` instead of waiting forever. Past the deadline the command still has
work to do (close sockets, report each target), and a child process has to start: all CPU, which
on a 2-core machine running the suite in parallel workers (and other work) can take several times
longer than on an idle one. A fixed bound is either loose on an idle machine or flaky on a busy
one; retrying would hide a real overrun. So the slack past the deadline grows with the load per
core (the 1-minute load average) and is the fixed one on an idle machine. A run that ignored the
deadline still fails: it waits forever, well past any of these bounds (and the 120 s test limit).
"""

from __future__ import annotations

import os

# Seconds past the deadline an idle machine needs at most (the bounds these tests had before).
IDLE_SLACK = 7.0
# The bound never grows past this many seconds of slack, far below the 120 s test limit.
MAX_SLACK = 60.0


def load_per_core() -> float:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return os.getloadavg()[0] / (cores or 1)


def within(deadline: float, idle_slack: float = IDLE_SLACK) -> float:
    """The most seconds a run with `deadline` may take here and now."""
    return deadline + min(idle_slack * max(1.0, load_per_core()), MAX_SLACK)
