"""The words every command uses for what happened to a target, in its report and in `--json`.

- `created` / `updated`: every secret of the target was written (`updated` when any existed).
- `fresh`: nothing to do; the target's credentials have enough life left (`push --min-remaining`).
- `mixed`: some secrets were written and some were not: the target holds two generations; re-run.
- `failed`: nothing was written, and GitHub said why.
- `not-attempted`: the run ended (its deadline, another target's fatal error) before this target.
- `interrupted`: Ctrl-C or a signal stopped the run while this target was being written.
- `busy`: another sso-sync run held this target's lock until the deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

TargetOutcome = Literal[
    "created", "updated", "fresh", "mixed", "failed", "not-attempted", "interrupted", "busy"
]
OUTCOMES: tuple[TargetOutcome, ...] = (
    "created",
    "updated",
    "fresh",
    "mixed",
    "failed",
    "not-attempted",
    "interrupted",
    "busy",
)
SUCCESSFUL: frozenset[TargetOutcome] = frozenset({"created", "updated", "fresh"})


def written_outcome(secret_outcomes: Sequence[str]) -> TargetOutcome:
    """A target's outcome from its secrets' (`created`, `updated`, `failed`, `not attempted`)."""
    written = [o for o in secret_outcomes if o in ("created", "updated")]
    if written and len(written) == len(secret_outcomes):
        return "updated" if "updated" in written else "created"
    if written:
        return "mixed"
    if secret_outcomes and all(o == "not attempted" for o in secret_outcomes):
        return "not-attempted"
    return "failed"
