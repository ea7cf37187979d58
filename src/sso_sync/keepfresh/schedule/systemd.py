"""A systemd user timer: `NAME.service` (one-shot push) and `NAME.timer` in
`$XDG_CONFIG_HOME/systemd/user`. `Persistent=true` runs a missed push when the machine wakes.
User units run only while the user is logged in, unless lingering is on
(`loginctl enable-linger`).

Quoting follows systemd.syntax(7) and systemd.service(5): each word in double quotes with `\\`
and `"` escaped, `%` doubled (specifiers) and, in `ExecStart=` only, `$` doubled (variable
expansion; `Environment=` expands no variables, systemd.exec(5), so a doubled `$` there would
stay doubled).

Only files `install` wrote are replaced or deleted: a unit of the same name that does not open
with our Description is the user's, and is left alone.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sso_sync.errors import SsoSyncError, UsageError
from sso_sync.keepfresh.schedule.backend import (
    Installed,
    Planned,
    Runner,
    Status,
    owned_by_us,
    read_text,
    restore,
)
from sso_sync.keepfresh.schedule.job import Job

LINGER_NOTE = (
    "systemd user timers run only while you are logged in; to keep pushing after you log out: "
    "loginctl enable-linger $USER"
)


def unit_dir(environ: Mapping[str, str], home: Path) -> Path:
    base = environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else home / ".config"
    return root / "systemd" / "user"


def on_calendar(job: Job) -> str:
    minutes = job.minutes
    if minutes < 60:
        return f"*-*-* *:00/{minutes}:00"
    hours = minutes // 60
    # `00/24` is refused ("Failed to parse calendar specification"): a repetition must be
    # shorter than the field's range, as in cron.
    return "*-*-* 00:00:00" if hours == 24 else f"*-*-* 00/{hours}:00:00"


def _quote(text: str, *, expands_variables: bool = True) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return '"' + (escaped.replace("$", "$$") if expands_variables else escaped) + '"'


SERVICE_HEAD = "[Unit]\nDescription=sso-sync: keep GitHub secrets fresh ("
TIMER_HEAD = "[Unit]\nDescription=sso-sync: run "


def service_unit(job: Job) -> str:
    env = "".join(
        f"Environment={_quote(f'{k}={v}', expands_variables=False)}\n" for k, v in job.environment
    )
    return (
        f"{SERVICE_HEAD}{job.name})\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"{env}"
        f"ExecStart={' '.join(_quote(a) for a in job.argv)}\n"
    )


def timer_unit(job: Job) -> str:
    return (
        f"{TIMER_HEAD}{job.name} every {job.minutes} min\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar={on_calendar(job)}\n"
        "Persistent=true\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


@dataclass
class Systemd:
    run: Runner
    directory: Path
    name: str = "systemd"

    def _paths(self, job: Job) -> tuple[Path, Path]:
        return self.directory / f"{job.name}.service", self.directory / f"{job.name}.timer"

    def _systemctl(self, *args: str) -> str:
        result = self.run(["systemctl", "--user", *args], None)
        if result.returncode != 0:
            raise SsoSyncError(
                f"`systemctl --user {' '.join(args)}` failed: {result.stderr.strip()[:200]}"
            )
        return result.stdout

    def plan(self, job: Job) -> list[Planned]:
        service, timer = self._paths(job)
        return [Planned(str(service), service_unit(job)), Planned(str(timer), timer_unit(job))]

    def _check_ours(self, job: Job) -> None:
        service, timer = self._paths(job)
        for path, head in ((service, f"{SERVICE_HEAD}{job.name})\n"), (timer, TIMER_HEAD)):
            if not owned_by_us(path, head):
                raise UsageError(
                    f"{path} was not written by `sso-sync schedule install`: left as it is; "
                    "move it away yourself if it should go"
                )

    def install(self, job: Job) -> str:
        from sso_sync.files import write_private_text

        self._check_ours(job)
        written = [(Path(p.where), read_text(Path(p.where))) for p in self.plan(job)]
        for planned in self.plan(job):
            write_private_text(Path(planned.where), planned.content)
        try:
            self._systemctl("daemon-reload")
            self._systemctl("enable", "--now", f"{job.name}.timer")
        except SsoSyncError as exc:
            # Nothing half-installed: the files go back to what they were (none, mostly).
            restore(written)
            self.run(["systemctl", "--user", "daemon-reload"], None)
            raise SsoSyncError(
                f"{exc}; nothing was installed (the unit files are back as they were): check "
                "`systemctl --user status`, or use --backend cron"
            ) from None
        return str(self.directory)

    def remove(self, job: Job) -> bool:
        paths = [p for p in self._paths(job) if p.exists()]
        if not paths:
            return False
        self._check_ours(job)
        self.run(["systemctl", "--user", "disable", "--now", f"{job.name}.timer"], None)
        for path in paths:
            path.unlink()
        self._systemctl("daemon-reload")
        return True

    def status(self, job: Job) -> Status:
        installed = all(p.exists() for p in self._paths(job))
        next_run = None
        if installed:
            result = self.run(
                [
                    "systemctl",
                    "--user",
                    "show",
                    f"{job.name}.timer",
                    "--property=NextElapseUSecRealtime",
                    "--value",
                ],
                None,
            )
            if result.returncode == 0 and result.stdout.strip():
                next_run = result.stdout.strip()
        return Status(installed=installed, schedule=on_calendar(job), next_run=next_run)

    def installed(self) -> list[Installed]:
        found = []
        for service in sorted(self.directory.glob("sso-sync-*.service")):
            text = read_text(service)
            if text is None or not text.startswith(f"{SERVICE_HEAD}{service.stem})\n"):
                continue
            exec_start = next(
                (ln for ln in text.splitlines() if ln.startswith("ExecStart=")), "ExecStart="
            )
            words = exec_start.removeprefix("ExecStart=").replace("$$", "$").replace("%%", "%")
            found.append(Installed(service.stem, tuple(shlex.split(words)), str(service)))
        return found

    def available(self) -> bool:
        return self.run(["systemctl", "--user", "show-environment"], None).returncode == 0
