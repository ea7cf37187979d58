"""The words every command uses for what happened to a target, in its report and in `--json`.

- `created` / `updated`: every secret of the target was written (`updated` when any existed).
- `fresh`: nothing to do; the target's credentials have enough life left (`push --min-remaining`).
- `mixed`: some secrets were written and some were not: the target holds two generations; re-run.
- `failed`: nothing was written, and GitHub said why.
- `not-attempted`: the run ended (its deadline, another target's fatal error) before this target.
- `interrupted`: Ctrl-C or a signal stopped the run while this target was being written.
- `busy`: another sso-sync run held this target's lock until the deadline.

`remove` reports the same words for its deletions: `updated` when the target holds none of the
managed secrets any more (deleted, or already gone), `mixed` when some are gone and some are
not, `failed` when none could be deleted. `list` writes nothing: a target it read is `listed`
(a read-only command's one success word); it fails as `failed`, `not-attempted`, `interrupted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

TargetOutcome = Literal[
    "created", "updated", "fresh", "mixed", "failed", "not-attempted", "interrupted", "busy"
]
StoppedOutcome = Literal["failed", "not-attempted", "interrupted"]
ListOutcome = Literal["listed", "failed", "not-attempted", "interrupted"]


def report_word(outcome: str) -> str:
    """The word on a target's report line: a mixed target holds two generations, re-run it."""
    return "mixed, re-run" if outcome == "mixed" else outcome


def stopped_or_failed(exc: BaseException, *, aborted: bool) -> StoppedOutcome:
    """The outcome of a target whose only request ended in `exc`: never sent (the deadline
    came first, or Ctrl-C) is `not-attempted`; cut off in flight by Ctrl-C is `interrupted`."""
    from sso_sync.errors import Cancelled, DeadlineReached

    if isinstance(exc, Cancelled) or (isinstance(exc, DeadlineReached) and not exc.sent):
        return "not-attempted"
    if isinstance(exc, DeadlineReached) and aborted:
        return "interrupted"
    return "failed"


def written_outcome(secret_outcomes: Sequence[str]) -> TargetOutcome:
    """A target's outcome from its secrets' (`created`, `updated`, `failed`, `not-attempted`,
    `interrupted`; for `remove`, `deleted` and `already gone` count as `updated`)."""
    done = {"deleted": "updated", "already gone": "updated"}
    outcomes = [done.get(o, o) for o in secret_outcomes]
    written = [o for o in outcomes if o in ("created", "updated")]
    if written and len(written) == len(outcomes):
        return "updated" if "updated" in written else "created"
    if written:
        return "mixed"
    if "interrupted" in outcomes:
        return "interrupted"
    if outcomes and all(o == "not-attempted" for o in outcomes):
        return "not-attempted"
    return "failed"


def target_row(
    label: str,
    set_name: str | None,
    outcome: TargetOutcome,
    flags: tuple[bool, bool],
    error: str | None,
    secrets: list[dict[str, str]],
    **more: Any,
) -> dict[str, Any]:
    """A target's row in `--json`, written or held back alike (`flags`: ok, mixed), keys in one
    order for every kind of row; `more` is what a kind of row adds at its end."""
    ok, mixed = flags
    row = {"target": label, "set": set_name, "outcome": outcome, "ok": ok, "mixed": mixed}
    return {**row, "error": error, "secrets": secrets, **more}
