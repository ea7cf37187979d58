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
# What ends or splits a line in a crontab, a unit file or a plist's reader, or drives a
# terminal: a newline in a profile name would be a crontab line of its own, which cron runs.
UNSAFE_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Every --every that check_every allows, in minutes.
ALLOWED_MINUTES = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440)
# IAM Identity Center's default session duration (a permission set's may be up to 12 h).
DEFAULT_SESSION = timedelta(hours=1)


@dataclass(frozen=True)
class Job:
    name: str  # sso-sync-SET, or sso-sync-<hash of the targets>
    every: timedelta
    argv: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    log_file: Path

    def __post_init__(self) -> None:
        # Checked here, whoever builds the job, so no backend can write an unchecked value.
        for what, value in self.values():
            if UNSAFE_CHARACTERS.search(value):
                shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)
                raise UsageError(
                    f"{what} ('{shown[:120]}') holds a control character (a newline, tab or "
                    "such), which would break out of the scheduled job's line: remove it"
                )

    def values(self) -> list[tuple[str, str]]:
        """Every value written into the job, each with what to call it in a message."""
        named = [("the job name", self.name), ("the log file", str(self.log_file))]
        for index, arg in enumerate(self.argv):
            before = self.argv[index - 1] if index else ""
            what = (
                "the sso-sync executable's path"
                if index == 0
                else f"the value of {before}"
                if before.startswith("--")
                else f"the argument '{arg}'"
                if arg.isprintable()
                else "the set name"
            )
            named.append((what, arg))
        for key, value in self.environment:
            named += [(f"the variable name {key!r}", key), (key, value)]
        return named

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
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", set_name)
        if safe != set_name or len(safe) > 60:
            # `a.b` and `a_b` would share one name, so one install would replace the other's
            # job: a name that had to change carries a hash of the real one.
            digest = hashlib.sha256(set_name.encode("utf-8")).hexdigest()[:8]
            safe = f"{safe[:51]}-{digest}"
        return "sso-sync-" + safe
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


def lifetime_warning(every: timedelta, lifetimes: Sequence[timedelta]) -> str | None:
    """A warning when credentials may lapse between two runs: each run pushes credentials that
    last `lifetime`, and the next run comes `every` later (plus the run's own time, within
    MARGIN). `lifetimes`: what this machine's last pushes of the job's targets lasted; none
    known means IAM Identity Center's default session."""
    known = min(lifetimes) if lifetimes else None
    lifetime = known if known is not None else DEFAULT_SESSION
    if every + MARGIN <= lifetime:
        return None
    # Recorded when the push ended, a few seconds after they were issued: 59m59s reads as 1h.
    shown = timedelta(minutes=round(lifetime.total_seconds() / 60))
    source = (
        "the last push's credentials lasted"
        if known is not None
        else "IAM Identity Center's default session lasts"
    )
    fitting = [m for m in ALLOWED_MINUTES if timedelta(minutes=m) + MARGIN <= lifetime]
    advice = (
        f"use --every {duration_text(timedelta(minutes=fitting[-1] if fitting else 1))} or less"
    )
    return (
        f"warning: --every {duration_text(every)} is longer than the credentials' lifetime "
        f"allows ({source} {duration_text(shown)}): GitHub's copy will be expired for part "
        f"of each interval; {advice}, or lengthen the permission set's session duration"
    )
