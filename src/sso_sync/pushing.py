"""Push, as one use case: `push`, each `watch` cycle, the scheduled job and `demo` all run it.

A `PushRequest` (the sets, what to write beside the secrets, the deadline) and `PushSides` (the
AWS side per profile, a factory for GitHub clients, the state file, the terminal, the clock) go
in; a `PushRun` comes out. The sequence, for a reader following `sso-sync push`:

1. `push_when_due` (keepfresh/fresh.py) takes each target's lock, skips the fresh and the busy
   ones, and marks the rest due in the state file before the first write (when every target
   is due, each profile's role credentials and every target's public key are already being
   asked for, in the background);
2. `run_push` (sync.py) plans, fetches the public keys while each profile's credential sources
   issue their secrets (the role credentials first: sources.py), writes the secrets, then the
   expiry variables;
3. with `--record-variable`, the audit variable (keepfresh/record.py); then the state file
   records what happened, each secret with its own expiry.

Nothing here prints or reads the environment: the person is reached through `Terminal`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sso_sync.push_run import ProfileSecrets, PushRun

if TYPE_CHECKING:
    from sso_sync.aws.role_credentials import CredentialsInFlight, RoleCredentials
    from sso_sync.aws.session import AwsSession
    from sso_sync.deadline import Deadline
    from sso_sync.github.public_keys import KeyFetches
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import Target, TargetSet
    from sso_sync.keepfresh.notices import Notifier
    from sso_sync.keepfresh.state import StateStore
    from sso_sync.terminal import Terminal


@dataclass(frozen=True)
class PushRequest:
    """What to push where, and what to write beside the secrets."""

    sets: Sequence[TargetSet]
    # push: the command's one deadline; watch: the cycle's. It bounds AWS and GitHub alike.
    deadline: Deadline
    concurrency: int
    min_remaining: timedelta | None = None  # None: every target is due
    expiration_variable: str | None = None
    record_variable: str | None = None
    record_who: bool = False
    allow_sign_in: bool = False  # a person is there to sign in, if the session has ended
    progress: bool = True  # per-target progress on the terminal
    # Target keys due whatever their recorded expiry: a secret there was changed elsewhere and
    # is to be overwritten (keepfresh/elsewhere.py).
    overwrite: frozenset[str] = frozenset()


@dataclass
class PushSides:
    """The clients and the machine's state a push works with, injected."""

    aws: Callable[[str | None], AwsSession]  # a profile's AWS side (None: the default profile)
    # Makes the push's one GitHub client (Push.github), within the request's deadline.
    github: Callable[[], GitHubApi]
    store: StateStore
    terminal: Terminal
    now: Callable[[], datetime]
    sleep: Callable[[float], None] = time.sleep  # waits for another run's locks
    on_api: Callable[[GitHubApi | None], None] = lambda _api: None  # watch cancels it on a signal
    notifier: Notifier | None = None  # who hears of a sign-in needed, failures, recovery


@dataclass
class Push:
    """One push: the request, its sides, each profile's AWS side and its one GitHub client
    (each made once). `close` (or the end of `run`) closes the client."""

    request: PushRequest
    sides: PushSides
    aws: dict[str | None, AwsSession] = field(default_factory=dict)
    # Each profile's role credentials, asked for as the push starts (`secrets_for` takes them).
    in_flight: dict[str | None, CredentialsInFlight] = field(default_factory=dict)
    _api: GitHubApi | None = field(default=None, init=False, repr=False)
    # Every target's public key, asked for as the push starts when every target is due.
    _key_fetches: KeyFetches | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        for profile in dict.fromkeys(s.profile for s in self.request.sets):
            if profile not in self.aws:
                self.aws[profile] = self.sides.aws(profile)

    def github(self) -> GitHubApi:
        """The push's one GitHub client, made on first use: the token check, the repository
        patterns, the look for changes made elsewhere, the writes and the record variable all
        go through it, so a push has one connection pool and (GitHub App auth) one
        installation token per owner."""
        if self._api is None:
            self._api = self.sides.github()
        return self._api

    def close(self) -> None:
        fetches, self._key_fetches = self._key_fetches, None
        api, self._api = self._api, None
        if fetches is not None:
            if api is not None and not fetches.done():
                # Ended early (another run holds every target, a sign-in is needed): the
                # reads not yet sent are dropped, and those in flight end before their
                # connections are closed (Ctrl-C cuts them first: `_run`).
                api.cancel()
            fetches.close(cancel=True)
        if api is not None:
            api.close()

    def profile_names(self) -> dict[str | None, str]:
        return {p: a.profile.name for p, a in self.aws.items()}

    def lock_wait_seconds(self) -> float:
        """How long to wait for targets another run holds: half of what is left of the
        deadline, long enough for the holder's own bounded push to finish, and the other half
        still pushes the targets that are free."""
        return self.request.deadline.remaining() / 2

    def run(self) -> PushRun:
        """The push; the notifier (if any) hears how it went: a sign-in needed, each target's
        failures in a row, and what is right again."""
        from sso_sync.errors import Cancelled, Interrupted, LoginRequired, SsoSyncError

        notifier = self.sides.notifier
        profiles = sorted(set(self.profile_names().values()))
        try:
            run = self._run()
        except LoginRequired:
            if notifier is not None:
                notifier.sign_in_needed(profiles)
            raise
        except (Cancelled, Interrupted):
            raise  # stopped, not failed
        except SsoSyncError as exc:
            if notifier is not None:
                labels = [_label(s, t) for s in self.request.sets for t in s.targets]
                notifier.push_failed(labels, str(exc))
            raise
        if notifier is not None:
            notifier.pushed(run, profiles)
        return run

    def _run(self) -> PushRun:
        self.in_flight.clear()  # nothing carried over from an earlier run of this push
        with closing(self):  # the push's one GitHub client, closed at its end
            if self.request.min_remaining is None:  # every target is due: credentials needed
                self._ask_for_credentials()
                self._ask_for_keys()
            try:
                return self._push_when_due()
            except KeyboardInterrupt:
                # Ctrl-C (waiting for another run's lock, say): the early reads in flight are
                # cut, not waited for, as the credentials' daemon thread is never waited for.
                fetches = self._key_fetches
                if self._api is not None and fetches is not None and not fetches.done():
                    self._api.abort()
                raise

    def _push_when_due(self) -> PushRun:
        from sso_sync.keepfresh.fresh import push_when_due
        from sso_sync.keepfresh.locks import TargetLockWait

        return push_when_due(
            self.request.sets,
            self._push_due,
            store=self.sides.store,
            lock_wait=TargetLockWait(self.lock_wait_seconds(), time.monotonic, self.sides.sleep),
            min_remaining=self.request.min_remaining,
            now=self.sides.now,
            empty_run=lambda: PushRun([], []),
            role_of=lambda p: (self.aws[p].profile.account_id, self.aws[p].profile.role_name),
            force=self.request.overwrite,
        )

    def secrets_for(self, profile: str | None) -> ProfileSecrets:
        """The profile's role credentials (signing in if the request allows), and what the
        sources of its sets issue with them."""
        from sso_sync.sources import fetch_all

        aws = self.aws[profile]
        credentials = self._role_credentials(profile)
        sources = tuple(
            dict.fromkeys(
                src for s in self.request.sets if s.profile == profile for src in s.sources
            )
        )
        return ProfileSecrets(credentials, fetch_all(sources, credentials, aws))

    def _role_credentials(self, profile: str | None) -> RoleCredentials:
        """Those asked for as the push started, once they arrive; else (not asked, or a sign-in
        is needed and a person is there to sign in) asked for now."""
        from sso_sync.errors import LoginRequired

        in_flight = self.in_flight.pop(profile, None)
        if in_flight is not None:
            try:
                return in_flight.result()
            except LoginRequired:
                if not self.request.allow_sign_in:
                    raise
        return self.aws[profile].role_credentials(allow_sign_in=self.request.allow_sign_in)

    def _ask_for_credentials(self) -> None:
        """Start fetching each profile's role credentials (never signing in) in the background,
        before the locks, the state file and the key fetches: the push's first round trip
        is then not held back by building the AWS client."""
        from sso_sync.aws.role_credentials import CredentialsInFlight

        for profile, aws in self.aws.items():
            fetch = functools.partial(aws.role_credentials, allow_sign_in=False)
            self.in_flight[profile] = CredentialsInFlight(fetch, aws.profile.name)

    def _ask_for_keys(self) -> None:
        """Start fetching every target's public key, as the credentials are asked for: the
        keys are reads, so they need not wait for the locks and the state file, and in a push
        of many targets they are the round trips the writes wait for."""
        from sso_sync.github.public_keys import KeyFetches

        fetches = KeyFetches(self.github(), self.request.concurrency)
        fetches.fetch(t for s in self.request.sets for t in s.targets)
        self._key_fetches = fetches

    def _push_due(self, due: Sequence[TargetSet]) -> PushRun:
        from sso_sync.sync import run_push
        from sso_sync.terminal import no_progress

        request = self.request
        names = self.profile_names()
        api = self.github()
        self.sides.on_api(api)
        try:
            run = run_push(
                api,
                due,
                profile_names={p: names[p] for p in dict.fromkeys(s.profile for s in due)},
                secrets_for=self.secrets_for,
                concurrency=request.concurrency,
                progress=self.sides.terminal.progress if request.progress else no_progress,
                expiration_variable=request.expiration_variable,
                key_fetches=self._key_fetches,
            )
            if request.record_variable:
                from sso_sync.keepfresh.record import record_pushes

                run.variables += record_pushes(
                    api, run, request.record_variable, who=request.record_who, aws=self.aws
                )
            return run
        finally:
            self.sides.on_api(None)

    def budget_warnings(self, last_warned: dict[str, datetime]) -> list[tuple[str, str | None]]:
        """Per profile name, the once-a-day warning when its session budget is under 24 hours
        (None: no warning due); `last_warned` (by profile name) is updated for those given."""
        from sso_sync.aws.budget import WARN_UNDER_SECONDS, budget_warning, session_budget
        from sso_sync.aws.status import is_refreshable

        now = self.sides.now()
        found: list[tuple[str, str | None]] = []
        for aws in self.aws.values():
            name = aws.profile.name
            entry = aws.cache.get(aws.profile.token_cache_key)
            refreshable = aws.profile.session_name is not None and is_refreshable(entry, now)
            budget = session_budget(entry, refreshable=refreshable)
            line = budget_warning(budget, name, now, last_warned.get(name))
            if line is not None:
                last_warned[name] = now
            left = budget.remaining_seconds(now)
            if line is not None or (left is not None and left < WARN_UNDER_SECONDS):
                found.append((name, line))  # short: warned now, or already today
            else:
                found.append((name, None))
                if self.sides.notifier is not None and left is not None:
                    self.sides.notifier.budget_ok(name)  # a new session: right again
        return found

    def warn_budget(self, last_warned: dict[str, datetime]) -> None:
        """Say (and notify) each once-a-day budget warning that is due."""
        for name, line in self.budget_warnings(last_warned):
            if line is None:
                continue
            self.sides.terminal.say(line)
            if self.sides.notifier is not None:
                self.sides.notifier.budget_low(name, line)
            else:
                self.sides.terminal.notify("sso-sync: sign-in ends soon", line)


def _label(target_set: TargetSet, target: Target) -> str:
    """A target as the push's report names it (push_run.py `HeldTarget.label`)."""
    return target.label + (f" [{target_set.name}]" if target_set.name else "")


@contextmanager
def recorded_job_run(push: Push, job: str) -> Iterator[None]:
    """Under a scheduled job (`job` its name; "" for none), record how this run ended for
    `schedule status`: when, whether it succeeded, the one-line error, and the sign-in to run
    if one is needed; and warn once a day when the session budget is short."""
    from sso_sync.errors import LoginRequired, SsoSyncError
    from sso_sync.files import utc_timestamp

    entry: dict[str, object] = {"ok": False, "error": "interrupted", "sign_in": None}
    try:
        if job:
            entry["elsewhere_checked_at"] = check_elsewhere_hourly(push, job)
        yield
        entry.update(ok=True, error=None)
        if job:
            entry["budget_warned_at"] = _warn_budget(push, job)
    except SsoSyncError as exc:
        entry["error"] = str(exc)
        if isinstance(exc, LoginRequired):
            names = sorted(set(push.profile_names().values()))
            entry["sign_in"] = " && ".join(f"sso-sync login --profile {n}" for n in names)
        raise
    finally:
        if job:
            entry["at"] = utc_timestamp(push.sides.now())
            push.sides.store.record_job(job, entry)


def check_elsewhere_hourly(push: Push, job: str) -> str | None:
    """The scheduled push's look for secrets changed elsewhere, at most once an hour (the job's
    last look is in its record): one listing per target this machine wrote, before the push.
    Each change is said, notified, and overwritten (made due, whatever its expiry), since the
    credentials this machine pushes are the fresh ones. Returns when it last looked."""
    import dataclasses

    from sso_sync.files import utc_timestamp
    from sso_sync.keepfresh.elsewhere import FIX, due_for_check, find_changed, notify_new

    last = (push.sides.store.read_job(job) or {}).get("elsewhere_checked_at")
    now = push.sides.now()
    if not due_for_check(last, now):
        return last if isinstance(last, str) else None
    found, failed = find_changed(
        push.github(),
        push.request.sets,
        push.sides.store.read(),
        concurrency=push.request.concurrency,
    )
    changed = [dataclasses.replace(c, done="this push writes it again") for c in found]
    for line in failed + [c.describe() for c in changed]:
        push.sides.terminal.say(line)
    if changed:
        push.sides.terminal.say(f"fix: {FIX}")
        notify_new(push.sides.terminal, changed, set(), push.sides.notifier)
        keys = push.request.overwrite | {c.key for c in changed}
        push.request = dataclasses.replace(push.request, overwrite=frozenset(keys))
    # A failed listing is looked at again next run, not in an hour.
    return utc_timestamp(now) if not failed else (last if isinstance(last, str) else None)


def _warn_budget(push: Push, job: str) -> dict[str, str]:
    from sso_sync.files import parse_utc_timestamp, utc_timestamp

    previous = (push.sides.store.read_job(job) or {}).get("budget_warned_at")
    warned: dict[str, datetime] = {}
    if isinstance(previous, Mapping):
        for profile, text in previous.items():
            moment = parse_utc_timestamp(text)
            if moment is not None:
                warned[str(profile)] = moment
    push.warn_budget(warned)
    return {profile: utc_timestamp(moment) for profile, moment in warned.items()}
