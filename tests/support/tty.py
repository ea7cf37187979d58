"""Running the installed `sso-sync` with a pseudo-terminal on stdin and/or stderr, as a person at
a terminal would, while stdout stays a pipe (data apart from messages, as `> out.json` gives).

CliRunner cannot show this: its streams are never terminals, so what the CLI does only on a
terminal (rich progress, signing in inline) needs a real child process on a real pty."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SSO_SYNC = Path(sys.executable).with_name("sso-sync")

# Select Graphic Rendition: ESC [ params m. Colour parameters are 30-38, 40-48, 90-97, 100-107.
_SGR = re.compile(r"\x1b\[([0-9;]*)m")


@dataclass
class TtyRun:
    returncode: int
    stdout: str
    terminal: str  # everything written to the pty (stderr when it is the terminal)
    stderr: str  # stderr when it was a pipe, else ""


def run_sso_sync(
    *args: str,
    env: Mapping[str, str],
    stdin_tty: bool,
    stderr_tty: bool,
    columns: int = 120,
    timeout: float = 120,
    typed: str = "",
    cwd: Path | None = None,
) -> TtyRun:
    """`typed` is what the person types (it waits in the terminal's input until read)."""
    master, slave = pty.openpty()
    # A real terminal has a size; rich reads it to lay out the bar.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            [str(SSO_SYNC), *args],
            stdin=slave if stdin_tty else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave if stderr_tty else subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,  # the pty becomes its controlling terminal, not ours
        )
    finally:
        os.close(slave)
    if typed:
        os.write(master, typed.encode())
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every holder of the slave side has closed it
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        os.close(master)
    return TtyRun(
        returncode=proc.returncode,
        stdout=out.decode(),
        terminal=b"".join(chunks).decode(errors="replace"),
        stderr=err.decode() if err is not None else "",
    )


def colour_codes(text: str) -> list[str]:
    """The SGR sequences in `text` that set a foreground or background colour."""
    found = []
    for match in _SGR.finditer(text):
        params = [int(p) for p in match[1].split(";") if p]
        if any(30 <= p <= 38 or 40 <= p <= 48 or 90 <= p <= 97 or 100 <= p <= 107 for p in params):
            found.append(match[0])
    return found


def terminal_env(base: Mapping[str, str]) -> dict[str, str]:
    """`base` as a colour terminal emulator would leave it, with nothing forcing rich's hand."""
    env = {
        k: v
        for k, v in base.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS")
    }
    env["TERM"] = "xterm-256color"
    return env
