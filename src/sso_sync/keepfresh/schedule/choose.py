"""Which scheduler: launchd on macOS; a systemd user timer when `systemctl --user` answers; else
the user's crontab."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from sso_sync.errors import UsageError
from sso_sync.keepfresh.schedule import BACKENDS
from sso_sync.keepfresh.schedule.backend import Backend, Runner
from sso_sync.keepfresh.schedule.cron import Cron
from sso_sync.keepfresh.schedule.launchd import Launchd
from sso_sync.keepfresh.schedule.systemd import Systemd, unit_dir


def make(name: str, run: Runner, environ: Mapping[str, str], home: Path) -> Backend:
    if name == "systemd":
        return Systemd(run, unit_dir(environ, home))
    if name == "cron":
        return Cron(run)
    if name == "launchd":
        return Launchd(run, home / "Library" / "LaunchAgents")
    raise UsageError(f"--backend {name}: choose one of {', '.join(BACKENDS)}")


def choose(
    name: str, run: Runner, environ: Mapping[str, str], home: Path, platform: str = sys.platform
) -> Backend:
    if name != "auto":
        return make(name, run, environ, home)
    order = ["launchd"] if platform == "darwin" else ["systemd", "cron"]
    for candidate in order:
        backend = make(candidate, run, environ, home)
        if backend.available():
            return backend
    raise UsageError(
        "no scheduler answered (" + ", ".join(order) + "): install cron, or run `sso-sync watch` "
        "in a terminal or a service of your own"
    )
