"""Endpoint URLs that two parsers could read as two different hosts are refused before any
token is sent (issue #23, security review item 1).

`http://192.0.2.10:P\\@127.0.0.1:9`: `urlsplit` reads the host 127.0.0.1 (loopback, so plain
http passes), urllib3 connects to 192.0.2.10 and sends the token in clear. The peer at
192.0.2.10 is real, in a private network namespace (tests/support/netns.py)."""

from __future__ import annotations

import os

import pytest

from sso_sync.errors import UsageError
from sso_sync.github.token_sources import resolve_api_url
from sso_sync.transport import require_safe_transport
from tests.support.netns import probe
from tests.support.world import World

CANARY = "ghp_CANARYambiguousCANARYambiguous0001"
AWS_ENDPOINTS = ("AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_STS")
# Each reads as loopback to one parser and as the peer (or something else) to another; with the
# reason the refusal gives.
AMBIGUOUS = [
    ("http://{peer}\\@127.0.0.1:9", "a backslash"),
    ("http://{peer}\\\\@127.0.0.1:9", "a backslash"),
    ("https://{peer}\\.127.0.0.1:9", "a backslash"),
    ("http://ghp_inuserinfo@127.0.0.1:9", "a user name or password (user-info before '@')"),
    ("http://127.0.0.1:9@{peer}", "a user name or password (user-info before '@')"),
    ("http://127.0.0.1\t:9", "a control character or whitespace"),
    ("http://127.0.0.1\n.{peer}", "a control character or whitespace"),
    ("http://127.0.0.1\x00.{peer}", "a control character or whitespace"),
    ("http://127.0.0.1 .{peer}", "a control character or whitespace"),
    ("http://127.0.0.1\x7f.{peer}", "a control character or whitespace"),
    ("http://127.0.0.1%2f@{peer}", "a user name or password (user-info before '@')"),
    ("http://127.0.0.1%2f.{peer}", "a host that is not a plain name or address"),
    ("http://127.0.0.1\u3002{peer}", "a non-ASCII character"),
]


def _env(world: World, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "GITHUB_"))}
    env.update(GH_TOKEN=CANARY, GITHUB_API_URL=world.sandbox.github_url)
    env.update(overrides)
    return env


@pytest.mark.parametrize("variable", AWS_ENDPOINTS)
def test_a_backslash_in_an_aws_endpoint_sends_nothing_to_the_other_host(
    world: World, variable: str
) -> None:
    cached = world.seed_token(expires_in=120)  # due for refresh: sso-oidc is called too
    env = _env(world, **{variable: "http://{peer}\\@127.0.0.1:9"})
    env.update(AWS_DEFAULT_REGION="eu-west-1")
    command = ["verify"] if variable.endswith("STS") else ["push", "--repo", "o/r", "-p", "ci"]
    if variable.endswith("STS"):
        env.update(AWS_ACCESS_KEY_ID="ASIAEXAMPLE0000000001", AWS_SECRET_ACCESS_KEY=CANARY)
        env["AWS_SESSION_TOKEN"] = cached["accessToken"]
    outcome = probe(command, env)
    assert outcome["received"] == "", "the other host was sent something"
    assert outcome["exit_code"] == 2, outcome
    assert variable in outcome["stderr"] and "Traceback" not in outcome["stderr"]
    assert len(outcome["stderr"].strip().splitlines()) == 1, outcome["stderr"]
    for secret in (CANARY, cached["accessToken"], cached["refreshToken"]):
        assert secret not in outcome["stdout"] + outcome["stderr"]


def test_a_backslash_in_the_github_api_url_sends_nothing(world: World) -> None:
    env = _env(world, GITHUB_API_URL="http://{peer}\\@127.0.0.1:9")
    outcome = probe(["list", "--repo", "o/r"], env)
    assert outcome["received"] == ""
    assert outcome["exit_code"] == 2 and CANARY not in outcome["stderr"], outcome


@pytest.mark.parametrize(("url", "reason"), AMBIGUOUS)
def test_every_endpoint_check_refuses_an_ambiguous_url(url: str, reason: str) -> None:
    url = url.replace("{peer}", "192.0.2.10:80")
    with pytest.raises(UsageError, match="SETTING") as raised:
        require_safe_transport(url, what="sso", setting="SETTING")
    message = str(raised.value)
    assert f"at a URL holding {reason}, which URL parsers read" in message, message
    assert "192.0.2.10" not in message and "ghp_inuserinfo" not in message, message
    with pytest.raises(UsageError):
        resolve_api_url(url, {})


@pytest.mark.parametrize(
    "url",
    [
        "https://api.github.com",
        "https://ghe.example.com:8443/api/v3",
        "http://127.0.0.1:8080/",
        "http://[::1]:9/api",
        "https://portal.sso.eu-west-1.amazonaws.com",
        "https://example.com/a!b~c",  # printable punctuation in a path is no control character
        "https://api.github.com/x?next=http://a@b/y",  # a scheme later on is the query's
        "https://ghe.example.com/api/v3#part@x",
    ],
)
def test_plain_urls_pass(url: str) -> None:
    require_safe_transport(url, what="x", setting="SETTING")


def test_a_backslash_in_a_services_section_endpoint_is_refused(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profile's `services` section names endpoints too; botocore reads it itself."""
    world.seed_token()
    config = world.home / ".aws" / "config"
    port = world.sandbox.github_url.rsplit(":", 1)[1].split("/")[0]
    config.write_text(
        config.read_text().replace("[profile ci]\n", "[profile ci]\nservices = lab\n", 1)
        + f"\n[services lab]\nsso =\n  endpoint_url = http://127.0.0.1:1\\@127.0.0.1:{port}\n"
    )
    for name in AWS_ENDPOINTS:
        monkeypatch.delenv(name, raising=False)
    world.sandbox.clear_requests()
    result = run("push", "--repo", "octo-org/app", "-p", "ci")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "backslash" in result.stderr and "services" in result.stderr
    assert world.sandbox.requests == []
