"""A launchd user agent (macOS): `~/Library/LaunchAgents/io.github.sso-sync.NAME.plist`, loaded
with `launchctl bootstrap gui/UID`. `StartCalendarInterval` runs it at fixed minutes (and hours),
as cron would; unlike cron, and unlike `StartInterval` (whose firings during sleep are simply
missed), launchd starts a calendar job missed while the Mac slept once on wake, the missed
firings coalesced into one (launchd.plist(5))."""

from __future__ import annotations

import os
import plistlib
from dataclasses import dataclass, field
from pathlib import Path

from sso_sync.errors import SsoSyncError
from sso_sync.keepfresh.schedule.backend import Planned, Runner, Status
from sso_sync.keepfresh.schedule.job import Job, duration_text


def label(job: Job) -> str:
    return f"io.github.sso-sync.{job.name}"


def calendar_intervals(job: Job) -> list[dict[str, int]]:
    """The firings of a day as launchd dicts: every `--every` from midnight (minutes dividing
    an hour, or hours dividing a day, as `check_every` allows)."""
    minutes = job.minutes
    if minutes < 60:
        return [{"Minute": m} for m in range(0, 60, minutes)]
    return [{"Hour": h, "Minute": 0} for h in range(0, 24, minutes // 60)]


def plist(job: Job) -> str:
    data = {
        "Label": label(job),
        "ProgramArguments": list(job.argv),
        "EnvironmentVariables": dict(job.environment),
        "StartCalendarInterval": calendar_intervals(job),
        "RunAtLoad": False,
        "ProcessType": "Background",
    }
    return plistlib.dumps(data, sort_keys=True).decode("utf-8")


@dataclass
class Launchd:
    run: Runner
    directory: Path  # ~/Library/LaunchAgents
    uid: int = field(default_factory=os.getuid)
    name: str = "launchd"

    def _path(self, job: Job) -> Path:
        return self.directory / f"{label(job)}.plist"

    def plan(self, job: Job) -> list[Planned]:
        return [Planned(str(self._path(job)), plist(job))]

    def install(self, job: Job) -> str:
        from sso_sync.files import write_private_text

        path = self._path(job)
        self.run(["launchctl", "bootout", f"gui/{self.uid}/{label(job)}"], None)  # a reinstall
        write_private_text(path, plist(job))
        result = self.run(["launchctl", "bootstrap", f"gui/{self.uid}", str(path)], None)
        if result.returncode != 0:
            raise SsoSyncError(f"`launchctl bootstrap` failed: {result.stderr.strip()[:200]}")
        return str(path)

    def remove(self, job: Job) -> bool:
        path = self._path(job)
        if not path.exists():
            return False
        self.run(["launchctl", "bootout", f"gui/{self.uid}/{label(job)}"], None)
        path.unlink()
        return True

    def status(self, job: Job) -> Status:
        installed = self._path(job).exists()
        # Said as cron's schedule is, since the calendar intervals fire at cron's minutes.
        return Status(installed, f"every {duration_text(job.every)} (StartCalendarInterval)", None)

    def available(self) -> bool:
        return self.run(["launchctl", "version"], None).returncode == 0
