"""`sso-sync watch` in its own process, for the tests that run it over several cycles."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType


class Watch:
    """`sso-sync watch` in its own process; stderr lines arrive on a queue as they are written."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        """`env`: added to this process's environment for the child."""
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("sso-sync")), "watch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)

    def __enter__(self) -> Watch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """A test that failed half-way leaves no watch running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def next_line(self, timeout: float) -> str:
        return self.lines.get(timeout=timeout)

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        """Wait for the exit (TimeoutExpired past `timeout`: a watch that never ends fails the
        test instead of hanging it); stdout is read alongside, so a full pipe cannot block it."""
        stdout = self.proc.stdout
        assert stdout is not None
        out: list[str] = []
        drain = threading.Thread(target=lambda: out.append(stdout.read()), daemon=True)
        drain.start()
        self.proc.wait(timeout=timeout)
        drain.join(timeout=5)
        self.reader.join(timeout=5)
        return self.proc.returncode, "".join(out), "".join(self.stderr)
