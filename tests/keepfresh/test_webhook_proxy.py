"""The webhook (keepfresh/channels.py) and the proxy settings: a loopback webhook, allowed plain
http only because it never leaves the machine, is posted to directly, never through the proxy
HTTP_PROXY names (its URL is a secret, and a notice may hold a sign-in link); any other host
honours HTTPS_PROXY as urllib reads it."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sso_sync.keepfresh.channels import Webhook
from sso_sync.keepfresh.notices import Notice, NotifyFailed
from tests.support.proxy import Passed, forwarding_proxy, without_proxy_settings
from tests.support.webhook import webhook

NOTICE = Notice("target_failing", "octo-org/web failed 3 times", "host", datetime.now(timezone.utc))
SECRET_PATH = "/hooks/T000/B000/canary-webhook-path"


@pytest.fixture(autouse=True)
def no_inherited_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    without_proxy_settings(monkeypatch)


def test_a_loopback_webhook_is_posted_to_directly_never_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with webhook(SECRET_PATH) as hook, forwarding_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        Webhook(hook.url).send(NOTICE)
        passed, received = proxy.passed(), proxy.received()
    assert hook.events() == ["target_failing"]
    assert passed == []
    assert received == ""


def test_a_remote_webhook_goes_through_the_https_proxy_as_a_tunnel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name that resolves nowhere: the proxy is asked for a tunnel to it (here refused),
    and learns the host only, never the URL's secret path."""
    with forwarding_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with pytest.raises(NotifyFailed, match="could not be reached"):
            Webhook(f"https://hooks.example.test{SECRET_PATH}").send(NOTICE)
        passed, received = proxy.passed(), proxy.received()
    assert passed and set(passed) == {Passed("CONNECT", "hooks.example.test:443")}
    assert "canary-webhook-path" not in received
