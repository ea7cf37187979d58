"""Small pieces of English shared by several messages: plurals and the failed-targets line."""

from __future__ import annotations

from collections.abc import Sequence


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
