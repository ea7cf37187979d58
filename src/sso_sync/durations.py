"""Durations as users write them (`30m`, `2h`, `1h30m`): one parser for every option that takes
one. Standard library only, like everything the action's fast path imports."""

from __future__ import annotations

import re
from datetime import timedelta

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
