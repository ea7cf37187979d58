"""What botocore takes from the proxy settings (HTTP_PROXY, HTTPS_PROXY, NO_PROXY): nothing for
a loopback endpoint, whose plain http carries the SSO bearer token and signed requests only
because it never leaves the machine (as `gh`, through Go's httpproxy, never proxies loopback);
the proxy the environment names for any other endpoint, as botocore reads it
(transport.py, `direct_to_loopback`)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.proxy import Passed, forwarding_proxy, without_proxy_settings
from tests.support.world import World, issued_as_secrets

REPO = "octo-org/app"
REMOTE_HOST = "sso.example.test"  # not loopback, and resolves nowhere: nothing leaves


@pytest.fixture(autouse=True)
def no_inherited_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    without_proxy_settings(monkeypatch)


def test_loopback_aws_endpoints_are_reached_directly_never_through_the_proxy(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token is due for a refresh, so botocore's own `sso-oidc` client (its token
    refresher's, which we do not build) is exercised as well as ours (`sso`)."""
    world.seed_token(expires_in=300)  # inside botocore's 15-minute refresh window
    with forwarding_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        world.sandbox.clear_requests()
        result = run("push", "--repo", REPO, "--profile", "ci")
        passed, received = proxy.passed(), proxy.received()
    assert result.exit_code == 0, result.stderr
    stored = world.sandbox.secrets(f"repos/{REPO}/actions")
    assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)
    services = Counter(r.service for r in world.sandbox.requests)
    assert services["sso-oidc"] and services["sso"]  # the refresh, the role credentials
    assert passed == []
    assert received == ""


def test_a_remote_aws_endpoint_goes_through_the_https_proxy_as_a_tunnel(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any endpoint but loopback still honours HTTPS_PROXY as botocore reads it: the proxy is
    asked for a tunnel to it (here refused), and the bearer token never reaches the proxy."""
    world.seed_token()
    with forwarding_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", f"https://{REMOTE_HOST}")
        # --timeout: every attempt fails alike, no need to wait out the retries.
        result = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "3")
        passed, received = proxy.passed(), proxy.received()
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("error: IAM Identity Center: ")
    assert result.stderr.count("\n") == 1
    assert passed and set(passed) == {Passed("CONNECT", f"{REMOTE_HOST}:443")}
    assert "x-amz-sso_bearer_token" not in received.lower()
    assert not [v for v in world.secret_values() if v in received]
    assert not world.sandbox.secrets(f"repos/{REPO}/actions")
