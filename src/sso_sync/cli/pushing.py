"""One push as `push`, `watch` and the scheduled job run it: the clients, the state file, the
target locks. `watch` runs a copy of it once per cycle, each under its own `--timeout` deadline
(cli/watch_cycle.py)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sso_sync.cli import ui
from sso_sync.cli.session import AwsSession, github_api
from sso_sync.deadline import Deadline
from sso_sync.wording import expire_at, without_label

if TYPE_CHECKING:
    from sso_sync.github.app_auth import AppInstallations
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import TargetSet
    from sso_sync.keepfresh.state import StateStore
    from sso_sync.sync import ProgressFactory, PushRun


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class PushJob:
    """Everything a push needs but the moment it runs."""

    sets: Sequence[TargetSet]
    api_url: str | None
    # push: the command's one deadline; watch: the cycle's. It bounds AWS and GitHub alike.
    deadline: Deadline
    concurrency: int
    expiration_variable: str | None = None
    record_variable: str | None = None
    record_who: bool = False
    token_file: Path | None = None
    progress: ProgressFactory | None = None
    allow_sign_in: bool | None = None  # None: when a terminal is there and CI is not set
    sleep: Callable[[float], None] = time.sleep
    aws: dict[str | None, AwsSession] = field(default_factory=dict)
    on_api: Callable[[GitHubApi | None], None] = lambda _api: None  # watch cancels it on a signal
    announce_waits: bool = True  # watch's cycle lines are its only progress messages
    app: AppInstallations | None = None  # GitHub App auth, shared by every push of the job

    def __post_init__(self) -> None:
        from sso_sync.keepfresh.state import StateStore
        from sso_sync.state_dir import state_dir

        for profile in dict.fromkeys(s.profile for s in self.sets):
            self.aws.setdefault(profile, AwsSession(profile, deadline=self.deadline))
        self.store: StateStore = StateStore(state_dir(os.environ))

    def lock_wait_seconds(self) -> float:
        """How long to wait for targets another run holds: half of what is left of the
        deadline, long enough for the holder's own bounded push to finish, and the other half
        still pushes the targets that are free."""
        return self.deadline.remaining() / 2

    def profile_names(self) -> dict[str | None, str]:
        return {p: a.profile.name for p, a in self.aws.items()}

    def budget_warnings(self, last_warned: dict[str, datetime]) -> list[str]:
        """The once-a-day warnings when a profile's session budget is under 24 hours;
        `last_warned` (by profile name) is updated for those given."""
        from sso_sync.aws.budget import budget_warning, session_budget
        from sso_sync.aws.status import is_refreshable

        now = utc_now()
        lines = []
        for aws in self.aws.values():
            name = aws.profile.name
            entry = aws.cache.get(aws.profile.token_cache_key)
            refreshable = aws.profile.session_name is not None and is_refreshable(entry, now)
            budget = session_budget(entry, refreshable=refreshable)
            line = budget_warning(budget, name, now, last_warned.get(name))
            if line is not None:
                last_warned[name] = now
                lines.append(line)
        return lines

    def run(self, min_remaining: timedelta | None) -> PushRun:
        from sso_sync.aws.profiles import is_interactive
        from sso_sync.keepfresh.fresh import push_when_due
        from sso_sync.keepfresh.state import TargetLockWait
        from sso_sync.sync import PushRun

        allow = self.allow_sign_in
        if allow is None:
            allow = is_interactive(os.environ, sys.stdin.isatty())
        names = self.profile_names()

        def push(due: Sequence[TargetSet]) -> PushRun:
            from sso_sync.sync import no_progress, run_push

            api = github_api(
                self.api_url,
                self.deadline,
                self.token_file,
                announce_waits=self.announce_waits,
                app=self.app,
            )
            self.on_api(api)
            try:
                run = run_push(
                    api,
                    due,
                    profile_names={p: names[p] for p in dict.fromkeys(s.profile for s in due)},
                    credentials_for=lambda p: self.aws[p].role_credentials(allow_sign_in=allow),
                    concurrency=self.concurrency,
                    progress=self.progress or no_progress,
                    expiration_variable=self.expiration_variable,
                )
                if self.record_variable:
                    from sso_sync.keepfresh.record import record_pushes

                    run.variables += record_pushes(
                        api, run, self.record_variable, who=self.record_who, aws=self.aws
                    )
                return run
            finally:
                self.on_api(None)
                api.close()

        return push_when_due(
            self.sets,
            push,
            store=self.store,
            lock_wait=TargetLockWait(self.lock_wait_seconds(), time.monotonic, self.sleep),
            min_remaining=min_remaining,
            now=utc_now,
            empty_run=lambda: PushRun([], []),
            role_of=lambda p: (self.aws[p].profile.account_id, self.aws[p].profile.role_name),
        )


@contextmanager
def record_job_run(job: PushJob) -> Iterator[None]:
    """Under a scheduled job (SSO_SYNC_JOB set), record how this run ended for `schedule
    status`: when, whether it succeeded, the one-line error, and the sign-in to run if needed."""
    from sso_sync.errors import LoginRequired, SsoSyncError
    from sso_sync.files import utc_timestamp
    from sso_sync.keepfresh.schedule.job import JOB_VARIABLE

    name = os.environ.get(JOB_VARIABLE, "").strip()
    entry: dict[str, object] = {"ok": False, "error": "interrupted", "sign_in": None}
    try:
        yield
        entry.update(ok=True, error=None)
        if name:
            entry["budget_warned_at"] = _warn_budget(job, name)
    except SsoSyncError as exc:
        entry["error"] = str(exc)
        if isinstance(exc, LoginRequired):
            names = sorted(set(job.profile_names().values()))
            entry["sign_in"] = " && ".join(f"sso-sync login --profile {n}" for n in names)
        raise
    finally:
        if name:
            entry["at"] = utc_timestamp(utc_now())
            job.store.record_job(name, entry)


def _warn_budget(job: PushJob, name: str) -> dict[str, str]:
    """A scheduled push warns (log line, notification) once a day when the budget is short."""
    from sso_sync.files import parse_utc_timestamp, utc_timestamp
    from sso_sync.keepfresh.notify import notify

    previous = (job.store.read_job(name) or {}).get("budget_warned_at")
    warned: dict[str, datetime] = {}
    if isinstance(previous, dict):
        for profile, text in previous.items():
            moment = parse_utc_timestamp(text)
            if moment is not None:
                warned[str(profile)] = moment
    for line in job.budget_warnings(warned):
        ui.err(line)
        notify("sso-sync: sign-in ends soon", line, os.environ)
    return {profile: utc_timestamp(moment) for profile, moment in warned.items()}


def print_push(run: PushRun, as_json: bool, *, config_file: str | None = None) -> None:
    """push's report: one line per target, then the credentials' expiry (`config_file`: the
    config file the sets came from, for --json)."""
    if as_json:
        ui.out_json({**run.as_dict(), "config_file": config_file})
    else:
        for r in run.results:
            if r.ok:
                ui.out(f"{r.label}: " + ", ".join(f"{s.name} {s.outcome}" for s in r.secrets))
            else:
                ui.out(f"{r.label}: {r.status}: {without_label(r.target.label, r.error or '')}")
        for held in run.held:
            ui.out(held.describe())
        for _name, c in run.credentials:
            ui.out(f"credentials for {c.account_id}/{c.role_name} {expire_at(c.expiration)}")
    for v in run.variables:
        if v.error is None:
            ui.err(f"{v.target.label}: variable {v.name} {v.outcome} ({v.value})")
