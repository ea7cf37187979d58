"""`watch`'s pushes, one per cycle: a push (pushing.py) under the cycle's own `--timeout`.

Each cycle gets, new:
- one deadline, its watchdog running, for all of the cycle's work: the silent SSO token refresh
  and GetRoleCredentials as much as the target locks, the listing and the writes (`push` has one
  for the whole command; `watch` one per cycle);
- one GitHub client, for the repository listing, the look for changes made elsewhere and the
  push; with App settings its own authorizer: an installation token lasts an hour, and `watch`
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
from sso_sync.errors import Cancelled, ChangedElsewhere, SsoSyncError
from sso_sync.keepfresh.elsewhere import DONE, FIX, ChangedSecret, Policy
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
    on_change: Policy = "overwrite"  # a secret changed elsewhere: keepfresh/elsewhere.py
    _listed_at_start: bool = False
    _warnings: list[str] = field(default_factory=list)
    _changed: list[ChangedSecret] = field(default_factory=list)
    _told: set[tuple[str, str, str]] = field(default_factory=set)

    def start(self) -> None:
        """Before the first cycle, as `push` would: the App's key, the GitHub token (a missing
        one is exit 2 now, not a failure every cycle), and the first list of repositories."""
        with command_deadline(self.timeout) as deadline:
            api = self.github_for(deadline, self._new_app())
            try:
                self.targets = self._resolve(api)
            finally:
                api.close()
        self._listed_at_start = True

    def run(self, min_remaining: timedelta) -> PushRun:
        """One cycle's push (Watcher's `push`), with the cycle's one GitHub client."""
        with command_deadline(self.timeout) as deadline:
            app = self._new_app()
            api = self.github_for(deadline, app)
            try:
                api = self._look(api, lambda: self.github_for(deadline, app))
                return self._push(api, deadline, min_remaining)
            finally:
                api.close()  # the push closes it too: closing twice is nothing

    def _push(self, api: GitHubApi, deadline: Deadline, min_remaining: timedelta) -> PushRun:
        changed = self._changed
        if changed and self.on_change == "stop":
            raise ChangedElsewhere(
                f"{len(changed)} secret{'s' if len(changed) > 1 else ''} changed elsewhere "
                f"({', '.join(dict.fromkeys(c.label for c in changed))}): stopped, as "
                f"--on-change stop asks; fix: {FIX}"
            )
        keys = frozenset(c.key for c in changed)
        request = dataclasses.replace(
            self.request,
            sets=_without(self.targets, keys) if self.on_change == "keep" else self.targets,
            deadline=deadline,
            min_remaining=min_remaining,
            overwrite=keys if self.on_change == "overwrite" else frozenset(),
        )
        sides = dataclasses.replace(
            self.sides, aws=lambda p: self.aws_for(p, deadline), github=lambda: api
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

    def changed(self) -> list[ChangedSecret]:
        """The secrets the cycle just run found changed elsewhere (Watcher's `changed`)."""
        taken, self._changed = self._changed, []
        return taken

    def _look(self, api: GitHubApi, fresh: Callable[[], GitHubApi]) -> GitHubApi:
        """The cycle's reads before its push, with its client: the repository patterns (but
        in the cycle right after `start`), then the look for changes made elsewhere. Returns
        the client the push is to use: a read that failed cancels the client's other requests
        (github/fanout.py), so the push then gets a `fresh` one (a signal cancels that too)."""
        if not self._listed_at_start:
            try:
                self.targets = self._resolve(api)
            except SsoSyncError as exc:
                self._warnings.append(f"{exc} (pushed to the repositories listed before)")
        self._listed_at_start = False
        self._check(api)
        if api.cancelled:
            api.close()
            api = fresh()
        return api

    def _check(self, api: GitHubApi) -> None:
        """One listing per target this machine wrote; each change found is reported with what
        the policy does about it, and notified once."""
        from sso_sync.keepfresh.elsewhere import find_changed, notify_new

        self.sides.on_api(api)
        try:
            found, failed = find_changed(
                api, self.targets, self.sides.store.read(), concurrency=self.request.concurrency
            )
            if api.cancelled:  # a signal came while the listings were in flight
                raise Cancelled("stopped by a signal before any write")
        except Cancelled:
            raise  # a signal: the cycle ends here, before any write
        except SsoSyncError as exc:
            found, failed = [], [f"not checked for changes made elsewhere: {exc}"]
        finally:
            self.sides.on_api(None)
        self._warnings += failed
        self._changed = [dataclasses.replace(c, done=DONE[self.on_change]) for c in found]
        notify_new(self.sides.terminal, self._changed, self._told, self.sides.notifier)

    def _new_app(self) -> AppInstallations | None:
        from sso_sync.github.app_auth import prepare_app

        return prepare_app(self.app, self.permissions)

    def _resolve(self, api: GitHubApi) -> tuple[TargetSet, ...]:
        from sso_sync.github.patterns import resolve_patterns
        from sso_sync.github.plan import check_sets

        if not any(s.patterns for s in self.given):
            return self.given
        self.sides.on_api(api)  # a signal cancels the listing too
        try:
            resolved = resolve_patterns(api, self.given)
        finally:
            self.sides.on_api(None)
        check_sets(resolved)  # the resolved repositories may now collide across sets
        return resolved


def _without(sets: tuple[TargetSet, ...], keys: frozenset[str]) -> tuple[TargetSet, ...]:
    """The sets without the targets `keys` name (kept as another writer left them)."""
    from sso_sync.keepfresh.state import target_key

    kept = (
        dataclasses.replace(
            s, targets=tuple(t for t in s.targets if target_key(t, s.prefix) not in keys)
        )
        for s in sets
    )
    return tuple(s for s in kept if s.targets)
