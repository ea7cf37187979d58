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
from typing import Any

from sso_sync.errors import SsoSyncError, UsageError
from sso_sync.keepfresh.schedule.backend import (
    Installed,
    Planned,
    Runner,
    Status,
    read_text,
    restore,
)
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

    def _check_ours(self, job: Job) -> None:
        path = self._path(job)
        if _label_of(path) not in (None, label(job)):
            raise UsageError(
                f"{path} was not written by `sso-sync schedule install`: left as it is; move it "
                "away yourself if it should go"
            )

    def install(self, job: Job) -> str:
        from sso_sync.files import write_private_text

        path = self._path(job)
        self._check_ours(job)
        before = read_text(path)
        self.run(["launchctl", "bootout", f"gui/{self.uid}/{label(job)}"], None)  # a reinstall
        write_private_text(path, plist(job))
        result = self.run(["launchctl", "bootstrap", f"gui/{self.uid}", str(path)], None)
        if result.returncode != 0:
            restore([(path, before)])  # nothing half-installed
            raise SsoSyncError(
                f"`launchctl bootstrap` failed: {result.stderr.strip()[:200]}; nothing was "
                f"installed ({path} is back as it was): check `launchctl print gui/{self.uid}`, "
                "or use --backend cron"
            )
        return str(path)

    def remove(self, job: Job) -> bool:
        path = self._path(job)
        if not path.exists():
            return False
        self._check_ours(job)
        self.run(["launchctl", "bootout", f"gui/{self.uid}/{label(job)}"], None)
        path.unlink()
        return True

    def status(self, job: Job) -> Status:
        installed = self._path(job).exists()
        # Said as cron's schedule is, since the calendar intervals fire at cron's minutes.
        return Status(installed, f"every {duration_text(job.every)} (StartCalendarInterval)", None)

    def installed(self) -> list[Installed]:
        found = []
        for path in sorted(self.directory.glob("io.github.sso-sync.sso-sync-*.plist")):
            data = _plist_of(path)
            if data is None or data.get("Label") != path.stem:
                continue
            argv = data.get("ProgramArguments")
            command = tuple(str(a) for a in argv) if isinstance(argv, list) else ()
            found.append(
                Installed(path.stem.removeprefix("io.github.sso-sync."), command, str(path))
            )
        return found

    def available(self) -> bool:
        return self.run(["launchctl", "version"], None).returncode == 0


def _plist_of(path: Path) -> dict[str, Any] | None:
    try:
        data = plistlib.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, plistlib.InvalidFileException, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _label_of(path: Path) -> str | None:
    """The plist's Label; None when there is no file ("" when it is not a plist of a job)."""
    data = _plist_of(path)
    return None if data is None else str(data.get("Label", ""))
