"""What every scheduler backend offers, and the one way they run a program (injected in tests)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
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


def read_text(path: Path) -> str | None:
    """A scheduler file's text, or None when there is none (or it cannot be read as text)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def owned_by_us(path: Path, head: str) -> bool:
    """True when `path` is missing or opens with `head`, as `install` writes it: a file of the
    same name that does not is the user's, never to be replaced or deleted."""
    if not path.exists() and not path.is_symlink():
        return True
    if path.is_symlink():
        return False
    text = read_text(path)
    return text is not None and text.startswith(head)


def restore(files: list[tuple[Path, str | None]]) -> None:
    """Put files back as they were before a failed install: the old text, or no file."""
    from sso_sync.files import write_private_text

    for path, text in files:
        if text is None:
            path.unlink(missing_ok=True)
        else:
            write_private_text(path, text)


@dataclass(frozen=True)
class Installed:
    """A job a backend holds, found without knowing its targets (`schedule list`)."""

    name: str
    command: tuple[str, ...]  # the job's argv, the sso-sync executable first
    where: str


class Backend(Protocol):
    name: str

    def plan(self, job: Job) -> list[Planned]: ...

    def install(self, job: Job) -> str: ...

    def remove(self, job: Job) -> bool: ...

    def status(self, job: Job) -> Status: ...

    def installed(self) -> list[Installed]: ...

    def available(self) -> bool: ...
