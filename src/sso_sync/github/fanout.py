"""Running one piece of GitHub work per target on a bounded pool of threads.

The work function reports its own per-target failures in its result; anything it raises ends
the whole run (a bad token fails every target alike, so we stop and say it once). The pool
cancels the requests other workers have not sent yet, waits for those in flight, and raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")

# GitHub's documented ceiling on concurrent requests per token.
MAX_CONCURRENCY = 100
DEFAULT_CONCURRENCY = 8


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def for_each(
    items: Sequence[T],
    work: Callable[[T], R],
    *,
    concurrency: int,
    api: Cancellable,
    on_done: Callable[[T, R], None] | None = None,
) -> list[R]:
    """`work(item)` for every item, at most `concurrency` at a time; results in item order."""
    # Here rather than at the top: the CLI imports this module's constants for `--help`.
    from concurrent.futures import ThreadPoolExecutor, as_completed

    if not items:
        return []
    results: dict[int, R] = {}
    fatal: BaseException | None = None
    workers = max(1, min(concurrency, MAX_CONCURRENCY, len(items)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sso-sync") as pool:
        futures: dict[Future[R], int] = {pool.submit(work, item): i for i, item in enumerate(items)}
        try:
            for future in as_completed(futures):
                index = futures[future]
                try:
                    result = future.result()
                except BaseException as exc:
                    if fatal is None:
                        fatal = exc
                        api.cancel()
                    continue
                results[index] = result
                if on_done is not None and fatal is None:
                    on_done(items[index], result)
        except BaseException:  # Ctrl-C in the main thread: stop sending, then let it through
            # and cut what is in flight (when the client can), so the pool's wait is short.
            abort = getattr(api, "abort", None)
            (abort if callable(abort) else api.cancel)()
            raise
    if fatal is not None:
        raise fatal
    return [results[i] for i in range(len(items))]
