"""The token bucket and the shared pause, on a fake clock; the 48 KB check before any write."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sso_sync import clients
from sso_sync.errors import UsageError
from sso_sync.github.pacing import Pacer, PacingPolicy, request_points
from sso_sync.github.plan import plan_push
from sso_sync.github.push import apply_push
from sso_sync.github.rest import GitHubApi
from sso_sync.github.targets import Target
from sso_sync.sandbox import Sandbox


class FakeTime:
    """A clock that moves only when slept on, unless `tick` makes every reading advance a little
    (as a real clock does between two requests, so that nothing can wait on a frozen clock)."""

    def __init__(self, tick: float = 0.0) -> None:
        self.now = 0.0
        self.tick = tick
        self.slept: list[float] = []

    def clock(self) -> float:
        self.now += self.tick
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


def busiest_minute(spent: list[tuple[float, int]]) -> int:
    """The most points spent in any 60-second window (each window starts at a request)."""
    spent = sorted(spent)
    busiest = total = end = 0
    for start, points in spent:  # a window [start, start + 60), slid over the sorted requests
        while end < len(spent) and spent[end][0] < start + 60:
            total += spent[end][1]
            end += 1
        busiest = max(busiest, total)
        total -= points
    return busiest


def paced(methods: list[str], t: FakeTime, pacer: Pacer) -> list[tuple[float, int]]:
    spent = []
    for method in methods:
        assert pacer.acquire(request_points(method), None) is None
        spent.append((t.now, request_points(method)))
    return spent


@settings(deadline=None, max_examples=60)  # hundreds of requests each: not a timing test
@given(
    writes=st.integers(min_value=91, max_value=400),
    reads=st.integers(min_value=0, max_value=300),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_no_sixty_second_window_ever_exceeds_900_points(writes: int, reads: int, seed: int) -> None:
    # The production policy, and always more than the 450-point burst: 91 writes or more.
    methods = ["PUT"] * writes + ["GET"] * reads
    random.Random(seed).shuffle(methods)
    t = FakeTime(tick=0.001)
    spent = paced(methods, t, Pacer(clock=t.clock, sleep=t.sleep))
    assert busiest_minute(spent) <= 900


def test_the_production_policy_spends_its_burst_at_once_then_7_5_points_a_second() -> None:
    assert PacingPolicy() == PacingPolicy(burst_points=450.0, points_per_second=7.5)
    t = FakeTime(tick=0.0001)
    spent = paced(["PUT"] * 300, t, Pacer(clock=t.clock, sleep=t.sleep))
    times = [when for when, _ in spent]
    assert times[89] < 0.1  # 90 writes (450 points) without a wait
    # then one write every 5 / 7.5 s: no faster (the limit) and no slower (no needless waits)
    assert times[90] == pytest.approx(times[89] + 5 / 7.5, abs=0.05)
    assert times[299] == pytest.approx(210 * 5 / 7.5, abs=0.5)
    # the first minute, burst included, is right at the documented 900 points
    assert 895 <= busiest_minute(spent) <= 900


def test_pause_holds_everyone_and_the_deadline_is_reported_not_slept() -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    pacer.pause_until(30.0, "a test pause")
    assert pacer.acquire(1, deadline=10.0) == pytest.approx(30.0)
    assert t.slept == []
    assert pacer.acquire(1, deadline=None) is None
    assert t.now == pytest.approx(30.0)


def test_the_github_client_paces_every_request_with_the_production_policy() -> None:
    """Through `GitHubApi` itself, against the sandbox: 120 PUTs (600 points) pass the burst, so
    the last 30 must wait 20 s of (fake) time between them; none may go before its turn."""
    t = FakeTime(tick=0.0001)
    sent: list[float] = []

    class Timed:  # PyGithub's requester, noting when (on the fake clock) each request goes out
        def __init__(self, requester) -> None:
            self.requester = requester

        def requestJson(self, *args, **kwargs):
            sent.append(t.now)
            return self.requester.requestJson(*args, **kwargs)

    with Sandbox() as sandbox:
        api = GitHubApi(
            requester_factory=lambda: Timed(
                clients.github_requester(sandbox.github_token, sandbox.github_url)
            ),
            clock=t.clock,
            sleep=t.sleep,
        )
        for i in range(120):
            response = api.request(
                "PUT", f"/repos/octo-org/app/actions/variables/V{i}", {"name": f"V{i}"}
            )
            assert response.status < 500
        api.close()
        assert len([r for r in sandbox.requests if r.method == "PUT"]) == 120
    assert sent[89] < 0.1
    assert sent[90] >= 5 / 7.5 - 0.05  # the 91st write waits for 5 points at 7.5 a second
    assert sent[-1] == pytest.approx(30 * 5 / 7.5, abs=0.5)
    assert busiest_minute([(when, 5) for when in sent]) <= 900


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


def test_the_busiest_minute_is_counted_right() -> None:
    assert busiest_minute([(0.0, 5), (59.9, 5), (60.0, 1)]) == 10
    assert busiest_minute([(0.0, 5), (30.0, 5), (61.0, 5), (89.0, 5)]) == 15
    assert busiest_minute([(10.0, 1), (0.0, 5), (69.0, 5)]) == 6


@pytest.mark.parametrize(
    ("method", "points"),
    [
        *[("GET", 1), ("get", 1), ("HEAD", 1), ("OPTIONS", 1)],
        *[("PUT", 5), ("POST", 5), ("PATCH", 5), ("DELETE", 5), ("put", 5)],
    ],
)
def test_a_read_costs_1_point_and_a_write_5(method: str, points: int) -> None:
    assert request_points(method) == points


def test_exactly_the_points_left_go_without_a_wait_and_one_more_waits_for_the_refill() -> None:
    t = FakeTime()
    pacer = Pacer(PacingPolicy(burst_points=10, points_per_second=2), clock=t.clock, sleep=t.sleep)
    assert pacer.acquire(10, None) is None
    assert t.slept == []
    assert pacer.acquire(3, None) is None
    assert t.slept == [pytest.approx(1.5)]  # 3 points at 2 a second
    t.now += 100  # a long idle time refills to the burst, never beyond it
    for _ in range(2):
        assert pacer.acquire(5, None) is None
    assert len(t.slept) == 1
    assert pacer.acquire(1, deadline=t.now + 0.4) == pytest.approx(0.5)


def test_a_wait_ending_exactly_at_the_deadline_is_still_taken() -> None:
    t = FakeTime()
    pacer = Pacer(PacingPolicy(burst_points=5, points_per_second=1), clock=t.clock, sleep=t.sleep)
    pacer.acquire(5, None)
    assert pacer.acquire(2, deadline=2.0) is None
    assert t.now == pytest.approx(2.0)
    pacer.pause_until(10.0, "a test pause")
    assert pacer.acquire(1, deadline=9.0) == pytest.approx(8.0)


def test_a_shorter_pause_never_shortens_a_longer_one() -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    pacer.pause_until(30.0, "a test pause")
    pacer.pause_until(10.0, "a test pause")
    assert pacer.acquire(1, None) is None
    assert t.now == pytest.approx(30.0)
    assert t.slept == [pytest.approx(30.0)]


def test_a_long_pause_is_told_once_whichever_workers_it_holds() -> None:
    t = FakeTime()
    told: list[str] = []
    others: list[float | None] = []

    def arrive_while_paused(seconds: float) -> None:
        if not others:  # a second worker arrives while the first sleeps through the pause
            others.append(-1.0)
            others[0] = pacer.acquire(1, None, told.append)
        t.sleep(seconds)

    pacer = Pacer(clock=t.clock, sleep=arrive_while_paused)

    pacer.pause_until(8.0, "GitHub's rate limit for this token is used up")
    assert pacer.acquire(1, None, told.append) is None
    assert others == [None]
    assert told == [
        "GitHub's rate limit for this token is used up: waiting 8 s before sending more"
    ]

    # One its asker has told already, one of 2 s or less, one past the deadline: not told.
    pacer.pause_until(t.now + 10, "GitHub answered 429 and asked to wait", told=True)
    pacer.acquire(1, None, told.append)
    pacer.pause_until(t.now + 2, "a short pause")
    pacer.acquire(1, None, told.append)
    pacer.pause_until(t.now + 10, "a pause past the deadline")
    assert pacer.acquire(1, t.now + 5, told.append) == pytest.approx(10.0)
    assert len(told) == 1
