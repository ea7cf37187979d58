"""What a GitHub request takes from the environment, now that each connection reads it once
(github/connections.py, `_env_once_session`): the proxy settings, HTTP_PROXY and HTTPS_PROXY with
NO_PROXY, as requests reads them, for any host but loopback (never proxied), and the CA bundle
(REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE); and never ~/.netrc, whose entry for the API host would
replace the token's Authorization header with its own login and password."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.support.proxy import Passed, forwarding_proxy, without_proxy_settings
from tests.support.world import World, issued_as_secrets

REPO = "octo-org/app"
REMOTE_HOST = "github.example.test"  # not loopback, and resolves nowhere: nothing leaves


@pytest.fixture(autouse=True)
def no_inherited_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    without_proxy_settings(monkeypatch)


def _push(world: World, run) -> None:
    world.seed_token()
    world.sandbox.clear_requests()
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    stored = world.sandbox.secrets(f"repos/{REPO}/actions")
    assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)


def _github_requests(world: World) -> Counter[tuple[str, str]]:
    return Counter((r.method, r.path) for r in world.sandbox.requests if r.service == "github")


def test_a_netrc_entry_for_the_api_host_does_not_replace_the_token(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests reads ~/.netrc (or $NETRC) for a request that has no auth of its own, and turns
    an entry for the host into Basic auth over the token PyGithub set: the sandbox would answer
    401 Bad credentials. Every request is answered as the token allows instead."""
    netrc = world.home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-the-token\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    _push(world, run)
    statuses = [r.status for r in world.sandbox.requests if r.service == "github"]
    assert statuses and all(s in (200, 201, 204) for s in statuses), statuses


def test_a_loopback_api_is_reached_directly_never_through_the_proxy(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain http carries the token only because loopback never leaves the machine: a proxy
    the environment names (here on loopback too, to record; in life on another host) must
    not receive it. `gh` (Go's httpproxy) never proxies loopback either."""
    with forwarding_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        _push(world, run)
        passed, received = proxy.passed(), proxy.received()
    assert _github_requests(world)  # a key fetch and the writes, straight to the sandbox
    assert passed == []
    assert received == ""


def _push_to_a_remote_api(world: World, run, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A push to a GitHub Enterprise Server whose name does not resolve here: it fails as an
    unreachable GitHub does, exit 1, the target's line saying why and what to check."""
    monkeypatch.setenv("GITHUB_API_URL", f"https://{REMOTE_HOST}/api/v3")
    monkeypatch.setenv("GH_ENTERPRISE_TOKEN", world.sandbox.github_token)
    world.seed_token()
    world.sandbox.clear_requests()
    # --timeout: every attempt fails alike, no need to wait out the retries.
    result = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "3")
    assert result.exit_code == 1, result.stderr
    assert result.stderr == f"error: 1 of 1 target failed: {REPO}\n"
    assert f"{REPO}: failed: cannot reach GitHub (" in result.stdout
    assert "check --api-url/GITHUB_API_URL and the network" in result.stdout
    assert not _github_requests(world)
    return result


def test_a_remote_api_goes_through_the_https_proxy_as_a_tunnel_with_no_token(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any host but loopback still honours HTTPS_PROXY as requests reads it: the proxy is asked
    for a tunnel (CONNECT carries no header of the request inside it), here refused."""
    with forwarding_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        _push_to_a_remote_api(world, run, monkeypatch)
        passed, received = proxy.passed(), proxy.received()
    assert passed and set(passed) == {Passed("CONNECT", f"{REMOTE_HOST}:443")}
    assert "authorization" not in received.lower()
    assert world.sandbox.github_token not in received


def test_no_proxy_exempts_the_api_host(world: World, run, monkeypatch: pytest.MonkeyPatch) -> None:
    with forwarding_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", f"example.com,{REMOTE_HOST}")
        _push_to_a_remote_api(world, run, monkeypatch)
        passed = proxy.passed()
    assert passed == []


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_the_ca_bundle_the_environment_names_is_trusted(
    world: World, run, monkeypatch: pytest.MonkeyPatch, tmp_path, variable: str
) -> None:
    """GitHub over TLS with a certificate no system store trusts: refused, until the variable
    requests reads for a CA bundle names it. (The benchmarks' TLS front, shaped like GitHub
    Enterprise Server, with its own self-signed certificate.)"""
    from benchmarks.tls_front import TlsFront

    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    with TlsFront(world.sandbox.github_url, tmp_path) as front:
        monkeypatch.setenv("GITHUB_API_URL", f"https://{front.host}/api/v3")
        world.seed_token()
        # --timeout: every attempt fails alike, no need to wait out the retries.
        refused = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "2")
        assert refused.exit_code == 1, refused.stderr
        assert not _github_requests(world)  # none got past the TLS handshake
        monkeypatch.setenv(variable, str(front.cert_file))
        _push(world, run)
