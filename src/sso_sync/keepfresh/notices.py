"""Notifications: what `push`, `watch` and the scheduled job tell a person who is not watching.

Events (the `event` field of a webhook's JSON, the same words everywhere):
- `sign_in_needed`: the session ended; `command` is the exact sign-in to run;
- `budget_low`: under 24 h of unattended pushes left (once a day, as the warning on stderr);
- `target_failing`: a target failed 3 cycles or scheduled runs in a row (counted in the state
  file's `notices` section, so separate scheduled runs add up);
- `changed_elsewhere`: a secret this machine wrote was changed by someone else
  (`Notifier.changed_elsewhere`, called by whatever detects it);
- `recovered`: after any of those, once it is right again;
- `sign_in_link` and `wrong_identity`: `watch --remote-sign-in` (keepfresh/remote_signin.py).

A problem notifies when it starts and, while it stays, again at most every `REMIND_EVERY`; the
channels (keepfresh/channels.py: a webhook, the desktop, a GitHub issue) never fail a push: a
channel that fails is reported in one line, without its URL, and the push goes on. No notice
carries a secret: they name targets, profiles, secret names and commands only. A sign-in link
is marked private and never goes to a GitHub issue, whose readers may be many.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sso_sync.files import parse_utc_timestamp, utc_timestamp

if TYPE_CHECKING:
    from sso_sync.keepfresh.state import StateStore
    from sso_sync.push_run import PushRun

FAIL_STREAK = 3  # failed cycles or scheduled runs in a row before a target is reported
REMIND_EVERY = timedelta(hours=6)  # a problem that stays is told again at most this often
SECTION = "notices"  # the state file's section: failure streaks and open problems

TITLES = {
    "sign_in_needed": "sign-in needed",
    "budget_low": "sign-in ends soon",
    "target_failing": "a target keeps failing",
    "changed_elsewhere": "a secret was changed elsewhere",
    "recovered": "recovered",
    "sign_in_link": "approve the sign-in",
    "wrong_identity": "the wrong person approved the sign-in",
}


@dataclass(frozen=True)
class Notice:
    event: str  # one of TITLES
    text: str  # one line a person reads (Slack, Mattermost and Google Chat show `text`)
    host: str
    at: datetime
    profile: str | None = None
    targets: tuple[str, ...] = ()
    command: str | None = None  # what to run, if anything
    private: bool = False  # a sign-in link: webhook and desktop only, never an issue
    all_clear: bool = False  # `recovered` with nothing left open: an issue may be closed

    @property
    def title(self) -> str:
        return f"sso-sync: {TITLES[self.event]}"

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body."""
        return {
            "text": f"{self.title} on {self.host}: {self.text}",
            "event": self.event,
            "host": self.host,
            "profile": self.profile,
            "targets": list(self.targets),
            "command": self.command,
            "at": utc_timestamp(self.at),
        }


class NotifyFailed(Exception):
    """A channel could not deliver; the message names the channel, never its URL."""


class Channel(Protocol):
    name: str  # for the one line that says it failed: "the webhook", "the desktop", ...
    takes_private: bool  # whether a sign-in link may go there

    def send(self, notice: Notice) -> None: ...


@dataclass
class Notifier:
    """Decides what to tell and when; the channels deliver."""

    channels: Sequence[Channel]
    store: StateStore | None  # where streaks and open problems are kept; None: in memory
    now: Callable[[], datetime]
    say: Callable[[str], None] = lambda _line: None  # a channel's failure, one line
    host: str = field(default_factory=socket.gethostname)
    _memory: dict[str, Any] = field(default_factory=dict)
    # Changes made elsewhere told before this push: the push that overwrites them at once
    # closes them without a `recovered` (it would follow the change by seconds).
    _overwriting: set[str] = field(default_factory=set)

    # --- events ------------------------------------------------------------------------------

    def sign_in_needed(self, profiles: Sequence[str]) -> None:
        for profile in profiles:
            command = f"sso-sync login --profile {profile}"
            text = f"the sign-in for profile '{profile}' has ended: run `{command}`"
            notice = self._notice("sign_in_needed", text, profile, command)
            self._open(f"sign_in:{profile}", notice, f"profile '{profile}' is signed in again")

    def budget_low(self, profile: str, line: str) -> None:
        """Once a day (the caller's rule, as for the warning on stderr)."""
        command = f"sso-sync login --new-session --profile {profile}"
        notice = self._notice("budget_low", line.removeprefix("warning: "), profile, command)
        fixed = f"profile '{profile}' has over 24 h of unattended pushes again"
        self._open(f"budget:{profile}", notice, fixed)

    def budget_ok(self, profile: str) -> None:
        self._resolve([f"budget:{profile}"])

    def changed_elsewhere(
        self, targets: Sequence[str], secrets: Sequence[str], profile: str | None = None
    ) -> None:
        """Secrets this machine wrote were changed by another writer; the problem closes with
        the target's next successful push (the secret is then this machine's again)."""
        names = ", ".join(secrets)
        for target in targets:
            text = (
                f"{names} on {target} changed since this machine wrote it: stop the other "
                "writer, or let one writer own it"
            )
            notice = self._notice("changed_elsewhere", text, profile, None, (target,))
            self._open(f"changed:{target}", notice, f"{target} holds what this machine wrote")
            self._overwriting.add(f"changed:{target}")

    def pushed(self, run: PushRun, profiles: Sequence[str]) -> None:
        """After a push that ran: count each target's failures in a row, report one at the
        third, and resolve what is right again."""
        from sso_sync.wording import without_label

        failed = {
            r.label: f"{r.status}: {without_label(r.target.label, r.error or '')}"
            for r in run.results
            if not r.ok
        }
        failed |= {h.label: h.outcome for h in run.held if not h.ok}
        good = [r.label for r in run.results if r.ok] + [h.label for h in run.held if h.ok]
        resolves: list[tuple[list[str], bool]] = []  # (keys, quietly), closed in this order
        if good or run.credentials:
            resolves.append(([f"sign_in:{p}" for p in profiles], False))
        resolves.append(([f"failing:{label}" for label in good], False))
        # A change made elsewhere is right again once this machine wrote the target again
        # (`--on-change keep` leaves it as the other writer left it).
        written = [f"changed:{r.label}" for r in run.results if r.ok]
        resolves.append(([k for k in written if k in self._overwriting], True))
        resolves.append((written, False))
        self._settle(failed, good, resolves)
        self._overwriting.clear()

    def push_failed(self, labels: Sequence[str], error: str) -> None:
        """A push that failed as a whole (AWS unreachable, a bad token): every target failed."""
        self._settle(dict.fromkeys(labels, error), [], [])

    def sign_in_link(self, profile: str, url: str, code: str, expires_at: datetime) -> None:
        text = (
            f"open {url} and check that it shows the code {code}, then approve (until "
            f"{utc_timestamp(expires_at)}); approve only if you started this"
        )
        self._send(self._notice("sign_in_link", text, profile, None, private=True))

    def wrong_identity(self, profile: str, expected: str, got: str) -> None:
        text = (
            f"the sign-in for profile '{profile}' was approved by '{got}', not '{expected}' who "
            "signed in before: nothing was pushed; sign in again as the right person"
        )
        command = f"sso-sync login --profile {profile}"
        # It names a person: to the owner's channels only, as a link.
        notice = self._notice("wrong_identity", text, profile, command, private=True)
        self._open(f"identity:{profile}", notice, f"profile '{profile}' is signed in again")

    # --- state -------------------------------------------------------------------------------

    def _settle(
        self,
        failed: dict[str, str],
        good: Sequence[str],
        resolves: Sequence[tuple[Sequence[str], bool]],
    ) -> None:
        """One read-modify-write of the section, under one lock (it runs after every push):
        count each target's failures in a row (`failed`: label -> why, as the push reported
        it), open a problem for each target at FAIL_STREAK, then close each group of
        `resolves` in turn. The notices go once the lock is released, in that order."""
        told: list[Notice] = []
        closings: list[tuple[list[dict[str, Any]], bool, bool]] = []  # closed, left, quietly

        def change(section: dict[str, Any]) -> dict[str, Any]:  # called once, under the lock
            streaks = dict(section.get("streaks") or {})
            for label in good:
                streaks.pop(label, None)
            for label in failed:
                streaks[label] = int(streaks.get(label) or 0) + 1
            problems = dict(section.get("open") or {})
            for label, why in failed.items():
                if streaks[label] >= FAIL_STREAK:
                    text = f"{label} failed {streaks[label]} times in a row (last: {why})"
                    notice = self._notice("target_failing", text, None, None, (label,))
                    if _opened(problems, f"failing:{label}", notice, f"{label} pushed again"):
                        told.append(notice)
            for keys, quietly in resolves:
                closings.append((_closed(problems, keys), bool(problems), quietly))
            return {**section, "streaks": streaks, "open": problems}

        self._update(change)
        for notice in told:
            self._send(notice)
        for closed, left, quietly in closings:
            self._recovered(closed, left=left, quietly=quietly)

    def _open(self, key: str, notice: Notice, fixed: str) -> None:
        """Record the problem (`fixed`: what `recovered` will say); tell it when it is new or a
        reminder is due."""
        told = [False]

        def change(section: dict[str, Any]) -> dict[str, Any]:
            problems = dict(section.get("open") or {})
            told[0] = _opened(problems, key, notice, fixed)
            return {**section, "open": problems}

        self._update(change)
        if told[0]:
            self._send(notice)

    def _resolve(self, keys: Sequence[str], *, quietly: bool = False) -> None:
        self._settle({}, [], [(keys, quietly)])

    def _recovered(self, closed: list[dict[str, Any]], *, left: bool, quietly: bool) -> None:
        """Tell that the `closed` problems are right again (`left`: whether others stay open)."""
        if not closed or (quietly and left):
            return
        text = "right again: " + "; ".join(str(e.get("fixed", "")) for e in closed)
        profiles = {e.get("profile") for e in closed}
        targets = tuple(dict.fromkeys(str(t) for e in closed for t in e.get("targets") or []))
        profile = profiles.pop() if len(profiles) == 1 else None
        named = profile if isinstance(profile, str) else None
        notice = self._notice("recovered", text, named, None, targets)
        # Quietly: only a GitHub issue hears, so that it is closed when all is right again.
        self._send(Notice(**{**notice.__dict__, "all_clear": not left}), public_only=quietly)

    def _update(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        def full(section: dict[str, Any]) -> dict[str, Any]:
            new = change(section)
            return {"streaks": new.get("streaks") or {}, "open": new.get("open") or {}}

        if self.store is None:
            self._memory = full(self._memory)
            return self._memory
        return self.store.update_section(SECTION, full)

    # --- delivery ----------------------------------------------------------------------------

    def _notice(
        self,
        event: str,
        text: str,
        profile: str | None,
        command: str | None,
        targets: tuple[str, ...] = (),
        *,
        private: bool = False,
    ) -> Notice:
        return Notice(event, text, self.host, self.now(), profile, targets, command, private)

    def _send(self, notice: Notice, *, public_only: bool = False) -> None:
        for channel in self.channels:
            if (notice.private and not channel.takes_private) or (
                public_only and channel.takes_private
            ):
                continue
            try:
                channel.send(notice)
            except NotifyFailed as exc:
                self.say(f"notification not sent: {exc}")
            except Exception as exc:  # a notification never fails a push
                self.say(f"notification not sent: {channel.name} failed ({type(exc).__name__})")


def _opened(problems: dict[str, Any], key: str, notice: Notice, fixed: str) -> bool:
    """Record the problem `key` in `problems` (the section's `open`); whether to tell it now:
    it is new, or a reminder is due."""
    entry = problems.get(key)
    last = parse_utc_timestamp(entry.get("told_at")) if isinstance(entry, dict) else None
    due = last is None or notice.at - last >= REMIND_EVERY
    if not isinstance(entry, dict) or due:
        entry = {
            "event": notice.event,
            "fixed": fixed,
            "profile": notice.profile,
            "targets": list(notice.targets),
            "told_at": None,
        }
    if due:
        entry["told_at"] = utc_timestamp(notice.at)
    problems[key] = entry
    return due


def _closed(problems: dict[str, Any], keys: Sequence[str]) -> list[dict[str, Any]]:
    """Take the problems `keys` out of `problems`; the entries that were there."""
    closed = []
    for key in keys:
        entry = problems.pop(key, None)
        if isinstance(entry, dict):
            closed.append(entry)
    return closed
