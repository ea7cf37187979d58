"""The servers' clock, as the `Date` headers of AWS's and GitHub's answers tell it.

SigV4 refuses requests signed more than a few minutes off, GitHub refuses an App JWT issued in
its future, and credentials expire by the issuer's clock. So each answer's `Date` is compared
with this machine's clock; the offset (the servers' time minus ours) is recorded in the state
file (keepfresh/state.py, `clock`) and used wherever a time is judged against the servers':
freshness, the next run of `watch`, an App JWT's dates. `doctor` fails beyond `SKEW_LIMIT`.

A `Date` is to the whole second and late by the answer's latency: offsets within a second or
two are noise, and only a change of `NOTE_CHANGE` seconds is written again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

SKEW_LIMIT = 300.0  # seconds: beyond this `doctor` fails (SigV4 allows 5 to 15 minutes)
NOTE_CHANGE = 2.0  # seconds: a smaller change of the offset is not written to the state file
NTP_FIX = (
    "turn on network time (`timedatectl set-ntp true` on Linux; Date & Time settings on macOS "
    "and Windows)"
)
SET_CLOCK_FIX = f"set this machine's clock right: {NTP_FIX}"

# What AWS and GitHub answer when the request's time is off from theirs.
_SKEW_WORDS = (
    "signature expired",
    "signature not yet current",
    "requestexpired",
    "request has expired",
    "'issued at' claim",
    "claim ('exp') is too far in the future",
    "claim ('exp') must be a numeric value representing the future",
)


@dataclass(frozen=True)
class Reading:
    """One measurement: the offset in seconds (the server's clock minus ours), and when."""

    offset: float
    at: float  # this machine's time of the measurement (epoch seconds)


@dataclass
class ServerClock:
    """This machine's clock corrected by the last offset measured; thread-safe."""

    local: Callable[[], float] = time.time
    # source ("aws", "github") -> reading: the recorded ones, then each new measurement
    readings: dict[str, Reading] = field(default_factory=dict)
    # Told of a measurement that moved the offset by NOTE_CHANGE or more (the state file).
    on_change: Callable[[str, Reading], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def offset(self) -> float:
        """The latest measurement's offset, from whichever server; 0 when none was made."""
        return self.offset_of(None)

    def offset_of(self, source: str | None) -> float:
        """`source`'s offset when it was measured, else the latest from any server, else 0."""
        with self._lock:
            reading = self.readings.get(source) if source is not None else None
            if reading is None:
                reading = max(self.readings.values(), key=lambda r: r.at, default=None)
        # Within the noise of a whole-second header, this machine's clock stands as it is.
        return 0.0 if reading is None or abs(reading.offset) < NOTE_CHANGE else reading.offset

    def time(self, source: str | None = None) -> float:
        """Now, by the servers' clock, or by `source`'s (epoch seconds)."""
        return self.local() + self.offset_of(source)

    def now(self, source: str | None = None) -> datetime:
        """Now by the servers' clock, or by `source`'s (what that server issued, such as AWS's
        expiries, is judged by its own clock, not by the last answer of another)."""
        return datetime.fromtimestamp(self.time(source), timezone.utc)

    def observe(self, source: str, headers: Mapping[str, str]) -> None:
        """Note the offset an answer's `Date` header shows (headers in any case)."""
        received = self.local()
        date = next((v for k, v in headers.items() if k.lower() == "date"), None)
        server = _parse_date(date)
        if server is None:
            return
        # The header is truncated to the second: its middle is the best guess.
        reading = Reading(round(server + 0.5 - received, 1), received)
        with self._lock:
            before = self.readings.get(source)
            self.readings[source] = reading
        changed = before is None or abs(before.offset - reading.offset) >= NOTE_CHANGE
        if changed and self.on_change is not None:
            self.on_change(source, reading)


def _parse_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def describe_offset(offset: float) -> str:
    """'20 min ahead of', '2 h 5 min behind', '40 s ahead of': this machine's clock, relative
    to the server's (a positive offset: ours is behind)."""
    span = abs(offset)
    if span >= 3600:
        amount = f"{int(span // 3600)} h {round(span % 3600 / 60)} min"
    elif span >= 60:
        amount = f"{round(span / 60)} min"
    else:
        amount = f"{round(span)} s"
    return f"{amount} {'behind' if offset > 0 else 'ahead of'}"


def skew_hint(message: str, offset: float | None = None) -> str | None:
    """For an error AWS or GitHub gives when the request's time is off from theirs: the one
    line that says so, with the fix; None for any other error."""
    lowered = message.lower()
    if not any(words in lowered for words in _SKEW_WORDS):
        return None
    how = (
        f" ({describe_offset(offset)} the server's)"
        if offset is not None and abs(offset) >= 1
        else ""
    )
    return f"this machine's clock is off{how}: {NTP_FIX}"
