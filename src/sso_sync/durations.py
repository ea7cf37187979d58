"""Durations as people write and read them: `--min-remaining 30m`, `valid 52 min`, `fresh (1 h
left)`. Shared vocabulary at the bottom: every layer may import it, it imports nothing of ours
but errors.

Three readings of a duration, each kept where people already see it:
- `describe_duration`: `status` and `doctor` (`52 min`, `7 h 59 min`, `89 days`);
- `brief_duration`: the action's verdicts (`45 min`, `2 h 5 min`, `3 d 4 h`);
- `human_duration`: a fresh target's line (`1 h 52 min`, `40 s`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sso_sync.errors import UsageError

_DURATION_RE = re.compile(
    r"^(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m)?(?:(?P<s>[0-9]+)s)?$"
)


def parse_duration(text: str, option: str = "--min-remaining") -> timedelta:
    """`30m`, `2h`, `1h30m`, `1d`, `90s`, or a bare number of minutes."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned.isascii() and cleaned.isdigit():
        cleaned += "m"
    match = _DURATION_RE.fullmatch(cleaned)
    if not cleaned or match is None:
        raise UsageError(f"{option} '{text}' is not a duration: write it like 30m, 2h or 1h30m")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    try:
        return timedelta(
            days=parts.get("d", 0),
            hours=parts.get("h", 0),
            minutes=parts.get("m", 0),
            seconds=parts.get("s", 0),
        )
    except OverflowError:
        raise UsageError(f"{option} '{text}' is longer than any credentials live") from None


def describe_duration(delta: timedelta) -> str:
    """`52 min`, `7 h 59 min`, `89 days`: what a person wants to read, not a timestamp."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return "under a minute"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def brief_duration(delta: timedelta) -> str:
    """`45 min`, `2 h`, `2 h 5 min`, `3 d 4 h`: the precision a person acts on."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins} min" if mins else "")
    return f"{mins} min" if mins else "under a minute"


def human_duration(seconds: float) -> str:
    """`1 h 52 min`, `12 min`, `40 s`."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"


def utc_now() -> datetime:
    """The wall clock, in UTC: what expiries are compared with."""
    return datetime.now(timezone.utc)
