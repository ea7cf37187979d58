"""Tokens only where they belong: no plain http to a non-loopback host, and each GitHub token only
to the server it was issued for (`gh`'s scoping). The peer at a non-loopback address is real: a
listener at 192.0.2.10 inside a private network namespace (tests/support/netns.py)."""

from __future__ import annotations

import os
import subprocess

import pytest

from sso_sync.errors import GitHubAuthMissing, UsageError
from sso_sync.github.token_sources import resolve_api_url, resolve_token, token_host
from sso_sync.transport import is_loopback_host
from tests.support.netns import probe
from tests.support.world import World

CANARY = "ghp_CANARYtransportCANARYtransport0001"


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "GITHUB_"))}
    env.update(overrides)
    return env


def _refused_unsent(outcome: dict, *secrets: str) -> None:
    assert outcome["exit_code"] == 2, outcome
    assert outcome["received"] == "", "the non-loopback peer was sent something"
    assert "Traceback" not in outcome["stderr"]
    assert len(outcome["stderr"].strip().splitlines()) == 1, outcome["stderr"]
    for secret in secrets:
        assert secret not in outcome["stdout"] + outcome["stderr"]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["list", "--repo", "o/r"], {"GITHUB_API_URL": "http://{peer}"}),
        (["list", "--repo", "o/r", "--api-url", "http://{peer}/api/v3"], {}),
        (["remove", "--repo", "o/r", "--yes"], {"GITHUB_API_URL": "http://{peer}"}),
    ],
    ids=["GITHUB_API_URL", "--api-url", "remove"],
)
def test_github_token_never_goes_over_plain_http_to_another_host(args, env) -> None:
    outcome = probe(args, _env(GH_TOKEN=CANARY, **env))
    _refused_unsent(outcome, CANARY)
    assert "plain http://" in outcome["stderr"]
    assert outcome["peer"] in outcome["stderr"]


@pytest.mark.parametrize(
    ("command", "variable"),
    [
        (["push", "--repo", "o/r", "--profile", "ci"], "AWS_ENDPOINT_URL_SSO"),
        (["push", "--repo", "o/r", "--profile", "ci"], "AWS_ENDPOINT_URL"),
        (["login", "--profile", "ci", "--force", "--no-browser"], "AWS_ENDPOINT_URL_SSO_OIDC"),
        (["verify"], "AWS_ENDPOINT_URL_STS"),
    ],
)
def test_sso_tokens_never_go_over_plain_http_to_another_host(
    world: World, command: list[str], variable: str
) -> None:
    cached = world.seed_token()
    env = _env(GH_TOKEN=CANARY, GITHUB_API_URL=world.sandbox.github_url)
    for name in ("AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_STS"):
        env.pop(name, None)
    env[variable] = "http://{peer}"
    # For verify: role credentials in the environment, as in a workflow.
    env.update(AWS_ACCESS_KEY_ID="ASIAEXAMPLE0000000001", AWS_SECRET_ACCESS_KEY=CANARY)
    env["AWS_DEFAULT_REGION"] = "eu-west-1"
    outcome = probe(command, env)
    _refused_unsent(outcome, cached["accessToken"], CANARY)
    assert "plain http://" in outcome["stderr"]


def test_services_section_endpoint_is_checked_too(world: World) -> None:
    world.seed_token()
    config = world.home / ".aws" / "config"
    text = (
        config.read_text().replace("[profile ci]\n", "[profile ci]\nservices = lab\n", 1)
        + "\n[services lab]\nsso =\n  endpoint_url = http://192.0.2.10:9\n"
    )
    config.write_text(text)
    env = _env(GH_TOKEN=CANARY, GITHUB_API_URL=world.sandbox.github_url)
    for name in ("AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_STS"):
        env.pop(name, None)
    outcome = probe(["push", "--repo", "o/r", "--profile", "ci"], env)
    assert outcome["exit_code"] == 2, outcome
    assert "services" in outcome["stderr"]


def test_github_com_token_is_not_sent_to_an_enterprise_server() -> None:
    outcome = probe(
        ["list", "--repo", "o/r"], _env(GH_TOKEN=CANARY, GITHUB_API_URL="https://{peer}/api/v3")
    )
    _refused_unsent(outcome, CANARY)
    assert "GH_ENTERPRISE_TOKEN" in outcome["stderr"]


def test_enterprise_token_goes_to_the_enterprise_server() -> None:
    # Over TLS the listener cannot read the token, but it sees the connection being made.
    outcome = probe(
        ["list", "--repo", "o/r", "--timeout", "5"],
        _env(GH_ENTERPRISE_TOKEN=CANARY, GITHUB_API_URL="https://{peer}/api/v3"),
    )
    assert outcome["received"] != ""
    assert CANARY not in outcome["stderr"]


def test_loopback_is_loopback_and_nothing_else() -> None:
    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback_host(host), host
    for host in ("192.0.2.10", "10.0.0.1", "localhost.example.com", "127.0.0.1.nip.io", "", None):
        assert not is_loopback_host(host), host


@pytest.mark.parametrize(
    "url", ["http://api.github.com", "http://192.0.2.2:44967", "ftp://127.0.0.1"]
)
def test_api_url_over_plain_http_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="https://"):
        resolve_api_url(url, {})


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://[::1]:9", "http://localhost:1"])
def test_api_url_over_http_to_loopback_is_allowed(url: str) -> None:
    assert resolve_api_url(url, {}) == url


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://api.github.com", "github.com"),
        ("https://api.octo.ghe.com", "octo.ghe.com"),
        ("https://ghe.example.com/api/v3", "ghe.example.com"),
        ("https://ghe.example.com:8443/api/v3", "ghe.example.com:8443"),
        ("https://ghe.example.com:443/api/v3", "ghe.example.com"),
    ],
)
def test_token_host_is_the_host_gh_knows(url: str, host: str) -> None:
    assert token_host(url) == host


@pytest.mark.parametrize(
    ("url", "environ", "source"),
    [
        (
            "https://api.github.com",
            {"GH_TOKEN": "tok-gh-0001", "GITHUB_TOKEN": "tok-github-0002"},
            "GH_TOKEN",
        ),
        (
            "https://api.github.com",
            {"GITHUB_TOKEN": "tok-github-0002", "GH_ENTERPRISE_TOKEN": "tok-ghe-0003"},
            "GITHUB_TOKEN",
        ),
        ("https://api.octo.ghe.com", {"GH_TOKEN": "tok-gh-0001"}, "GH_TOKEN"),
        (
            "http://127.0.0.1:9/",
            {"GH_TOKEN": "tok-gh-0001", "GH_ENTERPRISE_TOKEN": "tok-ghe-0003"},
            "GH_TOKEN",
        ),
        (
            "https://ghe.corp/api/v3",
            {"GH_TOKEN": "tok-gh-0001", "GH_ENTERPRISE_TOKEN": "tok-ghe-0003"},
            "GH_ENTERPRISE_TOKEN",
        ),
        (
            "https://ghe.corp/api/v3",
            {"GITHUB_ENTERPRISE_TOKEN": "tok-github-ent-0004"},
            "GITHUB_ENTERPRISE_TOKEN",
        ),
    ],
)
def test_token_source_follows_gh(url: str, environ: dict, source: str) -> None:
    resolved = resolve_token(url, environ)
    assert resolved.source == source
    assert resolved.value == environ[source]
    assert resolved.value not in repr(resolved)


@pytest.mark.parametrize(
    "url",
    ["https://ghe.corp/api/v3", "https://api.github.com.evil.example", "https://evilgithub.com"],
)
def test_github_com_tokens_never_serve_other_hosts(url: str) -> None:
    with pytest.raises(GitHubAuthMissing, match="GH_ENTERPRISE_TOKEN"):
        resolve_token(
            url, {"GH_TOKEN": "tok-gh-0001", "GITHUB_TOKEN": "tok-github-0002", "PATH": ""}
        )


def test_gh_is_asked_for_the_host_with_its_port(tmp_path) -> None:
    (tmp_path / "gh").write_text("#!/bin/sh\n")
    (tmp_path / "gh").chmod(0o755)
    calls: list[list[str]] = []

    def fake_run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, stdout="tok\n", stderr="")

    resolved = resolve_token(
        "https://ghe.corp:8443/api/v3", {"GH_TOKEN": "tok-gh-0001", "PATH": str(tmp_path)}, fake_run
    )
    assert resolved.value == "tok"
    assert calls[0][1:] == ["auth", "token", "--hostname", "ghe.corp:8443"]
    assert "gh auth token --hostname ghe.corp:8443" in resolved.source


def test_verbose_names_the_token_source_never_the_value(world: World, run) -> None:
    world.seed_token()
    result = run("-v", "list", "--repo", "octo/app")
    assert "from GH_TOKEN" in result.stderr


def test_botocores_own_refresh_client_is_checked_too(world: World) -> None:
    """A token due for refresh is refreshed by botocore's SSOTokenProvider, which builds its own
    sso-oidc client: the session-wide before-send check stops the refresh token going out."""
    cached = world.seed_token(expires_in=120)
    env = _env(GH_TOKEN=CANARY, GITHUB_API_URL=world.sandbox.github_url)
    env.pop("AWS_ENDPOINT_URL_SSO_OIDC", None)
    env["AWS_ENDPOINT_URL_SSO_OIDC"] = "http://{peer}"
    outcome = probe(["push", "--repo", "o/r", "--profile", "ci"], env)
    _refused_unsent(outcome, cached["accessToken"], cached["refreshToken"], CANARY)
    assert "plain http://" in outcome["stderr"]
