"""The token bucket and the shared pause, on a fake clock; the 48 KB check before any write."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sso_sync import clients
from sso_sync.errors import UsageError
from sso_sync.github.pacing import Pacer, PacingPolicy, request_points
from sso_sync.github.push import apply_push, plan_push
from sso_sync.github.rest import GitHubApi
from sso_sync.github.targets import Target
from sso_sync.sandbox import Sandbox


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_small_push_goes_at_once_and_a_large_one_is_paced() -> None:
    t = FakeTime()
    pacer = Pacer(
        PacingPolicy(burst_points=450, points_per_second=7.5), clock=t.clock, sleep=t.sleep
    )
    for _ in range(20):  # 20 targets x (1 key fetch + 4 writes) = 420 points
        assert pacer.acquire(request_points("GET"), None) is None
        for _ in range(4):
            assert pacer.acquire(request_points("PUT"), None) is None
    assert t.slept == []
    for _ in range(10):
        pacer.acquire(request_points("PUT"), None)
    assert t.now == pytest.approx((10 * 5 - 30) / 7.5)


@given(st.lists(st.sampled_from(["GET", "PUT", "DELETE"]), min_size=1, max_size=600))
def test_no_sixty_second_window_ever_exceeds_900_points(methods: list[str]) -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    spent: list[tuple[float, int]] = []
    for method in methods:
        pacer.acquire(request_points(method), None)
        spent.append((t.now, request_points(method)))
    for start, _ in spent:
        window = sum(p for when, p in spent if start <= when < start + 60)
        assert window <= 900


def test_pause_holds_everyone_and_the_deadline_is_reported_not_slept() -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    pacer.pause_until(30.0)
    assert pacer.acquire(1, deadline=10.0) == pytest.approx(30.0)
    assert t.slept == []
    assert pacer.acquire(1, deadline=None) is None
    assert t.now == pytest.approx(30.0)


def test_a_value_over_48_kb_is_refused_before_any_request() -> None:
    with Sandbox() as sandbox:
        api = GitHubApi(
            requester_factory=lambda: clients.github_requester(
                sandbox.github_token, sandbox.github_url
            )
        )
        plan = plan_push([Target("repo", "octo-org", "app")])
        big = dict.fromkeys(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "x")
        big |= {"AWS_SESSION_TOKEN": "x" * (48 * 1024 + 1), "AWS_CREDENTIAL_EXPIRATION": "x"}
        with pytest.raises(UsageError, match="AWS_SESSION_TOKEN is 49153 bytes, over"):
            apply_push(api, plan, big)
        assert sandbox.requests == []
