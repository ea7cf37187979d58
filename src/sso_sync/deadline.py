"""One wall-clock deadline per command (`--timeout`), and the watchdog that enforces it.

A per-request timeout does not bound a run: a peer that sends one byte every two seconds keeps
every socket read alive, and botocore's and PyGithub's retries multiply whatever bound there is.
So each command makes one `Deadline`, and:

- the clients ask it how long they may still wait (`remaining`, `cap`) and whether to go on
  (`check`), before each request and each retry;
- while `guard()` is active, a watchdog thread shuts down every socket the process opened since
  the guard began once the deadline passes (or `abort()` is called, for Ctrl-C), so a read that
  is stalled or dripping returns at once, whichever library started it (botocore's own
  `SSOTokenProvider` makes a client of its own, for instance), and a connection attempted after
  that fails at once. A guard may govern only its own thread's sockets (`this_thread`): a
  token refresh's shorter deadline in one thread leaves the others' requests alone.

Sockets are found through the interpreter's audit events (`socket.__new__`, `socket.connect`,
PEP 578): the only hook every HTTP stack goes through. The hook is installed once per process
(audit hooks cannot be removed) and does nothing unless a guard is active.

`clock` and `wait` are injected so that tests (and `watch`, `doctor`) can drive time themselves.
"""

from __future__ import annotations

import contextlib
import math
import socket
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sso_sync.errors import DeadlineReached

# How often the watchdog looks at the clock at most; it also wakes when the deadline is due.
WATCH_INTERVAL = 0.25


class Deadline:
    """`seconds` from now by `clock` (None: no deadline). Thread-safe."""

    def __init__(
        self,
        seconds: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        what: str = "--timeout",
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._at = math.inf if seconds is None else clock() + seconds
        self.seconds = seconds
        self.what = what
        self._aborted = threading.Event()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        # The thread whose sockets alone it governs while guarded (None: every thread's).
        self._thread: int | None = None

    # --- asking ----------------------------------------------------------------------------

    def remaining(self) -> float:
        """Seconds left (0 once passed or aborted; inf without a deadline)."""
        if self._aborted.is_set():
            return 0.0
        with self._lock:
            return max(0.0, self._at - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    @property
    def aborted(self) -> bool:
        return self._aborted.is_set()

    def cap(self, seconds: float, *, floor: float = 0.1) -> float:
        """`seconds`, or what is left if that is less (never below `floor`, so that a client
        given it as a timeout still fails by itself rather than waiting for ever)."""
        return max(floor, min(seconds, self.remaining()))

    def check(self, doing: str = "") -> None:
        """Raise `DeadlineReached` (not sent) if the deadline has passed."""
        if self.expired:
            raise self.reached(doing, sent=False)

    def reached(self, doing: str = "", *, sent: bool) -> DeadlineReached:
        """The error for work stopped by this deadline; `sent`: the request had gone out."""
        if self.aborted:
            detail = "stopped" if sent else "not sent: the run was stopped"
            return DeadlineReached(f"{doing}: {detail}" if doing else detail, sent=sent)
        when = "while waiting for the answer" if sent else "before it could be sent"
        seconds = f" ({round(self.seconds or 0, 1):g} s)" if self.seconds else ""
        text = f"the {self.what} deadline{seconds} passed {when}: re-run, or raise --timeout"
        return DeadlineReached(f"{doing}: {text}" if doing else text, sent=sent)

    # --- changing --------------------------------------------------------------------------

    def extend(self, seconds: float) -> None:
        """Move the deadline `seconds` later (a sign-in waits for a person, on its own limit)."""
        with self._lock:
            self._at += seconds

    def abort(self) -> None:
        """End it now (Ctrl-C): requests in flight are cut, new ones are not sent."""
        self._aborted.set()
        self._shut_sockets()

    # --- enforcing -------------------------------------------------------------------------

    @contextmanager
    def guard(
        self, *, wait: Callable[[float], bool] | None = None, this_thread: bool = False
    ) -> Iterator[Deadline]:
        """Within this block, sockets the process opens are shut when the deadline passes;
        `this_thread`: only those the calling thread opens (a token refresh's own shorter
        deadline, which must not cut what other threads of the push have in flight)."""
        _install_hook()
        self._thread = threading.get_ident() if this_thread else None
        stop = threading.Event()
        waiter = wait or stop.wait

        def watch() -> None:
            # Keeps watching after it fires: `extend` may move the deadline on (a prompt).
            while not stop.is_set():
                left = self.remaining()
                if left <= 0.0:
                    self._shut_sockets()
                waiter(WATCH_INTERVAL if left <= 0.0 else min(left, WATCH_INTERVAL))

        with _ACTIVE_LOCK:
            _ACTIVE.add(self)
        watchdog = threading.Thread(target=watch, name="sso-sync-deadline", daemon=True)
        watchdog.start()
        try:
            yield self
        finally:
            stop.set()
            with _ACTIVE_LOCK:
                _ACTIVE.discard(self)
            watchdog.join(timeout=1)

    def _adopt(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _shut_sockets(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            # On the raw descriptor: an SSL socket's own shutdown() would drop its state under
            # a thread still reading it. Not connected yet, or closed already: nothing to do.
            with contextlib.suppress(OSError, ValueError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


_ACTIVE: weakref.WeakSet[Deadline] = weakref.WeakSet()
_ACTIVE_LOCK = threading.Lock()
_HOOK_INSTALLED = threading.Event()


def soonest(deadline: Deadline) -> Deadline:
    """`deadline`, or a guarded one governing this thread that ends sooner (a token
    refresh's, inside a command's): what a client's hooks must obey."""
    return min([deadline, *_governing()], key=lambda d: d.remaining())


def _governing() -> list[Deadline]:
    """The guarded deadlines that govern the calling thread's sockets."""
    with _ACTIVE_LOCK:
        active = list(_ACTIVE)
    me = threading.get_ident()
    return [d for d in active if d._thread is None or d._thread == me]


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.__new__":
        if _ACTIVE:
            for deadline in _governing():
                deadline._adopt(args[0])
    elif event == "socket.connect" and _ACTIVE:
        for deadline in _governing():
            if deadline.expired:
                # Raised out of connect(): no retry opens a fresh connection after the end.
                raise deadline.reached("connecting", sent=False)


def _install_hook() -> None:
    with _ACTIVE_LOCK:
        if not _HOOK_INSTALLED.is_set():
            sys.addaudithook(_audit)
            _HOOK_INSTALLED.set()
