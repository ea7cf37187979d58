"""When to retry a GitHub response, and how long to wait: Retry-After first, then the
rate-limit reset, then jittered exponential backoff; never past the caller's deadline."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0


def is_rate_limited(status: int, headers: Mapping[str, str], message: str = "") -> bool:
    """A 403/429 that is GitHub throttling us, as opposed to a permission problem."""
    if status not in (403, 429):
        return False
    if status == 429 or "retry-after" in headers:
        return True
    if headers.get("x-ratelimit-remaining") == "0":
        return True
    return "rate limit" in message.lower()


def should_retry(status: int, headers: Mapping[str, str], message: str = "") -> bool:
    return status in RETRYABLE_STATUSES or is_rate_limited(status, headers, message)


def backoff(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff for attempt 0, 1, 2, ..."""
    ceiling = min(policy.max_delay, policy.base_delay * (2**attempt))
    return (rng or random).uniform(ceiling / 2, ceiling)


def server_delay(headers: Mapping[str, str], now_epoch: float) -> float | None:
    """The wait the server asked for, if it asked."""
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return None
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            return max(0.0, float(headers["x-ratelimit-reset"]) - now_epoch)
        except ValueError:
            return None
    return None
