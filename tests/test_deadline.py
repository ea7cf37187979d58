"""The deadline object: arithmetic on an injected clock, and the watchdog that cuts sockets."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from sso_sync.deadline import Deadline, soonest
from sso_sync.errors import DeadlineReached
from tests.support.hostile import HostilePeer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_remaining_cap_check_and_extend_follow_the_injected_clock() -> None:
    clock = FakeClock()
    deadline = Deadline(10, clock=clock)
    assert deadline.remaining() == 10
    assert deadline.cap(30) == 10 and deadline.cap(4) == 4
    clock.now += 9.5
    assert deadline.cap(30) == pytest.approx(0.5)
    deadline.check("GET /x")  # not yet
    clock.now += 1
    assert deadline.expired and deadline.cap(30, floor=1) == 1
    with pytest.raises(DeadlineReached, match=r"GET /x: the --timeout deadline \(10 s\)") as exc:
        deadline.check("GET /x")
    assert exc.value.sent is False
    deadline.extend(5)
    assert deadline.remaining() == pytest.approx(4.5)


def test_no_deadline_never_expires_and_abort_ends_any() -> None:
    deadline = Deadline(None)
    assert deadline.remaining() == float("inf") and not deadline.expired
    deadline.abort()
    assert deadline.expired and deadline.aborted
    assert "the run was stopped" in str(deadline.reached("PUT /s", sent=False))


def _connected_to(peer: HostilePeer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", peer.port), timeout=12)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock


@pytest.mark.parametrize("kind", ["stall", "drip"])
def test_the_watchdog_cuts_a_read_that_per_read_timeouts_never_end(kind: str) -> None:
    """A 60 s per-read timeout and a peer that stalls, or sends a byte every 0.2 s: only the
    watchdog ends the read, at the deadline."""
    with HostilePeer(kind, interval=0.2) as peer, Deadline(1.0).guard():
        sock = _connected_to(peer)
        started = time.monotonic()
        with sock:
            while sock.recv(1024) and time.monotonic() - started < 10:
                pass
        assert time.monotonic() - started < 6


def test_after_the_deadline_no_new_connection_is_opened() -> None:
    with HostilePeer("stall") as peer, Deadline(0.2).guard():
        time.sleep(0.4)
        with pytest.raises(DeadlineReached, match="connecting"):
            socket.create_connection(("127.0.0.1", peer.port), timeout=5)


def test_the_watchdog_follows_an_injected_clock() -> None:
    clock = FakeClock()
    with HostilePeer("stall") as peer, Deadline(100, clock=clock).guard() as deadline:
        sock = _connected_to(peer)
        ended = threading.Event()

        def read() -> None:
            with sock:
                sock.recv(1024)
            ended.set()

        threading.Thread(target=read, daemon=True).start()
        assert not ended.wait(0.6)  # the real clock moves; the deadline's does not
        clock.now += 101
        assert ended.wait(5)
        assert deadline.expired


def test_abort_cuts_reads_in_flight_at_once() -> None:
    with HostilePeer("stall") as peer, Deadline(600).guard() as deadline:
        sock = _connected_to(peer)
        threading.Timer(0.3, deadline.abort).start()
        started = time.monotonic()
        with sock:
            sock.recv(1024)
        assert time.monotonic() - started < 5


def test_a_socket_opened_outside_a_guard_is_left_alone() -> None:
    with HostilePeer("drip", interval=0.1) as peer:
        sock = _connected_to(peer)
        with sock, Deadline(0.1).guard():
            time.sleep(0.5)
            assert sock.recv(64)  # still dripping: not ours to cut


def test_soonest_is_the_nearest_guarded_deadline() -> None:
    outer = Deadline(60)
    assert soonest(outer) is outer
    with Deadline(5).guard() as inner:
        assert soonest(outer) is inner


def test_a_guard_of_its_own_thread_leaves_other_threads_sockets_alone() -> None:
    """A token refresh's deadline (`this_thread`) in a background thread: once it passes, the
    thread's own connections fail, while another thread's connection and its dripping read go
    on, and that thread's clients are not held to the refresh's deadline."""
    ready, passed, done = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def refresh(port: int) -> None:
        with Deadline(0.2, what="token refresh").guard(this_thread=True) as deadline:
            seen["governs the refresh"] = soonest(Deadline(60)) is deadline
            ready.set()
            time.sleep(0.5)
            passed.set()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            except DeadlineReached:
                seen["refresh connect"] = "refused"
            done.wait(10)

    with HostilePeer("drip", interval=0.1) as peer:
        worker = threading.Thread(target=refresh, args=(peer.port,), daemon=True)
        worker.start()
        assert ready.wait(5)
        outer = Deadline(60)
        assert soonest(outer) is outer  # not this thread's refresh
        sock = _connected_to(peer)  # opened while the refresh's guard is active
        assert passed.wait(5)
        time.sleep(0.5)  # the refresh's watchdog has fired by now
        with sock:
            assert sock.recv(64)  # still dripping: not the refresh's to cut
        with socket.create_connection(("127.0.0.1", peer.port), timeout=5):
            pass  # and this thread may still connect
        done.set()
        worker.join(10)
    assert seen == {"governs the refresh": True, "refresh connect": "refused"}
