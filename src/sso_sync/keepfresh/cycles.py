"""`watch`'s pushes, one per cycle: a push (pushing.py) under the cycle's own `--timeout`.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sso_sync.clients import command_deadline
from sso_sync.errors import SsoSyncError
from sso_sync.pushing import Push, PushRequest, PushSides

if TYPE_CHECKING:
    from datetime import timedelta

    from sso_sync.aws.session import AwsSession
    from sso_sync.deadline import Deadline
    from sso_sync.github.app_auth import AppInstallations, AppSettings
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import TargetSet
    from sso_sync.push_run import PushRun

# (the cycle's deadline, its App authorizer or None) -> a GitHub client
GitHubFactory = Callable[["Deadline", "AppInstallations | None"], "GitHubApi"]


@dataclass
class WatchCycles:
    """`watch`'s pushes, one per cycle; `start` first."""

    request: PushRequest  # the options; each cycle runs a copy with its deadline and targets
    sides: PushSides  # `aws` and `github` are replaced per cycle, bound to its deadline
    aws_for: Callable[[str | None, Deadline], AwsSession]
    github_for: GitHubFactory
    given: tuple[TargetSet, ...]  # the sets as given, patterns unresolved
    timeout: float  # --timeout: seconds per cycle
    app: AppSettings | None
    permissions: dict[str, str]  # the installation tokens', as push asks for them
    targets: tuple[TargetSet, ...] = ()  # patterns resolved: the last list
    current: Push | None = None  # the push of the cycle running (or last run)
    _listed_at_start: bool = False
    _warnings: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Before the first cycle, as `push` would: the App's key, the GitHub token (a missing
        one is exit 2 now, not a failure every cycle), and the first list of repositories."""
        with command_deadline(self.timeout) as deadline:
            app = self._new_app()
            self.github_for(deadline, app).close()
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
            request = dataclasses.replace(
                self.request, sets=self.targets, deadline=deadline, min_remaining=min_remaining
            )
            sides = dataclasses.replace(
                self.sides,
                aws=lambda p: self.aws_for(p, deadline),
                github=lambda: self.github_for(deadline, app),
            )
            self.current = Push(request, sides)
            try:
                return self.current.run()
            finally:
                # Only the first cycle may sign in.
                self.request = dataclasses.replace(self.request, allow_sign_in=False)

    def warnings(self) -> list[str]:
        """What failed in the cycle just run without stopping it (Watcher's `warnings`)."""
        taken, self._warnings = self._warnings, []
        return taken

    def _new_app(self) -> AppInstallations | None:
        from sso_sync.github.app_auth import prepare_app

        return prepare_app(self.app, self.permissions)

    def _resolve(self, deadline: Deadline, app: AppInstallations | None) -> tuple[TargetSet, ...]:
        from sso_sync.github.patterns import resolve_patterns
        from sso_sync.github.plan import check_sets

        if not any(s.patterns for s in self.given):
            return self.given
        api = self.github_for(deadline, app)
        self.sides.on_api(api)  # a signal cancels the listing too
        try:
            resolved = resolve_patterns(api, self.given)
        finally:
            self.sides.on_api(None)
            api.close()
        check_sets(resolved)  # the resolved repositories may now collide across sets
        return resolved
