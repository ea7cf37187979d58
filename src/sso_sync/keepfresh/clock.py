"""The servers' clock for one command, made when first asked: the offsets the state file
recorded, then each answer's (server_clock.py), a change written back (state.py
`recorded_clock`). A command that never judges a time (`--help`) never reads the state file,
and this module imports neither it nor server_clock.py until then."""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from sso_sync.server_clock import ServerClock


class RecordedClock:
    """One command's `ServerClock`; pushes ask for it from several threads at once."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._clock: ServerClock | None = None
        self._lock = threading.Lock()

    def clock(self) -> ServerClock:
        with self._lock:
            if self._clock is None:
                from sso_sync.keepfresh.state import recorded_clock, store_for

                self._clock = recorded_clock(functools.partial(store_for, self._environ))
            return self._clock

    def now(self) -> datetime:
        """Now by the servers' clock: this machine's, corrected by the offset they showed."""
        return self.clock().now()
