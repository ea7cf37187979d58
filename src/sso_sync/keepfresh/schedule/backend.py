"""What every scheduler backend offers, and the one way they run a program (injected in tests)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sso_sync.keepfresh.schedule.job import Job

COMMAND_TIMEOUT = 30


@dataclass(frozen=True)
class Planned:
    """One thing `install` writes: where, and exactly what."""

    where: str
    content: str


@dataclass(frozen=True)
class Status:
    installed: bool
    schedule: str
    next_run: str | None  # where the backend knows it


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


class Runner(Protocol):
    def __call__(self, argv: Sequence[str], stdin: str | None) -> Completed: ...


def run_command(argv: Sequence[str], stdin: str | None) -> Completed:
    """Run a scheduler's own tool; a missing program is exit 127, as in a shell."""
    try:
        result = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        return Completed(127, "", f"{argv[0]}: not found")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Completed(126, "", f"{argv[0]}: {type(exc).__name__}")
    return Completed(result.returncode, result.stdout, result.stderr)


class Backend(Protocol):
    name: str

    def plan(self, job: Job) -> list[Planned]: ...

    def install(self, job: Job) -> str: ...

    def remove(self, job: Job) -> bool: ...

    def status(self, job: Job) -> Status: ...

    def available(self) -> bool: ...
