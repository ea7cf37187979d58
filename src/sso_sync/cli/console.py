"""The core's `Terminal` (terminal.py) on a command's streams (cli/streams.py): its lines on
stderr, progress (rich on a terminal, plain lines otherwise), the sign-in's code and URL.

Everything here writes to the `Streams` it was given, never to `sys.stderr`: the core calls it
from worker threads, where no command's context is current.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sso_sync.wording import clean

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sso_sync.aws.signin.device_code import DevicePrompt
    from sso_sync.aws.signin.flow import SignInUi
    from sso_sync.cli.streams import Streams


def device_prompt_text(prompt: DevicePrompt, opened: bool) -> str:
    return (
        ("Your browser has been opened to sign in. " if opened else "")
        + f"To sign in, open {prompt.verification_uri_complete}\n"
        f"and confirm the code: {prompt.user_code}  (valid {prompt.expires_in // 60} min)"
    )


def sign_in_url_text(url: str, opened: bool) -> str:
    return (
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
    """Rich progress when stderr is a terminal and there is more than one target; plain lines
    on stderr otherwise. Called from worker threads."""

    def __init__(self, total: int, verb: str, streams: Streams, *, colour: bool = True) -> None:
        self._total = total
        self._done = 0
        self._streams = streams
        self._lock = threading.Lock()
        self._rich: Any = None
        self._task: Any = None
        if total > 1 and streams.err_is_terminal():
            from rich.console import Console
            from rich.progress import Progress as RichProgress

            # The streams decided it is a terminal: rich is told so rather than asking again.
            console = Console(file=streams.err, force_terminal=True, no_color=not colour)
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
                self._streams.print_err(f"[{self._done}/{self._total}] {label}: {status}")


class CliTerminal:
    """The core's `Terminal` on a command's stderr."""

    def __init__(self, environ: Mapping[str, str], streams: Streams) -> None:
        self._environ = environ
        self._streams = streams

    def say(self, line: str) -> None:
        self._streams.print_err(line)

    def progress(self, total: int, verb: str) -> Progress:
        return Progress(total, verb, self._streams, colour=self._streams.colour(self._environ))

    def sign_in_ui(self, *, open_browser: bool) -> SignInUi:
        from sso_sync.aws.signin.flow import SignInUi

        return SignInUi(
            say=self.say,
            show_device_prompt=lambda prompt, opened: self.say(device_prompt_text(prompt, opened)),
            show_url=lambda url, opened: self.say(sign_in_url_text(url, opened)),
            open_browser=_open_browser if open_browser else None,
        )

    def notify(self, title: str, message: str) -> None:
        from sso_sync.keepfresh.notify import notify

        notify(title, message, self._environ)
