"""The user's crontab (`crontab -l`, `crontab -`): one marked block per job; every other line is
kept byte for byte.

cron runs the command line with /bin/sh and turns `%` into a newline, so every word is quoted
for sh and `%` escaped.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from sso_sync.errors import SsoSyncError
from sso_sync.keepfresh.schedule.backend import Planned, Runner, Status
from sso_sync.keepfresh.schedule.job import Job


def schedule_of(job: Job) -> str:
    minutes = job.minutes
    if minutes < 60:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    hours = minutes // 60
    return "0 0 * * *" if hours == 24 else ("0 * * * *" if hours == 1 else f"0 */{hours} * * *")


def _word(text: str) -> str:
    return shlex.quote(text).replace("%", "\\%")


def block(job: Job) -> str:
    env = " ".join(f"{key}={_word(value)}" for key, value in job.environment)
    command = " ".join(_word(arg) for arg in job.argv)
    return (
        f"# BEGIN {job.name} (written by `sso-sync schedule install`; remove with "
        "`sso-sync schedule remove`)\n"
        f"{schedule_of(job)} {env} {command}\n"
        f"# END {job.name}\n"
    )


def _without(text: str, name: str) -> tuple[str, bool]:
    """The crontab without the job's block, and whether there was one."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    inside = found = False
    for line in lines:
        if line.startswith(f"# BEGIN {name} ") or line.rstrip("\n") == f"# BEGIN {name}":
            inside = found = True
            continue
        if inside:
            if line.rstrip("\n") == f"# END {name}":
                inside = False
            continue
        out.append(line)
    return "".join(out), found


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

    def available(self) -> bool:
        result = self.run(["crontab", "-l"], None)
        return result.returncode == 0 or "no crontab" in result.stderr.lower()
