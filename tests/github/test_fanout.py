"""The worker pool: results in order, the cap, and what a failure or Ctrl-C does."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from sso_sync.github.fanout import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, for_each


class Api:
    def __init__(self) -> None:
        self.cancels = 0

    def cancel(self) -> None:
        self.cancels += 1


def test_no_items_no_work() -> None:
    api = Api()
    assert for_each([], lambda i: 1 / 0, concurrency=4, api=api) == []
    assert api.cancels == 0


def test_results_come_back_in_item_order_whatever_order_they_finish_in() -> None:
    done: list[tuple[int, int]] = []

    def work(i: int) -> int:
        time.sleep(0.01 * (5 - i))  # the last finishes first
        return i * 10

    api = Api()
    result = for_each(
        [0, 1, 2, 3, 4], work, concurrency=5, api=api, on_done=lambda i, r: done.append((i, r))
    )
    assert result == [0, 10, 20, 30, 40]
    assert sorted(done) == [(0, 0), (1, 10), (2, 20), (3, 30), (4, 40)]
    assert api.cancels == 0


def peak_threads(items: int, concurrency: int) -> tuple[int, set[str]]:
    """How many work items ran at once, and on which threads."""
    lock = threading.Lock()
    active = peak = 0
    names: set[str] = set()

    def work(i: int) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            names.add(threading.current_thread().name)
        time.sleep(0.05)
        with lock:
            active -= 1

    for_each(list(range(items)), work, concurrency=concurrency, api=Api())
    return peak, names


@pytest.mark.parametrize("concurrency", [1, 2])
def test_at_most_concurrency_at_once(concurrency: int) -> None:
    peak, names = peak_threads(8, concurrency)
    assert peak <= concurrency
    assert len(names) <= concurrency
    assert all(name.startswith("sso-sync") for name in names)


def test_a_concurrency_below_one_still_runs_everything() -> None:
    assert for_each([1, 2, 3], lambda i: -i, concurrency=0, api=Api()) == [-1, -2, -3]


def test_never_more_than_github_s_ceiling_of_100_threads() -> None:
    """The first 100 items wait for each other (so 100 must run at once); the rest must reuse
    those threads, not start a 101st."""
    assert MAX_CONCURRENCY == 100
    barrier = threading.Barrier(100, timeout=30)
    counter = iter(range(1000))
    lock = threading.Lock()
    names: set[str] = set()

    def work(i: int) -> None:
        with lock:
            n = next(counter)
            names.add(threading.current_thread().name)
        if n < 100:
            barrier.wait()

    for_each(list(range(130)), work, concurrency=1000, api=Api())
    assert len(names) == 100


def test_the_default_is_the_readme_s() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    found = re.search(r"Up to `--concurrency` requests \(default (\d+), at most (\d+)", readme)
    assert found is not None
    assert (int(found[1]), int(found[2])) == (DEFAULT_CONCURRENCY, MAX_CONCURRENCY)


def test_the_first_failure_cancels_once_and_is_raised_and_on_done_stops() -> None:
    api = Api()
    done: list[int] = []
    started = threading.Event()

    def work(i: int) -> int:
        if i in (1, 2):
            started.wait(5)
            raise ValueError(f"item {i}")
        if i == 0:
            started.set()
            return 0
        time.sleep(0.2)  # finishes after the failures
        return i

    with pytest.raises(ValueError, match=r"item [12]"):
        for_each([0, 1, 2, 3], work, concurrency=4, api=api, on_done=lambda i, r: done.append(i))
    assert api.cancels == 1
    assert 3 not in done  # nothing is reported as done once the run has failed


def test_ctrl_c_in_the_main_thread_cancels_and_goes_through() -> None:
    api = Api()

    def interrupted(item: int, result: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        for_each([1, 2], lambda i: i, concurrency=1, api=api, on_done=interrupted)
    assert api.cancels == 1
