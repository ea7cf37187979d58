"""Targets' public keys: fetched once per secret store, in the background while IAM Identity
Center issues the credentials, and checked to be a Curve25519 key before any sealing."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from sso_sync.errors import GitHubError
from sso_sync.github.fanout import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from sso_sync.github.rest import GitHubApi, expect_status

if TYPE_CHECKING:
    from sso_sync.github.plan import PushPlan
    from sso_sync.github.targets import Target


class PublicKeys:
    """One public-key fetch per secret store, even when two sets share a target.

    A failed fetch is remembered too, so the target's other secrets do not ask again.
    """

    def __init__(self, api: GitHubApi) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[threading.Lock, list[Mapping[str, Any] | GitHubError]]] = {}

    def get(self, target: Target) -> Mapping[str, Any]:
        with self._lock:
            lock, box = self._entries.setdefault(target.address, (threading.Lock(), []))
        with lock:
            if not box:
                box.append(self._fetch(target))
            entry = box[0]
        if isinstance(entry, GitHubError):
            raise entry
        return entry

    def _fetch(self, target: Target) -> Mapping[str, Any] | GitHubError:
        what = f"{target.label}: fetching the public key"
        try:
            response = self._api.request("GET", f"{target.secrets_path}/public-key")
            expect_status(response, what, (200,), not_found=target.not_found_hint)
            return _checked_public_key(response.data, what)
        except GitHubError as exc:
            return exc


class KeyFetches:
    """A push's public-key fetches, and other reads made beside them, on one pool of at most
    `concurrency` workers. A push where every target is due starts them as it starts, before
    the locks and the state file (reads change nothing); the plan adds what it needs
    (`prefetched_keys`), each target's key asked for once."""

    def __init__(self, api: GitHubApi, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.keys = PublicKeys(api)
        workers = max(1, min(concurrency, MAX_CONCURRENCY))
        # Threads are started as work comes, up to `workers`: a 1-target push starts one.
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sso-sync-keys")
        self._asked: set[str] = set()
        self._futures: list[Future[None]] = []

    def fetch(self, targets: Iterable[Target]) -> None:
        """Ask for each target's key, unless asked for already."""
        for target in targets:
            if target.address not in self._asked:
                self._asked.add(target.address)
                self._futures.append(self._pool.submit(_fetch_quietly, self.keys, target))

    def also(self, work: Callable[[], None]) -> None:
        self._futures.append(self._pool.submit(work))

    def wait(self) -> None:
        """Until every read asked for so far has ended."""
        futures_wait(self._futures)

    def done(self) -> bool:
        """Whether every read asked for so far has ended."""
        return all(f.done() for f in self._futures)

    def close(self, *, cancel: bool = False) -> None:
        """Wait for the reads in flight; with `cancel`, drop those not started."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)


@contextmanager
def prefetched_keys(
    api: GitHubApi,
    plan: PushPlan,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    also: Sequence[Callable[[], None]] = (),
    started: KeyFetches | None = None,
) -> Iterator[PublicKeys]:
    """Fetch every target's public key in the background while the caller does something
    else (getting the role credentials), so those round trips overlap; `started`: the fetches
    the push began as it started, which this adds to (and leaves open). `also`: more reads to
    make on the same pool (within --concurrency), each keeping its own failures. The block's
    end waits for the reads still queued: dropped, each key was fetched later by the first
    write that needed it while its target's other writes held their workers waiting, which
    cost a 20-repository push two extra rounds. On an error they are dropped, so their owner
    must be able to make them later."""
    fetches = started or KeyFetches(api, concurrency)
    fetches.fetch(tp.target for tp in plan.targets)
    for work in also:
        fetches.also(work)
    try:
        yield fetches.keys
    except BaseException:
        # Ctrl-C or a failed sign-in ends the run: a fetch waiting out a Retry-After must
        # not hold the exit up for it. Fetches the caller started are the caller's to close.
        api.cancel()
        if started is None:
            fetches.close(cancel=True)
        raise
    fetches.wait()
    if started is None:
        fetches.close()


def _fetch_quietly(keys: PublicKeys, target: Target) -> None:
    # Failures are kept in `keys` and reported by the write that needs the key.
    with suppress(GitHubError):
        keys.get(target)


def _checked_public_key(data: Any, what: str) -> Mapping[str, Any]:
    """GitHub's `{key_id, key}`, with `key` a 32-byte Curve25519 key in base64: anything else
    would fail inside the sealing as an unexplained error."""
    import binascii

    key = data.get("key") if isinstance(data, dict) else None
    try:
        valid = (
            isinstance(data, dict)
            and bool(data.get("key_id"))
            and isinstance(key, str)
            and len(base64.b64decode(key, validate=True)) == 32
        )
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise GitHubError(f"{what}: GitHub's answer is not a public key: check --api-url")
    return dict(data)
