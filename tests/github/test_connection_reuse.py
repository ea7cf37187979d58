"""A push's GitHub requests reuse open connections: the key fetches' workers hand theirs on to
the writes' workers (github/rest.py lends idle requesters), so a push opens at most one
connection per request in flight (`--concurrency`), not one per worker thread of each phase.
On GitHub each connection saved is a TLS handshake saved. And a connection the server ends
(quietly, saying so, or as a request arrives: Sandbox.close_connections_after) costs no write
sent twice and no wrong report."""

from __future__ import annotations

import json

import pytest

from sso_sync import clients
from sso_sync.errors import GitHubError
from sso_sync.github.rest import GitHubApi
from sso_sync.github.retry import RetryPolicy
from sso_sync.sandbox import SandboxConfig
from tests.support.world import NAMES, World, issued_as_secrets

REPOS = [f"octo-org/app-{i}" for i in range(5)]


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0, repos={r: [] for r in REPOS})


@pytest.mark.parametrize("concurrency", [3, 8])
def test_a_push_opens_no_more_github_connections_than_requests_in_flight(
    world: World, run, concurrency: int
) -> None:
    world.seed_token()
    world.sandbox.clear_requests()
    targets = [arg for repo in REPOS for arg in ("--repo", repo)]
    result = run("push", *targets, "--profile", "ci", "--concurrency", str(concurrency))
    assert result.exit_code == 0, result.stderr
    github = [r for r in world.sandbox.requests if r.service == "github"]
    assert len(github) == len(REPOS) * (1 + len(NAMES))
    # 5 key fetches, then 20 writes, with `concurrency` in flight at most: one thread per
    # worker per phase would open 5 + 8 (or 3 + 3) connections.
    assert world.sandbox.peak_in_flight("github") <= concurrency
    assert 1 <= world.sandbox.connections("github") <= concurrency


@pytest.mark.parametrize("how", ["idle", "header", "unanswered"])
@pytest.mark.parametrize("answers", [1, 2])
def test_a_connection_the_server_ends_costs_no_write_twice_and_no_wrong_report(
    world: World, run, how: str, answers: int
) -> None:
    """GitHub ends keep-alive connections when it likes: quietly after an answer ("idle"),
    saying so ("header"), or just as the next request arrives, without a byte of answer
    ("unanswered"). A push then opens new connections as it needs them; a write the server
    never handled is sent again once on a fresh connection; none is handled twice, and each
    secret is reported as what happened to it (created, as the server answered)."""
    world.seed_token()
    world.sandbox.clear_requests()
    world.sandbox.close_connections_after("github", answers, how)  # type: ignore[arg-type]
    targets = [arg for repo in REPOS for arg in ("--repo", repo)]
    result = run("push", *targets, "--profile", "ci", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    outcomes = [s["outcome"] for t in report["targets"] for s in t["secrets"]]
    assert outcomes == ["created"] * len(REPOS) * len(NAMES)
    for repo in REPOS:
        stored = world.sandbox.secrets(f"repos/{repo}/actions")
        assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)
    puts = [r for r in world.sandbox.requests if r.service == "github" and r.method == "PUT"]
    handled = [r.path for r in puts if r.status != 0]
    assert sorted(handled) == sorted(set(handled))  # no write handled twice
    assert len(handled) == len(REPOS) * len(NAMES)
    assert {r.status for r in puts if r.status != 0} == {201}
    if how == "unanswered":
        assert any(r.status == 0 for r in world.sandbox.requests)  # the case was made
    assert world.sandbox.connections("github") > 1


def test_a_request_its_kept_alive_connection_dropped_unanswered_is_sent_again_once_at_once(
    world: World,
) -> None:
    """Without any retry left to spend (one attempt), a request whose connection the server
    ended before answering is still sent again, once, on a new connection; a second such end
    in a row is an error like any other."""
    sandbox = world.sandbox
    api = GitHubApi(
        requester=clients.github_requester(sandbox.github_token, sandbox.github_url),
        policy=RetryPolicy(attempts=1),
        timeout=30,
    )
    key = "/repos/octo-org/app-0/actions/secrets/public-key"
    try:
        sandbox.close_connections_after("github", 1, "unanswered")
        assert api.request("GET", key).status == 200
        sandbox.clear_requests()
        assert api.request("GET", key).status == 200  # its connection was ended unanswered
        assert [r.status for r in sandbox.requests] == [0, 200]
        sandbox.close_connections_after("github", 0, "unanswered")  # every request dropped
        with pytest.raises(GitHubError, match="cannot reach GitHub"):
            api.request("GET", key)
    finally:
        api.close()


def test_a_post_its_connection_dropped_unanswered_is_not_sent_again_at_once(world: World) -> None:
    """A POST is not idempotent (the server may have opened the issue and then dropped the
    connection): no resend at once; with one attempt, an error that says GitHub was not
    reached, and the sandbox saw the POST once."""
    sandbox = world.sandbox
    api = GitHubApi(
        requester=clients.github_requester(sandbox.github_token, sandbox.github_url),
        policy=RetryPolicy(attempts=1),
        timeout=30,
    )
    try:
        sandbox.close_connections_after("github", 1, "unanswered")
        api.request("GET", "/repos/octo-org/app-0/actions/secrets/public-key")
        sandbox.clear_requests()
        with pytest.raises(GitHubError, match="cannot reach GitHub"):
            api.request("POST", "/repos/octo-org/app-0/issues", {"title": "t", "body": "b"})
        assert [(r.method, r.status) for r in sandbox.requests] == [("POST", 0)]
    finally:
        api.close()
