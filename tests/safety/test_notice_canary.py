"""The leak canary over the notification channels: every webhook body and every GitHub issue
text `push` sends, in success and failure and under `--debug`, holds no credential, token,
client secret or one-time code the sandbox issued, nor the GitHub token; and the webhook's URL
(a secret: whoever holds it can post) shows in no output. The remote sign-in's link is covered
in tests/keepfresh/test_remote_signin.py (its bodies are checked the same way)."""

from __future__ import annotations

import pytest

from tests.support.webhook import webhook
from tests.support.world import World, assert_no_leak

GONE = ("--debug", "push", "--repo", "octo-org/gone", "--profile", "ci")
ISSUE = ("--notify-issue", "octo-org/app")


def test_no_secret_reaches_a_webhook_body_an_issue_or_the_output(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    with webhook() as hook:
        monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", hook.url)
        # The URL's secret is its path (its first characters are any loopback URL's).
        url_parts = {hook.url.split("/hooks/")[1]}
        for _ in range(3):  # a target failing 3 times in a row
            run(*GONE, *ISSUE, extra_secrets=url_parts)
        world.sandbox.create_repo("octo-org/gone")
        run(*GONE, *ISSUE, extra_secrets=url_parts)  # recovered
        world.sandbox.end_sessions()
        run(*GONE, *ISSUE, extra_secrets=url_parts)  # sign-in needed
        hook.status = 500  # and a hook that fails: its failure line names no URL
        run(*GONE, *ISSUE, extra_secrets=url_parts)
        secrets = world.secret_values() | url_parts
    assert set(hook.events()) >= {"target_failing", "recovered", "sign_in_needed"}
    for raw in hook.raw:
        assert_no_leak(raw.decode(), secrets)
    issues = world.sandbox.issues("octo-org/app")
    assert [i.state for i in issues] == ["closed", "open"]  # recovered; then a sign-in needed
    for issue in issues:
        for text in [issue.body or "", *(body for _id, body, _at in issue.comments)]:
            assert_no_leak(text, secrets)
