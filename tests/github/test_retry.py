"""When a GitHub answer is retried and how long the wait is: the rules themselves, in process
(the end-to-end behaviour is in test_shared_waits.py and test_targets.py)."""

from __future__ import annotations

import random

import pytest

from sso_sync.github.retry import (
    RETRYABLE_STATUSES,
    RetryPolicy,
    backoff,
    is_rate_limited,
    server_delay,
    should_retry,
)


def test_the_default_policy() -> None:
    assert RetryPolicy() == RetryPolicy(attempts=6, base_delay=0.5, max_delay=60.0)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_are_retried(status: int) -> None:
    assert status in RETRYABLE_STATUSES
    assert should_retry(status, {})


@pytest.mark.parametrize("status", [200, 201, 204, 400, 401, 403, 404, 409, 422, 501, 505])
def test_other_answers_are_not(status: int) -> None:
    assert not should_retry(status, {})


@pytest.mark.parametrize(
    ("status", "headers", "message", "limited"),
    [
        (429, {}, "", True),
        (403, {"retry-after": "60"}, "", True),
        (403, {"x-ratelimit-remaining": "0"}, "", True),
        (403, {"x-ratelimit-remaining": "1"}, "", False),
        (403, {}, "You have exceeded a secondary rate limit.", True),
        (403, {}, "API RATE LIMIT exceeded for user", True),
        (403, {}, "Resource not accessible by personal access token", False),
        (403, {}, "", False),
        (404, {"retry-after": "60"}, "rate limit", False),
        (500, {"x-ratelimit-remaining": "0"}, "", False),
    ],
)
def test_a_rate_limit_is_told_apart_from_a_refusal(
    status: int, headers: dict[str, str], message: str, limited: bool
) -> None:
    assert is_rate_limited(status, headers, message) is limited
    assert should_retry(status, headers, message) is (limited or status in RETRYABLE_STATUSES)


def test_a_403_without_a_message_is_not_a_rate_limit_by_default() -> None:
    assert is_rate_limited(403, {}) is False


class Bounds:
    """An rng that returns the bounds it was asked for."""

    def uniform(self, low: float, high: float) -> tuple[float, float]:
        return (low, high)


@pytest.mark.parametrize(
    ("attempt", "bounds"),
    [(0, (0.25, 0.5)), (1, (0.5, 1.0)), (3, (2.0, 4.0)), (7, (30.0, 60.0)), (12, (30.0, 60.0))],
)
def test_backoff_is_full_jitter_in_the_upper_half_doubling_up_to_the_cap(
    attempt: int, bounds: tuple[float, float]
) -> None:
    assert backoff(attempt, RetryPolicy(), Bounds()) == bounds  # type: ignore[arg-type]


def test_backoff_follows_the_policy_and_draws_from_the_module_rng_by_default() -> None:
    policy = RetryPolicy(base_delay=2.0, max_delay=5.0)
    assert backoff(1, policy, Bounds()) == (2.0, 4.0)  # type: ignore[arg-type]
    assert backoff(4, policy, Bounds()) == (2.5, 5.0)  # type: ignore[arg-type]
    random.seed(7)
    drawn = [backoff(2, RetryPolicy()) for _ in range(50)]
    assert all(1.0 <= d <= 2.0 for d in drawn)
    assert len(set(drawn)) > 1


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"retry-after": "5"}, 5.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "soon"}, None),
        # Retry-After wins over the reset
        ({"retry-after": "2", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}, 2.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}, 30.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030.5"}, 30.5),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "990"}, 0.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "later"}, None),
        ({"x-ratelimit-remaining": "0"}, None),
        ({"x-ratelimit-remaining": "1", "x-ratelimit-reset": "1030"}, None),
        ({"x-ratelimit-reset": "1030"}, None),
        ({}, None),
    ],
)
def test_the_wait_the_server_asked_for(headers: dict[str, str], delay: float | None) -> None:
    assert server_delay(headers, 1000.0) == delay
