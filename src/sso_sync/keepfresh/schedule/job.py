"""What a scheduled job is, whatever runs it: its name, how often, the exact command and its
environment. Pure: the backends turn a `Job` into a crontab block, systemd units or a plist.

The command is `sso-sync push --min-remaining M ...` with M = 2 x every + 15 min, so a target
is pushed when it would otherwise lapse before the run after next (one missed run is harmless).
Absolute paths everywhere (cron and launchd start with a bare environment); the environment holds
only settings (AWS config file, endpoints, API URL, `CI=1` so it never prompts), never a secret:
the GitHub credential is a GitHub App's key file (its absolute path and the App's ids in the
argv, never the key), a 0600 token file, or `gh auth token`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sso_sync.errors import UsageError

MARGIN = timedelta(minutes=15)
# Settings passed on to the job as they were at install time: never a token or credential.
PASSED_VARIABLES = ("AWS_CONFIG_FILE", "GITHUB_API_URL", "GH_CONFIG_DIR", "XDG_STATE_HOME")
PASSED_PREFIXES = ("AWS_ENDPOINT_URL",)
JOB_VARIABLE = "SSO_SYNC_JOB"  # the running job's name, so push records its run for `status`
LOG_VARIABLE = "SSO_SYNC_LOG_FILE"


@dataclass(frozen=True)
class Job:
    name: str  # sso-sync-SET, or sso-sync-<hash of the targets>
    every: timedelta
    argv: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    log_file: Path

    @property
    def minutes(self) -> int:
        return int(self.every.total_seconds()) // 60


def check_every(every: timedelta, text: str) -> timedelta:
    """Whole minutes dividing 60, or whole hours dividing 24: what cron can say exactly."""
    seconds = int(every.total_seconds())
    minutes, rest = divmod(seconds, 60)
    ok = rest == 0 and minutes > 0 and every.total_seconds() == seconds
    if ok and minutes < 60:
        ok = 60 % minutes == 0
    elif ok:
        ok = minutes % 60 == 0 and 24 % (minutes // 60) == 0
    if not ok:
        raise UsageError(
            f"--every {text}: give whole minutes that divide an hour (1m, 5m, 15m, 30m) or whole "
            "hours that divide a day (1h, 2h, 6h, 24h)"
        )
    return every


def duration_text(span: timedelta) -> str:
    """`45m`, `2h15m`: the syntax `--min-remaining` takes."""
    minutes = int(span.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def min_remaining_for(every: timedelta) -> timedelta:
    return 2 * every + MARGIN


def job_name(set_name: str | None, target_keys: Sequence[str]) -> str:
    """One job per set, or per target list (a short hash of what it pushes where)."""
    if set_name:
        return "sso-sync-" + re.sub(r"[^A-Za-z0-9_-]", "_", set_name)[:60]
    digest = hashlib.sha256("\n".join(sorted(target_keys)).encode("utf-8")).hexdigest()
    return "sso-sync-" + digest[:10]


def job_environment(
    environ: Mapping[str, str],
    *,
    name: str,
    aws_config_file: Path,
    log_file: Path,
    path: str,
) -> tuple[tuple[str, str], ...]:
    """The settings the job runs with: these names only, whatever else is set here."""
    env: dict[str, str] = {
        "CI": "1",
        "PATH": path,
        "AWS_CONFIG_FILE": str(aws_config_file),
        JOB_VARIABLE: name,
        LOG_VARIABLE: str(log_file),
    }
    for key, value in sorted(environ.items()):
        if key not in env and (key in PASSED_VARIABLES or key.startswith(PASSED_PREFIXES)):
            env[key] = value
    return tuple(sorted(env.items()))


def push_argv(
    executable: Path,
    every: timedelta,
    target_args: Sequence[str],
    *,
    profile: str | None,
    options: Sequence[str] = (),
) -> tuple[str, ...]:
    """`options`: the rest of push's command line, as its option groups write it back (the
    GitHub API URL and token file, the App's settings by key path, the writing options)."""
    argv = [str(executable), "push", "--min-remaining", duration_text(min_remaining_for(every))]
    argv += list(target_args)
    if profile is not None:
        argv += ["--profile", profile]
    return (*argv, *options)
