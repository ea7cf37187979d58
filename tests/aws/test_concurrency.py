"""Twenty real `sso-sync push` processes find the cached token due for refresh at once: the file
lock around check-refresh-write must leave one CreateToken call and an intact cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sso_sync.aws.token_cache import cached_access_token
from sso_sync.errors import SsoSyncError
from sso_sync.files import locked
from tests.support.signin import core
from tests.support.world import World, assert_no_leak

PROCESSES = 20


# `sso-sync push` with the heavy imports done first and a start line: each process imports what
# it needs, says it is ready, waits for the go file, then runs the real entry point. Without the
# gate, twenty processes importing boto3 on two cores reach the token check seconds apart, the
# first refresh is long done by then, and a missing lock would go unnoticed.
GATED_SSO_SYNC = """
import pathlib, sys, time
import boto3, github, nacl.public, sso_sync.cli
ready, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.005)
sys.argv = ["sso-sync", *sys.argv[3:]]
sso_sync.cli.main()
"""


@pytest.mark.slow
def test_twenty_processes_refresh_a_due_token_once(world: World, tmp_path: Path) -> None:
    seeded = world.seed_token(expires_in=120)  # inside botocore's 15-minute refresh window
    gate = tmp_path / "gate"
    gate.mkdir()
    go = gate / "go"
    env = dict(os.environ)
    push = ["push", "--repo", "octo-org/app", "--profile", "ci", "--json"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", GATED_SSO_SYNC, str(gate / f"ready-{i}"), str(go), *push],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(PROCESSES)
    ]
    deadline = time.monotonic() + 120
    while len(list(gate.glob("ready-*"))) < PROCESSES:
        assert time.monotonic() < deadline, "the processes did not all get ready"
        assert all(p.poll() is None for p in procs), "a process ended before the start line"
        time.sleep(0.05)
    # A slow answer widens the window in which an unlocked process would refresh as well.
    world.sandbox.set_latency(0.3)
    go.touch()
    outputs = [p.communicate(timeout=180) for p in procs]
    world.sandbox.set_latency(0)

    failures = [err for p, (_, err) in zip(procs, outputs, strict=True) if p.returncode != 0]
    assert not failures, failures[0]
    calls = [(r.operation, r.status) for r in world.sandbox.requests if r.service != "github"]
    assert calls.count(("CreateToken", 200)) == 1
    assert sum(1 for op, _ in calls if op == "CreateToken") == 1
    assert calls.count(("GetRoleCredentials", 200)) == PROCESSES
    entry = json.loads(world.token_file("corp").read_text())  # intact: it parses
    assert entry["accessToken"] != seeded["accessToken"]
    assert entry["refreshToken"] != seeded["refreshToken"]
    assert set(entry) == set(seeded)
    assert [p.name for p in world.sso_cache.iterdir() if p.name.endswith(".tmp")] == []
    secrets = world.secret_values() | {seeded["accessToken"], seeded["refreshToken"]}
    for out, err in outputs:
        assert_no_leak(out + err, secrets)


def test_twenty_threads_past_the_check_together_make_one_refresh(world: World) -> None:
    """The same, made deterministic: all twenty pass the expiry check within milliseconds of
    each other and the refresh call is slow, so without the lock every one would refresh."""
    seeded = world.seed_token(expires_in=120)
    world.sandbox.set_latency(0.2)
    barrier = threading.Barrier(PROCESSES)
    tokens: list[str | None] = []

    def worker() -> None:
        c = core()  # each its own botocore session and cache object, as separate processes
        barrier.wait()
        tokens.append(cached_access_token(c.session, c.profile, c.cache))

    threads = [threading.Thread(target=worker) for _ in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    world.sandbox.set_latency(0)

    assert [r.operation for r in world.sandbox.requests] == ["CreateToken"]
    entry = json.loads(world.token_file("corp").read_text())
    assert entry["accessToken"] != seeded["accessToken"]
    assert tokens == [entry["accessToken"]] * PROCESSES


def test_the_lock_is_reentrant_in_a_thread_and_exclusive_across_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decided by the lock, not by how fast threads run: while we hold it, another thread's
    attempt times out (a broken lock would let it in, however loaded the machine); once we
    let go, it gets in."""
    path = tmp_path / "token.json"
    outcome: list[str] = []

    def other() -> None:
        try:
            with locked(path, timeout=0.2):
                outcome.append("acquired")
        except SsoSyncError:
            outcome.append("timed out")

    def in_a_thread() -> None:
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=60)
        assert not thread.is_alive()

    with locked(path):
        with locked(path):  # what TokenCache.__setitem__ does inside the refresh lock
            outcome.append("nested")
        in_a_thread()
    in_a_thread()
    assert outcome == ["nested", "timed out", "acquired"]
