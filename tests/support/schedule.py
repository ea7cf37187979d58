"""Scheduler peers for tests: fake `crontab`, `systemctl` and `launchctl` on PATH (no crontab
binary and no user systemd bus on these machines), and an SSO profile for jobs to name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sso_sync.cli.app import app

FAKE_CRONTAB = """#!/bin/sh
# crontab -l / crontab - over one file, as the real one does for the invoking user.
store="$HOME/.fake-crontab"
case "$1" in
  -l) if [ -f "$store" ]; then cat "$store"; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  -) cat > "$store" ;;
  *) echo "usage" >&2; exit 2 ;;
esac
"""
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> "$HOME/.systemctl-calls"
exit ${FAKE_SYSTEMCTL_RC:-0}
"""
FAKE_LAUNCHCTL = """#!/bin/sh
echo "$*" >> "$HOME/.launchctl-calls"
case "$1" in
  bootout) exit 3 ;;  # not loaded: what launchctl answers before the first install
  *) exit 0 ;;
esac
"""


def install_fakes(bin_dir: Path, **scripts: str) -> Path:
    """`crontab`, `systemctl` (and any other NAME=script given) as executables in `bin_dir`."""
    bin_dir.mkdir(exist_ok=True)
    for name, text in {"crontab": FAKE_CRONTAB, "systemctl": FAKE_SYSTEMCTL, **scripts}.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def write_sso_profile(config: Path, name: str = "ci") -> None:
    """A minimal IAM Identity Center profile, for a job that names it (install checks it)."""
    if config.exists():
        return
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[profile {name}]\nsso_session = corp\nsso_account_id = 111122223333\n"
        "sso_role_name = ci\nregion = eu-west-1\n\n[sso-session corp]\n"
        "sso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
    )


def cli(*args: str) -> Any:
    """The CLI in process; an exception other than an exit is raised, not hidden in a result."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result
