"""libfaketime for the sleep-and-wake tests: child processes whose wall clock a test moves.

`LD_PRELOAD` of Debian's libfaketime with `FAKETIME_DONT_FAKE_MONOTONIC=1` moves only the wall
clock, as a suspend does (Linux's monotonic clock stops while the machine sleeps), and
`FAKETIME_NO_CACHE=1` makes a rewrite of the timestamp file seen at once. Only child processes
get it: preloaded into pytest it can crash the whole run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

# Read at import: the tests' isolated environment removes CI before a test runs.
IN_CI = bool(os.environ.get("CI"))


def library() -> str:
    """The path of libfaketime.so.1; skips the test (fails it in CI) when it is not installed."""
    try:
        listed = subprocess.run(
            ["dpkg", "-L", "libfaketime"], capture_output=True, text=True, check=False
        ).stdout
    except FileNotFoundError:
        listed = ""
    found = [line for line in listed.splitlines() if line.endswith("/libfaketime.so.1")]
    if not found:
        why = "libfaketime is not installed (apt-get install -y libfaketime)"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    return found[0]


class FakeWallClock:
    """The environment that puts a child under libfaketime, and the file that moves its clock."""

    def __init__(self, directory: Path) -> None:
        self.file = directory / "faketime"
        self.set("+0")
        self.env = {
            "LD_PRELOAD": library(),
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_TIMESTAMP_FILE": str(self.file),
        }

    def set(self, offset: str) -> None:
        """`+3300`: 55 minutes ahead of the real clock, in every child at once."""
        self.file.write_text(offset + "\n")


class ChildSandbox:
    """`python -m sso_sync.sandbox --with-sso-token` in its own process; `info` is its line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sso_sync.sandbox", "--with-sso-token", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **env},
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            raise AssertionError("the sandbox child printed nothing (did it crash?)")
        self.info: dict[str, Any] = json.loads(line)

    def secrets(self) -> set[str]:
        token = self.info["sso_token"]
        return {self.info["github_token"]} | {
            str(token[k]) for k in ("accessToken", "refreshToken", "clientSecret") if k in token
        }

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# futex(2), which a thread blocked in `threading.Event.wait` sits in, by machine.
_FUTEX = {"x86_64": "202", "aarch64": "98"}


def wait_until_blocked(pid: int, timeout: float = 60) -> None:
    """Until `pid`'s main thread has sat in futex(2) (an `Event.wait`) on two looks in a row: a
    clock moved before `watch` begins its sleep would only move the start of that sleep."""
    number = _FUTEX.get(platform.machine())
    if number is None:
        pytest.skip(f"futex's system call number on {platform.machine()} is not known here")
    path = Path(f"/proc/{pid}/syscall")
    seen = 0
    end = time.monotonic() + timeout
    while seen < 2:
        if time.monotonic() > end:
            raise AssertionError(f"process {pid} never blocked in a wait")
        seen = seen + 1 if path.read_text().split(" ", 1)[0] == number else 0
        time.sleep(0.2)
