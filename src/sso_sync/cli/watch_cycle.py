"""One `watch` cycle: a copy of the push job, run under the cycle's own `--timeout` deadline.

Each cycle gets, new:
- one deadline, its watchdog running, for all of the cycle's work: the silent SSO token refresh
  and GetRoleCredentials as much as the target locks, the listing and the writes (`push` has one
  for the whole command; `watch` one per cycle);
- a GitHub App authorizer (with App settings): an installation token lasts an hour, and `watch`
  runs for days;
- the repository patterns resolved again, so that a repository created since the last cycle is
  pushed too. A listing that fails is reported with its cycle, and the last list is used. The
  first list is resolved at start, as `push` resolves it, so that a pattern matching nothing
  ends `watch` at once (exit 2) instead of failing every cycle.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sso_sync.cli.session import command_deadline, github_api
from sso_sync.errors import SsoSyncError

if TYPE_CHECKING:
    from datetime import timedelta

    from sso_sync.cli.pushing import PushJob
    from sso_sync.deadline import Deadline
    from sso_sync.github.app_auth import AppInstallations, AppSettings
    from sso_sync.github.targets import TargetSet
    from sso_sync.sync import PushRun


@dataclass
class WatchCycles:
    """`watch`'s pushes, one per cycle; `start` first."""

    job: PushJob  # the options; each cycle runs a copy with its own deadline, App and targets
    given: tuple[TargetSet, ...]  # the sets as given, patterns unresolved
    timeout: float  # --timeout: seconds per cycle
    app: AppSettings | None
    permissions: dict[str, str]  # the installation tokens', as push asks for them
    targets: tuple[TargetSet, ...] = ()  # patterns resolved: the last list
    current: PushJob | None = None  # the job of the cycle running (or last run)
    _listed_at_start: bool = False
    _warnings: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Before the first cycle, as `push` would: the App's key, the GitHub token (a missing
        one is exit 2 now, not a failure every cycle), and the first list of repositories."""
        with command_deadline(self.timeout) as deadline:
            app = self._new_app()
            github_api(self.job.api_url, deadline, self.job.token_file, app=app).close()
            self.targets = self._resolve(deadline, app)
        self._listed_at_start = True

    def run(self, min_remaining: timedelta) -> PushRun:
        """One cycle's push (Watcher's `push`)."""
        with command_deadline(self.timeout) as deadline:
            app = self._new_app()
            if not self._listed_at_start:
                try:
                    self.targets = self._resolve(deadline, app)
                except SsoSyncError as exc:
                    self._warnings.append(f"{exc} (pushed to the repositories listed before)")
            self._listed_at_start = False
            job = dataclasses.replace(
                self.job, sets=self.targets, deadline=deadline, app=app, aws={}
            )
            self.current = job
            try:
                return job.run(min_remaining)
            finally:
                self.job.allow_sign_in = False  # only the first cycle may sign in

    def warnings(self) -> list[str]:
        """What failed in the cycle just run without stopping it (Watcher's `warnings`)."""
        taken, self._warnings = self._warnings, []
        return taken

    def _new_app(self) -> AppInstallations | None:
        from sso_sync.github.app_auth import prepare_app

        return prepare_app(self.app, self.permissions)

    def _resolve(self, deadline: Deadline, app: AppInstallations | None) -> tuple[TargetSet, ...]:
        from sso_sync.github.patterns import resolve_patterns
        from sso_sync.github.push import check_sets

        if not any(s.patterns for s in self.given):
            return self.given
        api = github_api(
            self.job.api_url, deadline, self.job.token_file, announce_waits=False, app=app
        )
        self.job.on_api(api)  # a signal cancels the listing too
        try:
            resolved = resolve_patterns(api, self.given)
        finally:
            self.job.on_api(None)
            api.close()
        check_sets(resolved)  # the resolved repositories may now collide across sets
        return resolved
