"""`watch --remote-sign-in` (keepfresh/remote_signin.py): a device-code sign-in whose link and
code go to a loopback webhook, approved later by its user code in the sandbox; the token is
cached as `login` caches it; an approval by another person pushes nothing and says who."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from sso_sync.aws.session import AwsSession
from sso_sync.deadline import Deadline
from sso_sync.errors import DeadlineReached, GitHubError, LoginRequired
from sso_sync.keepfresh.channels import GitHubIssue, Webhook
from sso_sync.keepfresh.notices import Notifier
from sso_sync.keepfresh.remote_signin import RemoteSignIn, next_code_at, remember
from sso_sync.keepfresh.state import StateStore
from sso_sync.sandbox import SandboxConfig
from sso_sync.state_dir import state_dir
from sso_sync.terminal import Quiet
from tests.support.bounds import within
from tests.support.hostile import HostilePeer
from tests.support.webhook import webhook
from tests.support.world import World, assert_no_leak


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0, manual_device_approval=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)


issue_calls: list[int] = []


def _sign_in(
    world: World,
    approver: str | None,
    *,
    ignore_first: bool = False,
    deadline: Deadline | None = None,
) -> tuple:
    """`deadline`: the session's own, as a watch cycle's (its --timeout) would be."""
    store = StateStore(state_dir(dict(os.environ)))
    remember(store, "ci", "sandbox-user")  # who signed in before, as watch records it
    aws = AwsSession("ci", environ=dict(os.environ), terminal=Quiet(), deadline=deadline)
    issue_calls.clear()
    with webhook() as hook:
        seen: list[str] = []

        def approve(body: dict) -> None:
            if body["event"] != "sign_in_link":
                return
            code = body["text"].split("shows the code ")[1].split(",")[0]
            seen.append(code)
            if not (ignore_first and len(seen) == 1):
                assert world.sandbox.approve_device(code, approver)

        hook.on_post = approve

        # An issue channel too: a sign-in link must never reach it (each call is recorded).
        def reached() -> Any:
            issue_calls.append(1)
            raise GitHubError("not in this test")

        issue = GitHubIssue("octo-org/app", "t", reached)
        notifier = Notifier([Webhook(hook.url), issue], store, _now)
        signer = RemoteSignIn(aws, notifier, store, _now, wait=lambda _s: None)
        try:
            who = signer.run()
        except (LoginRequired, DeadlineReached) as exc:
            who = exc
    return who, hook, aws, seen


def test_a_code_approved_later_by_the_same_person_is_cached_as_login_does(world: World) -> None:
    world.sandbox.config.device_code_lifetime = 1
    who, hook, aws, seen = _sign_in(world, None)
    assert who == "sandbox-user"
    assert hook.events() == ["sign_in_link"]
    assert issue_calls == []  # the link never went to the issue
    link = hook.bodies[0]
    assert link["text"].startswith("sso-sync: approve the sign-in on ")
    assert f"user_code={seen[0]}" in link["text"]
    assert aws.profile.token_cache_key in aws.cache  # cached, as `login` caches it
    for raw in hook.raw:
        assert_no_leak(raw.decode(), world.secret_values())


def test_an_expired_code_is_followed_by_a_new_one(world: World) -> None:
    world.sandbox.config.device_code_lifetime = 1
    who, _hook, _aws, seen = _sign_in(world, None, ignore_first=True)
    assert who == "sandbox-user"
    assert len(seen) == 2 and seen[0] != seen[1]


def test_an_approval_by_someone_else_pushes_nothing_and_says_who(world: World) -> None:
    who, hook, aws, _seen = _sign_in(world, "mallory@example.com")
    assert isinstance(who, LoginRequired)
    assert "approved by 'mallory@example.com', not by 'sandbox-user'" in str(who)
    assert hook.events() == ["sign_in_link", "wrong_identity"]
    assert "mallory@example.com" in hook.bodies[1]["text"]
    assert aws.profile.token_cache_key not in aws.cache  # the wrong session is not kept
    assert not [r for r in world.sandbox.requests if r.service == "github"]  # nothing pushed


def test_a_sign_in_after_the_cycles_deadline_passed_still_runs(world: World) -> None:
    """The link goes out when a cycle has failed, and a person may take longer than that
    cycle's --timeout: the sign-in's calls have a deadline of their own."""
    clock = [0.0]
    cycle = Deadline(5, clock=lambda: clock[0])
    clock[0] = 6.0  # the cycle's 5 s are over
    who, hook, aws, _seen = _sign_in(world, None, deadline=cycle)
    assert who == "sandbox-user"
    assert hook.events() == ["sign_in_link"]
    assert aws.profile.token_cache_key in aws.cache


@pytest.mark.parametrize("kind", ["stall", "drip"])
def test_a_stalled_iam_identity_center_ends_the_sign_in_by_its_deadline(
    world: World, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Each step's calls are bounded as long as the cycle's --timeout (3 s here): an OIDC
    endpoint that never answers (or drips a byte every 2 s, so no read timeout fires) ends the
    sign-in then, with no link sent, instead of holding `watch` for ever."""
    with HostilePeer(kind, interval=2.0) as peer:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", peer.url)
        started = time.monotonic()
        who, hook, _aws, _seen = _sign_in(world, None, deadline=Deadline(3))
        took = time.monotonic() - started
        assert peer.requests >= 1  # it did reach the stalled peer
    assert isinstance(who, DeadlineReached), who
    assert str(who).startswith("IAM Identity Center: ")
    assert took < within(3.0)
    assert hook.events() == []  # no code, no link


def test_new_codes_come_back_to_back_three_times_then_at_most_hourly() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ten = timedelta(minutes=10)
    assert next_code_at([t0], t0 + ten) == t0 + ten
    assert next_code_at([t0, t0 + ten], t0 + 2 * ten) == t0 + 2 * ten
    issued = [t0, t0 + ten, t0 + 2 * ten]
    assert next_code_at(issued, t0 + 3 * ten) == t0 + 2 * ten + timedelta(hours=1)


def test_watch_signs_in_again_by_link_and_goes_on_pushing(
    world: World, sandbox_config: SandboxConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end, `watch` in its own process: a cycle pushes and records who signed in; the
    session ends; the link goes to the webhook and is approved there by its user code; the
    next cycle pushes again. No `login` was run."""
    import signal

    from tests.support.watch import Watch

    sandbox_config.role_lifetime = 60  # with --refresh-before 50s, a cycle every 5 to 10 s
    world.seed_token()
    with webhook() as hook:

        def approve(body: dict) -> None:
            if body["event"] == "sign_in_link":
                code = body["text"].split("shows the code ")[1].split(",")[0]
                assert world.sandbox.approve_device(code)

        hook.on_post = approve
        monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", hook.url)
        argv = ("--repo", "octo-org/app", "-p", "ci", "--refresh-before", "50s", "--remote-sign-in")
        with Watch(*argv) as watch:
            assert " cycle 1: pushed 1" in watch.next_line(timeout=60)
            store = StateStore(state_dir(dict(os.environ)))
            while store.read_section("signed_in_as") != {"ci": "sandbox-user"}:
                time.sleep(0.1)  # recorded after the cycle's line
            world.sandbox.end_sessions()
            lines = []
            while not any("signed in again by link" in line for line in lines):
                lines.append(watch.next_line(timeout=60))
            lines.append(watch.next_line(timeout=60))  # the next cycle
            watch.proc.send_signal(signal.SIGTERM)
            code, _out, err = watch.finish()
    assert code == 0, err
    assert " cycle 1: pushed 1" in lines[-1], lines
    assert hook.events()[:2] == ["sign_in_needed", "sign_in_link"], hook.events()
    assert "recovered" in hook.events()
    assert_no_leak(err + "".join(r.decode() for r in hook.raw), world.secret_values())


def test_remote_sign_in_needs_a_webhook_or_a_desktop(world: World, run) -> None:
    world.seed_token()
    result = run("watch", "--repo", "octo-org/app", "-p", "ci", "--remote-sign-in")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --remote-sign-in needs somewhere to send the sign-in")
    assert world.sandbox.requests == []
