"""A silent refresh that cannot reach IAM Identity Center is not a refusal: the cached token is
used while it is valid; with none valid that is a network error (exit 1), not "sign in" (exit 3).
A stalled refresh holds the token lock for part of the deadline only, so a second run waiting
on it still finishes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from tests.support.bounds import within
from tests.support.hostile import HostilePeer
from tests.support.world import World, assert_no_leak, issued_as_secrets

REPO = "octo-org/app"
SCOPE = f"repos/{REPO}/actions"
CLI = [sys.executable, "-c", "from sso_sync.cli import main; main()"]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def pushed_values(world: World) -> dict[str, str]:
    return {name: s.value for name, s in world.sandbox.secrets(SCOPE).items()}


def test_refresh_unreachable_keeps_the_valid_token(world: World, run, monkeypatch) -> None:
    seeded = world.seed_token(expires_in=300)  # inside the refresh window, still valid
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", closed_port_url())
    result = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "20")
    assert result.exit_code == 0, result.stderr
    assert "could not refresh the sign-in of profile ci" in result.stderr
    assert pushed_values(world) == issued_as_secrets(world)
    assert world.token_file().read_text().count(seeded["accessToken"]) == 1  # kept as it was


def test_refresh_stalled_keeps_the_valid_token_within_the_deadline(
    world: World, run, monkeypatch
) -> None:
    world.seed_token(expires_in=300)
    with HostilePeer("stall") as peer:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", peer.url)
        started = time.monotonic()
        result = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "6")
        took = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert took < within(6.0, idle_slack=6.0)
    assert pushed_values(world) == issued_as_secrets(world)


def test_a_refresh_another_process_just_failed_is_not_tried_again_at_once(
    world: World, run, monkeypatch
) -> None:
    """Another process holds the token's lock (refreshing, here for a second) and leaves the
    token as it was: its refresh failed. Trying again would stall as long again while this
    push holds its targets' locks, making the other run wait for them past its own deadline
    (seen as a flake of the two-process test below): the token in hand is used at once."""
    import fcntl
    import threading

    world.seed_token(expires_in=300)  # inside the refresh window, still valid
    lock_file = os.open(str(world.token_file()) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock_file, fcntl.LOCK_EX)  # as another process refreshing holds it
    release = threading.Timer(1.0, fcntl.flock, (lock_file, fcntl.LOCK_UN))
    try:
        with HostilePeer("stall") as peer:
            monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", peer.url)
            release.start()
            result = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "20")
    finally:
        release.cancel()
        os.close(lock_file)
    assert result.exit_code == 0, result.stderr
    assert peer.requests == 0  # not asked again
    assert "(another process's refresh just failed); using it while it lasts" in result.stderr
    assert pushed_values(world) == issued_as_secrets(world)


@pytest.mark.parametrize("command", ["push", "status"])
def test_expired_token_and_unreachable_refresh_is_a_network_error(
    world: World, run, monkeypatch, command: str
) -> None:
    world.seed_token(expires_in=-60)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", closed_port_url())
    args = ["push", "--repo", REPO] if command == "push" else ["status"]
    result = run(*args, "--profile", "ci", "--timeout", "20")
    assert result.exit_code == 1, result.stdout + result.stderr
    if command == "push":
        assert "cannot reach IAM Identity Center to renew the sign-in of profile 'ci'" in (
            result.stderr
        )
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


def test_a_refused_refresh_still_asks_for_a_sign_in(world: World, run) -> None:
    world.seed_token(expires_in=-60)
    world.sandbox.revoke_refresh_tokens()
    result = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "20")
    assert result.exit_code == 3, result.stderr


def test_a_stalled_refresh_does_not_hold_the_lock_past_a_second_run(world: World) -> None:
    """Two real processes find the token due while IAM Identity Center's token endpoint
    stalls: the first holds the lock for part of its deadline only; both push, in time."""
    world.seed_token(expires_in=300)
    with HostilePeer("stall") as peer:
        env = {**os.environ, "AWS_ENDPOINT_URL_SSO_OIDC": peer.url}
        args = [*CLI, "push", "--repo", REPO, "--profile", "ci", "--timeout", "10"]
        started = time.monotonic()
        procs = [
            subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=60) for p in procs]
        took = time.monotonic() - started
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
        assert_no_leak((out + err).decode(), world.secret_values())
    assert took < within(10.0, idle_slack=20.0)
    assert peer.requests >= 1


@pytest.mark.parametrize("kind", ["redirect", "html", "json"])
def test_a_refresh_answered_by_something_else_keeps_the_valid_token(
    world: World, run, monkeypatch, kind: str
) -> None:
    """A proxy's redirect or page, or `{}`, where the token endpoint should be: not a refusal."""
    world.seed_token(expires_in=300)
    with HostilePeer(kind) as peer:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", peer.url)
        result = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "20")
    assert result.exit_code == 0, result.stderr
    assert pushed_values(world) == issued_as_secrets(world)
