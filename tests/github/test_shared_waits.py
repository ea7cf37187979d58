"""Waits GitHub asks for are shared by every worker, and `--concurrency` is a real cap: both seen
from the sandbox's side (when each request arrived, how many were in flight at once)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sso_sync import clients
from sso_sync.github.fanout import for_each
from sso_sync.github.pacing import Pacer, PacingPolicy
from sso_sync.github.rest import GitHubApi
from sso_sync.sandbox import Sandbox, SandboxConfig
from sso_sync.sandbox.config import RequestRecord
from tests.support.world import World

KEY = "/repos/octo-org/app/actions/secrets/public-key"
TOLD = "/repos/octo-org/app/actions/variables"  # the one request GitHub answers with a wait
WORKERS = 4


@pytest.fixture
def github() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def unpaced_api(sandbox: Sandbox) -> GitHubApi:
    """The real client, with a bucket too large to matter: only GitHub's own waits remain."""
    return GitHubApi(
        requester_factory=lambda: clients.github_requester(
            sandbox.github_token, sandbox.github_url
        ),
        pacer=Pacer(PacingPolicy(burst_points=1e9, points_per_second=1e9)),
    )


def many_workers_meet_one_wait(sandbox: Sandbox) -> tuple[RequestRecord, list[RequestRecord]]:
    """200 GETs on 4 workers; the 41st is the one told to wait. Returns that answer's record
    and every later request's record."""
    sandbox.set_latency(0.005)  # every worker has a request in flight most of the time
    api = unpaced_api(sandbox)
    items = list(range(200))
    try:
        for_each(
            items,
            lambda i: api.request("GET", TOLD if i == 40 else KEY),
            concurrency=WORKERS,
            api=api,
        )
    finally:
        api.close()
    records = sorted(sandbox.requests, key=lambda r: r.started)
    told = next(r for r in records if r.path == TOLD)
    return told, [r for r in records if r.started > told.started]


def assert_everyone_waited(told: RequestRecord, later: list[RequestRecord], wait: float) -> None:
    # Until the told worker has read the answer (a few ms; on a loaded machine more) the others
    # go on; after that, a request a worker had already cleared to send may still arrive, one
    # per other worker at most; nothing else until the wait is over. Without the shared pause
    # the other three workers go on at full speed and send everything in that time.
    settled = told.started + 0.2
    during = [r for r in later if settled < r.started < told.started + wait - 0.05]
    assert len(during) <= WORKERS - 1, [round(r.started - told.started, 3) for r in during]
    after = [r for r in later if r.started >= told.started + wait - 0.05]
    assert len(after) >= 150  # the rest went out after the wait


def test_one_retry_after_pauses_every_worker(github: Sandbox) -> None:
    github.inject_fault("github", "GET", "/variables$", 429, headers={"Retry-After": "1"})
    told, later = many_workers_meet_one_wait(github)
    assert told.status == 429
    assert_everyone_waited(told, later, 1.0)
    retry = next(r for r in later if r.path == TOLD)
    assert retry.started >= told.started + 1.0 - 0.05
    assert len(sandbox_requests := github.requests) == 201, len(sandbox_requests)  # all, + retry


def test_a_spent_primary_limit_pauses_every_worker_until_its_reset(github: Sandbox) -> None:
    # A success that says the hourly quota is used up: nobody sends until the reset.
    reset = int(time.time()) + 2
    github.inject_fault(
        "github",
        "GET",
        "/variables$",
        200,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        body={"total_count": 0, "variables": []},
    )
    told, later = many_workers_meet_one_wait(github)
    assert told.status == 200
    wait = reset - time.time() + (time.monotonic() - told.started)  # the reset, on our clock
    assert_everyone_waited(told, later, max(wait, 0.5))
    assert [r.path for r in later].count(TOLD) == 0  # a success is not sent again


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_403_with_the_primary_limit_spent_is_retried_after_the_reset(github: Sandbox) -> None:
    """No Retry-After and no "rate limit" in the message: only `x-ratelimit-remaining: 0` says
    this 403 is throttling, to be waited out, not a permission problem to report."""
    t = FakeTime()
    api = GitHubApi(
        requester_factory=lambda: clients.github_requester(github.github_token, github.github_url),
        clock=t.clock,
        sleep=t.sleep,
        wall_clock=lambda: 1_000_000.0 + t.now,
    )
    github.inject_fault(
        "github",
        "GET",
        "/public-key$",
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000030"},
        body={"message": "Forbidden"},
    )
    response = api.request("GET", KEY)
    api.close()
    assert response.status == 200
    assert t.slept == [pytest.approx(30.0)]
    assert [r.status for r in github.requests] == [403, 200]


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0, repos={f"octo-org/r{i}": [] for i in range(12)})


@pytest.mark.parametrize("cap", [1, 3])
def test_concurrency_caps_the_requests_github_sees_at_once(world: World, run, cap: int) -> None:
    world.seed_token()
    world.sandbox.set_latency(0.05)  # long enough for every allowed worker to overlap
    repos = [arg for i in range(12) for arg in ("--repo", f"octo-org/r{i}")]
    result = run("push", *repos, "--profile", "ci", "--concurrency", str(cap))
    assert result.exit_code == 0, result.stderr
    assert world.sandbox.peak_in_flight("github") <= cap
    assert len([r for r in world.sandbox.requests if r.method == "PUT"]) == 48


def test_without_a_cap_github_sees_more_than_three_at_once(world: World, run) -> None:
    # The counter itself can tell: the default (8) overlaps more than the caps above allow.
    # (A slow answer keeps requests in flight long enough to overlap on a loaded machine too.)
    world.seed_token()
    world.sandbox.set_latency(0.2)
    repos = [arg for i in range(12) for arg in ("--repo", f"octo-org/r{i}")]
    result = run("push", *repos, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert world.sandbox.peak_in_flight("github") > 3
