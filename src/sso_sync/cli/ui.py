"""What the user sees: messages on stderr, data on stdout, progress, prompts, sign-in hints.

Commands print only through these functions, so stdout carries nothing but the result.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import typer

# Re-exported: commands call them as ui.clean and ui.one_line.
from sso_sync.wording import clean as clean  # noqa: PLC0414
from sso_sync.wording import one_line as one_line  # noqa: PLC0414

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sso_sync.aws.signin.device_code import DevicePrompt
    from sso_sync.aws.signin.flow import SignInUi
    from sso_sync.deadline import Deadline


def err(message: str) -> None:
    typer.echo(clean(message), err=True)


def out(message: str) -> None:
    typer.echo(clean(message))


def out_json(data: object, *, indent: int | None = 2) -> None:
    """One JSON document on stdout. Commands print their result through the context's
    `out_json`, which counts it (cli/context.py)."""
    import json  # here, not at the top: `--help` must not pay for what only output needs

    out(json.dumps(data, indent=indent))


def out_json_error(exit_code: int, message: str) -> None:
    """With --json, every error is also one object on stdout (after nothing else there). On
    one line: one JSON document to a command printing one, and one more JSON line to one that
    prints JSON lines (`watch`, whose cycles come before it)."""
    out_json({"ok": False, "error": {"exit_code": exit_code, "message": message}}, indent=None)


def show_device_prompt(prompt: DevicePrompt, opened: bool) -> None:
    err(
        ("Your browser has been opened to sign in. " if opened else "")
        + f"To sign in, open {prompt.verification_uri_complete}\n"
        f"and confirm the code: {prompt.user_code}  (valid {prompt.expires_in // 60} min)"
    )


def show_sign_in_url(url: str, opened: bool) -> None:
    err(
        ("Your browser has been opened to sign in. If it did not open, open" if opened else "Open")
        + f" this URL in a browser on this computer:\n\n{url}\n\n"
        "Waiting up to 10 minutes for the sign-in. On another device? "
        "Run again with --use-device-code."
    )


def open_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)


_open_browser = open_browser  # the name the terminal's keyword hides


class Progress:
    """Rich progress on a terminal for more than one target; plain lines on stderr otherwise.
    Called from worker threads."""

    def __init__(self, total: int, verb: str, *, no_color: bool = False) -> None:
        self._total = total
        self._done = 0
        self._lock = threading.Lock()
        self._rich: Any = None
        self._task: Any = None
        if total > 1 and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress as RichProgress

            console = Console(stderr=True, no_color=no_color)
            self._rich = RichProgress(console=console, transient=True)
            self._task = self._rich.add_task(verb, total=total)

    def __enter__(self) -> Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()

    def step(self, label: str, status: str) -> None:
        with self._lock:
            self._done += 1
            if self._rich is not None:
                self._rich.update(self._task, advance=1, description=clean(label))
            elif self._total > 1:
                err(f"[{self._done}/{self._total}] {label}: {status}")


class TerminalPrompter:
    """Questions on stderr, answers read from stdin (a terminal or a script).

    Not click's prompt: it writes a space to stdout per question, and stdout carries the result.
    """

    def _ask(self, label: str, default: str | None, missing: str) -> str:
        from sso_sync.errors import UsageError

        while True:
            sys.stderr.write(clean(f"{label} [{default}]: " if default else f"{label}: "))
            sys.stderr.flush()
            line = sys.stdin.readline()
            if not line:  # end of input (`</dev/null`, a script out of answers): the default
                sys.stderr.write("\n")
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
            err(f"  {number:>3}. {option}")
        while True:
            text = self._ask(
                f"Choose the {label} [1-{len(options)}]",
                None,
                f"no {label} chosen (end of input): pass the flag",
            )
            if text.isdigit() and 1 <= int(text) <= len(options):
                return int(text) - 1
            err(f"Enter a number from 1 to {len(options)}.")

    def confirm(self, question: str) -> bool:
        """Yes only for y/yes. Unlike click's confirm, Ctrl-C stays a KeyboardInterrupt
        (exit 130) and end of input means no."""
        sys.stderr.write(clean(f"{question} [y/N]: "))
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            sys.stderr.write("\n")
        return line.strip().lower() in ("y", "yes")

    def say(self, message: str) -> None:
        err(message)


class PatientPrompter(TerminalPrompter):
    """The terminal's questions, with the time a person spends answering given back to the
    command's deadline: `--timeout` bounds the network, not the person."""

    def __init__(self, deadline: Deadline) -> None:
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


class CliTerminal:
    """The core's `Terminal` on this process's stderr."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def say(self, line: str) -> None:
        err(line)

    def progress(self, total: int, verb: str) -> Progress:
        return Progress(total, verb, no_color=bool(self._environ.get("NO_COLOR")))

    def sign_in_ui(self, *, open_browser: bool) -> SignInUi:
        from sso_sync.aws.signin.flow import SignInUi

        return SignInUi(
            say=err,
            show_device_prompt=show_device_prompt,
            show_url=show_sign_in_url,
            open_browser=_open_browser if open_browser else None,
        )

    def notify(self, title: str, message: str) -> None:
        from sso_sync.keepfresh.notify import notify

        notify(title, message, self._environ)
