"""`watch --remote-sign-in`: when the session can no longer be refreshed on a headless host, a
device-code sign-in whose link and code go to a person by webhook or desktop notification.

Device-code phishing is the risk: whoever approves a code signs this host in as themselves,
and a code sent by an attacker looks just like ours. So:
- links go only to the channels the owner set up (a webhook, the desktop), never to a GitHub
  issue, whose readers may be many;
- a new code only after the previous one expired: the first `CODES_BACK_TO_BACK` right away,
  then at most one an hour (`next_code_at`), and none after `--remote-sign-in-for` (24 h);
- before anything is pushed, the new session's identity (the assumed-role ARN's session name,
  as `--record-who` reads it) must be the one that signed in before, recorded in the state file
  (`signed_in_as`); else the new token is removed from the cache, nothing is pushed, and the
  notice says who approved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sso_sync.errors import LoginRequired

if TYPE_CHECKING:
    from sso_sync.aws.session import AwsSession
    from sso_sync.aws.signin.device_code import DevicePrompt
    from sso_sync.deadline import Deadline
    from sso_sync.keepfresh.notices import Notifier
    from sso_sync.keepfresh.state import StateStore

DEFAULT_FOR = timedelta(hours=24)
CODES_BACK_TO_BACK = 3  # the first codes follow each other (30 minutes of codes)
CODE_PAUSE = timedelta(hours=1)  # after those, at most one new code an hour
# Each step's calls, when the session has no deadline to go by (the default --timeout).
CALLS_TIMEOUT = 120.0
IDENTITY_SECTION = "signed_in_as"  # state file: profile -> the session name that signed in


def next_code_at(issued: Sequence[datetime], expired_at: datetime) -> datetime:
    """When the next code may be made, the last one having expired at `expired_at`."""
    if len(issued) < CODES_BACK_TO_BACK:
        return expired_at
    return max(expired_at, issued[-1] + CODE_PAUSE)


def remembered(store: StateStore, profile: str) -> str | None:
    who = store.read_section(IDENTITY_SECTION).get(profile)
    return who if isinstance(who, str) and who else None


def remember(store: StateStore, profile: str, who: str) -> None:
    store.update_section(IDENTITY_SECTION, lambda section: {**section, profile: who})


def identity_of(aws: AwsSession) -> str:
    """The session name of the profile's role session now (one STS call)."""
    from sso_sync.keepfresh.record import sts_caller

    return sts_caller(aws, aws.role_credentials(allow_sign_in=False)).session_name


@dataclass
class RemoteSignIn:
    aws: AwsSession
    notifier: Notifier
    store: StateStore
    now: Callable[[], datetime]
    wait: Callable[[float], None]  # sleeps; raises Cancelled when watch is stopped
    bound: timedelta = DEFAULT_FOR

    def run(self) -> str:
        """Sign in by link; returns who approved. LoginRequired when nobody approved within
        the bound, or when the wrong person did (then the new token is gone again)."""
        profile = self.aws.profile.name
        expected = remembered(self.store, profile)
        if expected is None:
            raise LoginRequired(
                f"--remote-sign-in: no earlier sign-in recorded for profile '{profile}' to "
                f"compare with: run `{self.aws.profile.login_hint}` on this host once"
            )
        end = self.now() + self.bound
        issued: list[datetime] = []
        while True:
            issued.append(self.now())
            try:
                self._one_code()
                break
            except LoginRequired:  # the code expired unapproved
                at = next_code_at(issued, self.now())
                if at >= end:
                    raise LoginRequired(
                        f"nobody approved a sign-in for profile '{profile}' within "
                        f"{self.bound}: run `{self.aws.profile.login_hint}`"
                    ) from None
                self.wait(max(0.0, (at - self.now()).total_seconds()))
        deadline = self._calls_deadline()
        with deadline.guard():
            who = identity_of(self.aws.within(deadline))
        if who != expected:
            del self.aws.cache[self.aws.profile.token_cache_key]
            self.notifier.wrong_identity(profile, expected, who)
            raise LoginRequired(
                f"the sign-in for profile '{profile}' was approved by '{who}', not by "
                f"'{expected}' who signed in before: nothing was pushed; run "
                f"`{self.aws.profile.login_hint}` as the right person"
            )
        return who

    def _calls_deadline(self) -> Deadline:
        """A deadline for one step's calls, as long as the command's (a cycle's `--timeout`):
        the session's own may have passed while a person was awaited, and a stalled peer
        must not hold `watch` for longer."""
        from sso_sync.deadline import Deadline

        given = self.aws.deadline.seconds if self.aws.deadline is not None else None
        return Deadline(given or CALLS_TIMEOUT)

    def _one_code(self) -> None:
        from sso_sync.aws.signin.device_code import device_login
        from sso_sync.clients import aws_network_errors

        deadline = self._calls_deadline()

        def show(prompt: DevicePrompt) -> None:
            # A person reads the code now: the polls go on for the code's life, no longer.
            deadline.extend(prompt.expires_in)
            expires = self.now() + timedelta(seconds=prompt.expires_in)
            self.notifier.sign_in_link(
                self.aws.profile.name,
                prompt.verification_uri_complete,
                prompt.user_code,
                expires,
            )

        with deadline.guard():
            aws = self.aws.within(deadline)
            with aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO_OIDC", deadline):
                device_login(
                    aws.oidc_client(),
                    aws.profile,
                    aws.cache,
                    show_prompt=show,
                    sleep=self.wait,
                    now=self.now,
                )
