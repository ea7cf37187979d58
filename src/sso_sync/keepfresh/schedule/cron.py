"""The user's crontab (`crontab -l`, `crontab -`): one marked block per job; every other line is
kept byte for byte.

cron runs the command line with /bin/sh and turns `%` into a newline, so every word is quoted
for sh and `%` escaped. cron reads `\\\\%` as an escaped backslash and then a bare `%` (which
cuts the command there), so a `%` is never written after a value's backslash: each `%` stands
outside sh's quotes, as `\\%`.

A block is ours only as `install` writes it, three lines: the exact BEGIN line, the job's line,
the exact END line. A user's own `# BEGIN sso-sync-...` comment, or a BEGIN with no END, is
left alone.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from sso_sync.errors import SsoSyncError
from sso_sync.keepfresh.schedule.backend import Installed, Planned, Runner, Status
from sso_sync.keepfresh.schedule.job import Job


def schedule_of(job: Job) -> str:
    minutes = job.minutes
    if minutes < 60:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    hours = minutes // 60
    return "0 0 * * *" if hours == 24 else ("0 * * * *" if hours == 1 else f"0 */{hours} * * *")


def _word(text: str) -> str:
    # a\%b is written 'a\'\%'b': sh's quotes are closed before each `%`, so no backslash of
    # the value precedes it.
    return "\\%".join(shlex.quote(part) for part in text.split("%"))


def begin_line(name: str) -> str:
    return (
        f"# BEGIN {name} (written by `sso-sync schedule install`; remove with "
        "`sso-sync schedule remove`)"
    )


def block(job: Job) -> str:
    env = " ".join(f"{key}={_word(value)}" for key, value in job.environment)
    command = " ".join(_word(arg) for arg in job.argv)
    return f"{begin_line(job.name)}\n{schedule_of(job)} {env} {command}\n# END {job.name}\n"


BEGIN = re.compile(r"# BEGIN (sso-sync-[A-Za-z0-9_-]+) \(written by `sso-sync schedule install`")


def blocks(text: str) -> list[tuple[int, str, str]]:
    """Every block install wrote: (index of its BEGIN line, job name, the job's line)."""
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines[:-2]):
        match = BEGIN.match(line)
        if (
            match
            and line == begin_line(match[1])
            and lines[index + 2] == f"# END {match[1]}"
            and not lines[index + 1].startswith("#")
        ):
            found.append((index, match[1], lines[index + 1]))
    return found


def _without(text: str, name: str) -> tuple[str, bool]:
    """The crontab without the job's block, and whether there was one."""
    lines = text.splitlines(keepends=True)
    drop = {i + k for i, found, _line in blocks(text) if found == name for k in range(3)}
    return "".join(ln for i, ln in enumerate(lines) if i not in drop), bool(drop)


@dataclass
class Cron:
    run: Runner
    name: str = "cron"

    def _read(self) -> str:
        result = self.run(["crontab", "-l"], None)
        if result.returncode != 0:
            if "no crontab" in result.stderr.lower():
                return ""
            raise SsoSyncError(f"`crontab -l` failed: {result.stderr.strip()[:200]}")
        return result.stdout

    def _write(self, text: str) -> None:
        result = self.run(["crontab", "-"], text)
        if result.returncode != 0:
            raise SsoSyncError(
                f"`crontab -` refused the new crontab: {result.stderr.strip()[:200]}"
            )

    def plan(self, job: Job) -> list[Planned]:
        return [Planned("the user's crontab (crontab -l / crontab -), its own block", block(job))]

    def install(self, job: Job) -> str:
        current, _found = _without(self._read(), job.name)
        if current and not current.endswith("\n"):
            current += "\n"
        self._write(current + block(job))
        return "the crontab"

    def remove(self, job: Job) -> bool:
        current = self._read()
        rest, found = _without(current, job.name)
        if found:
            self._write(rest)
        return found

    def status(self, job: Job) -> Status:
        _rest, found = _without(self._read(), job.name)
        return Status(installed=found, schedule=schedule_of(job), next_run=None)

    def installed(self) -> list[Installed]:
        found = []
        for _index, name, line in blocks(self._read()):
            words = shlex.split(line.replace("\\%", "%"))[5:]
            while words and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", words[0]):
                words.pop(0)
            found.append(Installed(name, tuple(words), "the crontab"))
        return found

    def available(self) -> bool:
        result = self.run(["crontab", "-l"], None)
        return result.returncode == 0 or "no crontab" in result.stderr.lower()
