"""Ctrl-C is exit 130 with one line, wherever it lands: at a confirmation prompt on a real
terminal (a pty), and while workers wait out a long Retry-After during a push."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

from tests.support.bounds import within
from tests.support.world import World, assert_no_leak

REPO = "octo-org/app"
CLI = [sys.executable, "-c", "from sso_sync.cli import main; main()"]


def read_until(fd: int, needle: bytes, limit: float = 60.0) -> bytes:
    """What the child wrote to the terminal, up to and including `needle` (or EOF)."""
    seen = b""
    give_up = time.monotonic() + limit
    while needle not in seen and time.monotonic() < give_up:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def run_on_a_terminal(args: list[str], keys: bytes) -> tuple[int, str]:
    """Run the CLI with a pty as its terminal; type `keys` at the confirmation prompt."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execvpe(CLI[0], [*CLI, *args], dict(os.environ))
    try:
        output = read_until(fd, b"[y/N]: ")
        os.write(fd, keys)
        output += read_until(fd, b"\0")  # everything until the child exits
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


@pytest.fixture
def pushed(world: World, run) -> World:
    world.seed_token()
    assert run("push", "--repo", REPO, "--profile", "ci").exit_code == 0
    return world


@pytest.mark.parametrize(
    ("keys", "code", "needle"),
    [
        (b"\x03", 130, "interrupted"),
        (b"n\n", 0, "nothing deleted"),
        (b"\x04", 0, "nothing deleted"),
    ],
)
def test_remove_confirmation_on_a_terminal(pushed: World, keys, code, needle) -> None:
    code_seen, output = run_on_a_terminal(["remove", "--repo", REPO], keys)
    assert code_seen == code, output
    assert needle in output
    assert "unexpected" not in output
    assert "Traceback" not in output
    assert "Aborted" not in output
    assert_no_leak(output, pushed.secret_values())
    assert len(pushed.sandbox.secrets(f"repos/{REPO}/actions")) == 4


def test_remove_confirmed_on_a_terminal_deletes(pushed: World) -> None:
    code, output = run_on_a_terminal(["remove", "--repo", REPO], b"y\n")
    assert code == 0, output
    assert "Delete 4 secrets from 1 target?" in output  # one target: no plural
    assert pushed.sandbox.secrets(f"repos/{REPO}/actions") == {}


def test_ctrl_c_during_a_long_retry_after_ends_the_push_at_once(world: World) -> None:
    """Without the cancellable wait the worker would sleep out the whole Retry-After."""
    world.seed_token()
    world.sandbox.inject_fault(
        "github", "PUT", "/secrets/", 429, times=-1, headers={"Retry-After": "600"}
    )
    repos = ["--repo", REPO, "--repo", "octo-org/api"]
    proc = subprocess.Popen(
        [*CLI, "push", *repos, "--profile", "ci", "--timeout", "3600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CI": "1"},
    )
    try:
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up and not any(
            r.method == "PUT" for r in world.sandbox.requests
        ):
            time.sleep(0.05)
        time.sleep(0.3)  # let the workers reach their wait
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert lines[-1] == "interrupted"
    # Before it, only the announcements of the long Retry-After waits it interrupted.
    assert all("waiting" in line and "before retrying" in line for line in lines[:-1]), lines
    # The per-target report comes first: nothing was stored, and each target says so.
    targets = sorted(line.split(":")[0:2] for line in stdout.splitlines() if "octo-org/" in line)
    assert targets == [["octo-org/api", " not-attempted"], [REPO, " not-attempted"]], stdout
    assert "Traceback" not in stdout + stderr
    assert_no_leak(stdout + stderr, world.secret_values())


def test_a_failed_sign_in_does_not_wait_for_the_public_key_fetches(world: World) -> None:
    """push fetches public keys while it gets credentials; when that fails (no sign-in, no
    terminal), a key fetch sitting out a long Retry-After must not hold up exit 3."""
    world.sandbox.inject_fault(
        "github", "GET", "/public-key$", 429, times=-1, headers={"Retry-After": "600"}
    )
    proc = subprocess.run(
        [*CLI, "push", "--repo", REPO, "--profile", "ci", "--timeout", "3600"],
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "1"},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert "sso-sync login --profile ci" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def _interrupt_after(proc: subprocess.Popen, ready, limit: float = 60) -> tuple[str, str, float]:
    """SIGINT once `ready()` holds; then (stdout, stderr, seconds from SIGINT to exit)."""
    give_up = time.monotonic() + limit
    while time.monotonic() < give_up and not ready():
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    try:
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return stdout, stderr, time.monotonic() - sent


def test_one_ctrl_c_ends_a_list_stalled_on_github(world: World) -> None:
    from tests.support.hostile import HostilePeer

    with HostilePeer("stall") as peer:
        proc = subprocess.Popen(
            [*CLI, "list", "--repo", REPO, "--timeout", "600"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "GITHUB_API_URL": peer.url},
        )
        stdout, stderr, took = _interrupt_after(proc, lambda: peer.requests > 0)
    assert proc.returncode == 130, stderr
    assert took < within(0.0, idle_slack=10.0)  # Ctrl-C ends it at once, not after a wait
    assert stderr.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in stdout + stderr


ONE_WORKER = ("--timeout", "3600", "--concurrency", "1")


def test_ctrl_c_mid_push_reports_the_finished_target_first(world: World) -> None:
    """One repository is written; the other waits out a Retry-After: Ctrl-C prints both. One
    worker, so the repository's four writes are all sent before the other's 429 asks every
    request to wait (with more, a write of the first still queued would rightly wait too)."""
    world.seed_token()
    world.sandbox.inject_fault(
        "github", "PUT", "octo-org/api/.*/secrets/", 429, times=-1, headers={"Retry-After": "600"}
    )
    proc = subprocess.Popen(
        [*CLI, "push", "-R", REPO, "-R", "octo-org/api", "-p", "ci", *ONE_WORKER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CI": "1"},
    )
    done = lambda: len(world.sandbox.secrets(f"repos/{REPO}/actions")) == 4  # noqa: E731
    stdout, stderr, took = _interrupt_after(proc, done)
    assert proc.returncode == 130, stderr
    assert took < within(0.0, idle_slack=10.0)  # Ctrl-C ends it at once, not after a wait
    lines = stdout.splitlines()
    assert lines[0] == f"{REPO}: " + ", ".join(
        f"{n} created"
        for n in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
        )
    )
    assert lines[1].startswith("octo-org/api: not-attempted")
    assert stderr.strip().splitlines()[-1] == "interrupted"
    assert_no_leak(stdout + stderr, world.secret_values())
