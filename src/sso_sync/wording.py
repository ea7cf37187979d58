"""Small pieces of English shared by several messages: plurals, the failed-targets line,
expiries, and text made safe to print (no terminal controls). Standard library only: the
action's fast path prints through it too."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

# C0 controls but tab and newline, DEL, and C1 controls: ESC starts CSI and OSC sequences (colours,
# window titles, hyperlinks, clipboard writes), and C1 has one-byte forms of them. Text from
# outside (config files, server messages, names GitHub or AWS return) can carry them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """`text` without terminal control characters, safe to print whatever its origin."""
    return _CONTROL.sub("", text)


def one_line(text: str) -> str:
    """`text` with control characters shown escaped (`\\n`, `\\x1b`): a message quoting what
    it was given (a name with a newline, a server's text with terminal escapes) stays one line
    and cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 target`, `2 targets`: the count and the noun that goes with it."""
    return f"{count} {noun if count == 1 else plural_form or noun + 's'}"


def failed_targets(failed: Sequence[tuple[str, str]], total: int) -> str:
    """`1 of 3 targets failed: a/b, c/d (partly written)`: a status is named only where it says
    more than "failed"."""
    named = ", ".join(
        label if status == "failed" else f"{label} ({status})" for label, status in failed
    )
    return f"{len(failed)} of {plural(total, 'target')} failed: {named}"


def without_label(label: str, message: str) -> str:
    """An error message printed after its target's label need not start with it again."""
    return message.removeprefix(f"{label}: ")


def expire_at(expiration: datetime, now: datetime | None = None) -> str:
    """`expire at 2026-12-07T10:51:13Z (59 min left)`: the moment, and what it means now."""
    from sso_sync.durations import brief_duration
    from sso_sync.files import utc_timestamp

    left = expiration - (now or datetime.now(timezone.utc))
    if left <= timedelta(0):
        return f"expired at {utc_timestamp(expiration)} ({brief_duration(left)} ago)"
    return f"expire at {utc_timestamp(expiration)} ({brief_duration(left)} left)"
