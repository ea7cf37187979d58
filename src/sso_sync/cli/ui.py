"""What the user sees, on the running command's streams (its context's, cli/context.py):
messages on stderr, data on stdout, prompts.

Commands print only through these functions, so stdout carries nothing but the result, and a
test that hands in a context with its own streams gets all of it. What the core shows (progress,
sign-in hints) is cli/console.py's `CliTerminal`, on the same streams.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

# Re-exported: commands call them as ui.clean and ui.one_line.
from sso_sync.wording import clean as clean  # noqa: PLC0414
from sso_sync.wording import one_line as one_line  # noqa: PLC0414

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sso_sync.cli.streams import Streams
    from sso_sync.deadline import Deadline


def current_streams() -> Streams:
    """The running command's streams (cli/context.py `current_streams`)."""
    # Imported here: `sso-sync --help` prints nothing through ui and must not load the context.
    from sso_sync.cli.context import current_streams as streams

    return streams()


def err(message: str) -> None:
    current_streams().print_err(message)


def out(message: str) -> None:
    current_streams().print_out(message)


def out_json(data: object, *, indent: int | None = 2) -> None:
    """One JSON document on stdout, uncounted. Commands print their result through the
    context's `out_json`, which counts it (cli/context.py)."""
    current_streams().print_json(data, indent=indent)


def out_json_error(exit_code: int, message: str) -> None:
    """With --json, every error is also one object on stdout (after nothing else there). On
    one line: one JSON document to a command printing one, and one more JSON line to one that
    prints JSON lines (`watch`, whose cycles come before it)."""
    out_json({"ok": False, "error": {"exit_code": exit_code, "message": message}}, indent=None)


class TerminalPrompter:
    """Questions on stderr, answers read from stdin (a terminal or a script): the streams
    given, else the running command's.

    Not click's prompt: it writes a space to stdout per question, and stdout carries the result.
    """

    def __init__(self, streams: Streams | None = None) -> None:
        self._streams = streams if streams is not None else current_streams()

    def _write(self, text: str) -> None:
        self._streams.err.write(clean(text))
        self._streams.err.flush()

    def _ask(self, label: str, default: str | None, missing: str) -> str:
        from sso_sync.errors import UsageError

        while True:
            self._write(f"{label} [{default}]: " if default else f"{label}: ")
            line = self._streams.in_.readline()
            if not line:  # end of input (`</dev/null`, a script out of answers): the default
                self._write("\n")
                if default is not None:
                    return default
                raise UsageError(missing)
            answer = line.strip()
            if answer or default is not None:
                return answer or str(default)

    def text(self, label: str, default: str | None) -> str:
        return self._ask(label, default, f"no answer for {label} (end of input): pass the flag")

    def choose(self, label: str, options: Sequence[str]) -> int:
        for number, option in enumerate(options, 1):
            self.say(f"  {number:>3}. {option}")
        while True:
            text = self._ask(
                f"Choose the {label} [1-{len(options)}]",
                None,
                f"no {label} chosen (end of input): pass the flag",
            )
            if text.isdigit() and 1 <= int(text) <= len(options):
                return int(text) - 1
            self.say(f"Enter a number from 1 to {len(options)}.")

    def confirm(self, question: str) -> bool:
        """Yes only for y/yes. Unlike click's confirm, Ctrl-C stays a KeyboardInterrupt
        (exit 130) and end of input means no."""
        self._write(f"{question} [y/N]: ")
        line = self._streams.in_.readline()
        if not line:
            self._write("\n")
        return line.strip().lower() in ("y", "yes")

    def say(self, message: str) -> None:
        self._streams.print_err(message)


class PatientPrompter(TerminalPrompter):
    """The terminal's questions, with the time a person spends answering given back to the
    command's deadline: `--timeout` bounds the network, not the person."""

    def __init__(self, deadline: Deadline, streams: Streams | None = None) -> None:
        super().__init__(streams)
        self._deadline = deadline

    def _ask(self, label: str, default: str | None, missing: str) -> str:
        asked = time.monotonic()
        try:
            return super()._ask(label, default, missing)
        finally:
            self._deadline.extend(time.monotonic() - asked)

    def confirm(self, question: str) -> bool:
        asked = time.monotonic()
        try:
            return super().confirm(question)
        finally:
            self._deadline.extend(time.monotonic() - asked)
