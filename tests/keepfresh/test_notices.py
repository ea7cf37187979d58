"""Notifications (keepfresh/notices.py, keepfresh/channels.py): each event reaches a loopback
webhook as JSON with its fields and no secret; a failing target opens the hourly check's GitHub
issue in the sandbox, and its recovery closes it; a slow or redirecting hook never fails a push;
the URL never shows."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sso_sync.action.workflows import ISSUE_TITLE
from sso_sync.keepfresh.channels import Webhook
from sso_sync.keepfresh.notices import Notice, Notifier
from sso_sync.keepfresh.state import StateStore
from sso_sync.state_dir import state_dir
from tests.support.webhook import webhook
from tests.support.world import World, assert_no_leak

FIELDS = {"text", "event", "host", "profile", "targets", "command", "at"}
PUSH = ("push", "--repo", "octo-org/app", "--profile", "ci")
GONE = ("push", "--repo", "octo-org/gone", "--profile", "ci")


def _short_budget(world: World) -> None:
    entry = world.seed_token()
    soon = datetime.now(timezone.utc) + timedelta(hours=10)
    entry["registrationExpiresAt"] = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    world.token_file().write_text(json.dumps(entry))


def test_every_event_reaches_the_webhook_with_its_fields_and_no_secret(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    with webhook() as hook:
        monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", hook.url)
        monkeypatch.setenv("SSO_SYNC_JOB", "nightly")  # as the scheduled job runs it
        _short_budget(world)
        assert run(*PUSH).exit_code == 0
        world.sandbox.end_sessions()
        assert run(*PUSH).exit_code == 3
        world.seed_token()  # signed in again, a new session
        assert run(*PUSH).exit_code == 0
        for _ in range(3):
            assert run(*GONE).exit_code == 1
        world.sandbox.create_repo("octo-org/gone")
        assert run(*GONE).exit_code == 0
        store = StateStore(state_dir(dict(os.environ)))
        notifier = Notifier([Webhook(hook.url)], store, lambda: datetime.now(timezone.utc))
        # The detection is built elsewhere; this is the call it makes.
        notifier.changed_elsewhere(["octo-org/app"], ["AWS_ACCESS_KEY_ID"], "ci")
        assert run(*PUSH).exit_code == 0
        secrets = world.secret_values() | {hook.url, hook.url.split("/hooks/")[1]}
    assert hook.events() == [
        "budget_low", "sign_in_needed", "recovered", "recovered",
        "target_failing", "recovered", "changed_elsewhere", "recovered",
    ]  # fmt: skip
    for body in hook.bodies:
        assert set(body) == FIELDS
        assert body["text"].startswith("sso-sync: ")
    by_event = {b["event"]: b for b in hook.bodies}
    assert by_event["sign_in_needed"]["command"] == "sso-sync login --profile ci"
    assert by_event["sign_in_needed"]["profile"] == "ci"
    assert by_event["budget_low"]["command"] == "sso-sync login --new-session --profile ci"
    assert by_event["target_failing"]["targets"] == ["octo-org/gone"]
    assert "3 times in a row" in by_event["target_failing"]["text"]
    assert by_event["changed_elsewhere"]["targets"] == ["octo-org/app"]
    for raw in hook.raw:  # the leak canary, over the webhook's bodies
        assert_no_leak(raw.decode(), secrets)


def test_a_failing_target_opens_the_checks_issue_and_recovery_closes_it(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    issue = ("--notify-issue", "octo-org/app")
    for attempt in range(4):
        assert run(*GONE, *issue).exit_code == 1
        opened = world.sandbox.issues("octo-org/app")
        assert len(opened) == (1 if attempt >= 2 else 0)  # at the third failure in a row
    [found] = world.sandbox.issues("octo-org/app")
    assert (found.title, found.state, found.comments) == (ISSUE_TITLE, "open", [])
    assert "octo-org/gone failed 3 times in a row" in (found.body or "")
    world.sandbox.create_repo("octo-org/gone")
    assert run(*GONE, *issue).exit_code == 0
    [found] = world.sandbox.issues("octo-org/app")
    assert found.state == "closed"
    assert found.state_reason == "completed"
    [(_id, comment, _at)] = found.comments
    assert "recovered" in comment and "right again" in comment
    texts = [found.body or "", comment]
    for text in texts:  # the leak canary, over the issue's text
        assert_no_leak(text, world.secret_values())


def test_the_issue_title_is_the_one_the_hourly_check_opens() -> None:
    from sso_sync.action.workflows import render

    rendered = render(
        "verify-aws-credentials.yml", prefix="STAGING_", environment="production", action="o/r@x"
    )
    assert 'TITLE: "AWS credentials for GitHub Actions need attention (production-staging)"' in (
        rendered
    )
    from sso_sync.cli.notifying import issue_title_for
    from sso_sync.github.targets import Target, TargetSet

    target = Target("env", "octo-org", "app", "production")
    sets = (TargetSet(None, "ci", "STAGING_", (target,)),)
    assert issue_title_for(sets, "octo-org/app") in rendered


def test_a_stalled_hook_never_fails_the_push_and_its_url_never_shows(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    with webhook() as hook:
        hook.stall.set()
        monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", hook.url)
        world.sandbox.end_sessions()
        result = run(*PUSH)
    assert result.exit_code == 3  # the push's own outcome, not the hook's
    assert "notification not sent: the webhook did not answer within 5 s" in result.stderr
    assert "canary-webhook-path" not in result.stdout + result.stderr
    assert len(hook.raw) <= 2  # one retry at most


def test_a_redirect_is_not_followed(world: World, run, monkeypatch: pytest.MonkeyPatch) -> None:
    world.seed_token()
    with webhook() as elsewhere, webhook() as hook:
        hook.status, hook.location = 302, elsewhere.url
        monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", hook.url)
        world.sandbox.end_sessions()
        result = run(*PUSH)
    assert result.exit_code == 3
    assert "the webhook answered HTTP 302 (redirects are not followed)" in result.stderr
    assert elsewhere.raw == [] and len(hook.raw) == 1


@pytest.mark.parametrize(
    "url", ["http://192.0.2.10/hooks/canary-webhook-path", "ftp://example.com/canary-webhook-path"]
)
def test_a_webhook_url_that_is_not_https_is_refused_without_showing_it(
    world: World, run, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    world.seed_token()
    monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", url)
    result = run(*PUSH)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the webhook URL in SSO_SYNC_NOTIFY_URL is not an https")
    assert "canary-webhook-path" not in result.stderr + result.stdout
    assert world.sandbox.requests == []  # refused before any request


def test_the_url_file_must_be_the_owners_alone(world: World, run, tmp_path: Path) -> None:
    world.seed_token()
    file = tmp_path / "hook-url"
    file.write_text("https://hooks.example.com/canary-webhook-path\n")
    file.chmod(0o644)
    result = run(*PUSH, "--notify-url-file", str(file))
    assert result.exit_code == 2
    assert "chmod 600" in result.stderr
    assert "canary-webhook-path" not in result.stderr + result.stdout


class Recorded:
    """A channel that keeps what it is sent (in place of a webhook, for the pacing tests)."""

    name = "recorded"
    takes_private = True

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, notice: Notice) -> None:
        self.sent.append(notice.event)


def test_a_problem_that_stays_is_told_again_every_6_hours_and_the_budget_daily() -> None:
    clock = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    channel = Recorded()
    notifier = Notifier([channel], None, lambda: clock[0])
    for _ in range(3):
        notifier.push_failed(["octo-org/app"], "GitHub could not be reached")
    assert channel.sent == ["target_failing"]
    clock[0] += timedelta(hours=1)
    notifier.push_failed(["octo-org/app"], "GitHub could not be reached")
    assert channel.sent == ["target_failing"]  # not yet
    clock[0] += timedelta(hours=5)
    notifier.push_failed(["octo-org/app"], "GitHub could not be reached")
    assert channel.sent == ["target_failing"] * 2  # 6 hours on: told again
    notifier.budget_low("ci", "warning: 20 h left")
    clock[0] += timedelta(hours=24)
    notifier.budget_low("ci", "warning: under 1 h left")  # the caller's once a day
    assert channel.sent[2:] == ["budget_low", "budget_low"]
    notifier.budget_ok("ci")
    assert channel.sent[-1] == "recovered"


def test_a_config_set_names_the_webhook_file_and_the_issue(
    world: World, run, tmp_path: Path
) -> None:
    world.seed_token()
    with webhook() as hook:
        (tmp_path / "hook-url").write_text(hook.url + "\n")
        (tmp_path / "hook-url").chmod(0o600)
        config = tmp_path / "sso-sync.toml"
        config.write_text(
            '[sets.ci]\nprofile = "ci"\nnotify-url-file = "hook-url"\n'
            'notify-issue = "octo-org/app"\ntargets = [{ repo = "octo-org/gone" }]\n'
        )
        for _ in range(3):
            assert run("push", "ci", "--config", str(config)).exit_code == 1
        assert repr(Webhook(hook.url)).count("canary") == 0
    assert hook.events() == ["target_failing"]
    assert hook.bodies[0]["targets"] == ["octo-org/gone [ci]"]
    assert [i.state for i in world.sandbox.issues("octo-org/app")] == ["open"]


def test_a_change_made_elsewhere_reaches_the_webhook_and_the_issue_from_the_detection(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detection (keepfresh/elsewhere.py) calls the notifier: a hand edit found by the
    scheduled push is told to the webhook and opens the issue; the push overwrites it at once,
    so the chat hears no `recovered` seconds later, and the issue is closed."""
    from tests.support.elsewhere import OTHER_VALUE, hand_edit

    world.seed_token()
    monkeypatch.setenv("SSO_SYNC_JOB", "sso-sync-test")
    job = (*PUSH, "--min-remaining", "30m", "--notify-issue", "octo-org/app")
    assert run(*job).exit_code == 0
    hand_edit(world, "/repos/octo-org/app/actions/secrets", "AWS_SECRET_ACCESS_KEY", OTHER_VALUE)
    store = StateStore(state_dir(dict(os.environ)))
    entry = store.read_job("sso-sync-test") or {}
    store.record_job("sso-sync-test", {**entry, "elsewhere_checked_at": "2000-01-01T00:00:00Z"})
    with webhook() as hook:
        monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", hook.url)
        assert run(*job, extra_secrets={OTHER_VALUE}).exit_code == 0
    assert hook.events() == ["changed_elsewhere"]
    assert "AWS_SECRET_ACCESS_KEY on octo-org/app changed" in hook.bodies[0]["text"]
    [issue] = world.sandbox.issues("octo-org/app")
    assert issue.state == "closed"  # right again: the push wrote it back
    for raw in hook.raw:
        assert_no_leak(raw.decode(), world.secret_values() | {OTHER_VALUE})


class Watching:
    """A channel that keeps each notice with the problems the state file held open as it came."""

    def __init__(self, name: str, store: StateStore, *, takes_private: bool) -> None:
        self.name, self.store, self.takes_private = name, store, takes_private
        self.sent: list[tuple[str, str, bool, list[str]]] = []

    def send(self, notice: Notice) -> None:
        still_open = sorted(self.store.read_section("notices").get("open") or {})
        self.sent.append((notice.event, notice.text, notice.all_clear, still_open))


def test_a_push_settles_every_problem_in_the_state_file_before_it_tells_them_in_order(
    tmp_path: Path,
) -> None:
    """A push that ends a sign-in problem, a failing target and a change made elsewhere at once:
    the recoveries come in that order, each with what is left open (the issue hears the quiet
    one, which closes it), and the state file holds the outcome whole before the first is sent
    (one read-modify-write per push, the channels after its lock)."""
    from sso_sync.github.push import SecretResult, TargetResult
    from sso_sync.github.targets import Target
    from sso_sync.push_run import PushRun

    store = StateStore(tmp_path)
    chat = Watching("chat", store, takes_private=True)
    issue = Watching("issue", store, takes_private=False)
    notifier = Notifier([chat, issue], store, lambda: datetime.now(timezone.utc))
    notifier.sign_in_needed(["ci"])
    for _ in range(3):
        notifier.push_failed(["octo-org/app"], "GitHub could not be reached")
    notifier.changed_elsewhere(["octo-org/api"], ["AWS_ACCESS_KEY_ID"], "ci")
    assert [e for e, *_ in issue.sent] == ["sign_in_needed", "target_failing", "changed_elsewhere"]
    assert issue.sent[-1][3] == ["changed:octo-org/api", "failing:octo-org/app", "sign_in:ci"]
    written = [SecretResult("AWS_ACCESS_KEY_ID", "updated")]
    results = [TargetResult(Target("repo", "octo-org", r), list(written)) for r in ("app", "api")]
    notifier.pushed(PushRun(results, []), ["ci"])
    recovered = [
        ("recovered", "right again: profile 'ci' is signed in again", False, []),
        ("recovered", "right again: octo-org/app pushed again", False, []),
    ]
    assert chat.sent[3:] == recovered
    quiet = ("recovered", "right again: octo-org/api holds what this machine wrote", True, [])
    assert issue.sent[3:] == [*recovered, quiet]
    assert store.read_section("notices") == {"streaks": {}, "open": {}}
