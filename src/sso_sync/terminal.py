"""The one interface through which the core reaches a person: messages, progress, the sign-in's
prompts, and a notification when nobody may be watching. The CLI implements it (cli/console.py's
`CliTerminal`); the demo and tests hand in their own. The core never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sso_sync.aws.signin.flow import SignInUi


class Steps(Protocol):
    def step(self, label: str, status: str) -> None: ...


# (number of targets, verb) -> a context in which each finished target is reported once.
ProgressFactory = Callable[[int, str], AbstractContextManager[Steps]]


class _Silent:
    def step(self, label: str, status: str) -> None:
        pass


@contextmanager
def no_progress(_total: int, _verb: str) -> Iterator[Steps]:
    yield _Silent()


class Terminal(Protocol):
    def say(self, line: str) -> None:
        """A message for the person (the CLI's stderr)."""

    def progress(self, total: int, verb: str) -> AbstractContextManager[Steps]:
        """Progress over `total` targets."""
        ...

    def sign_in_ui(self, *, open_browser: bool) -> SignInUi:
        """How a sign-in shows its code or URL (and opens a browser when allowed)."""
        ...

    def notify(self, title: str, message: str) -> None:
        """A desktop notification where one can be shown; nothing otherwise."""


class Quiet:
    """A terminal nobody reads: progress and notifications dropped, lines passed to `say`."""

    def __init__(self, say: Callable[[str], None] = lambda _line: None) -> None:
        self._say = say

    def say(self, line: str) -> None:
        self._say(line)

    def progress(self, total: int, verb: str) -> AbstractContextManager[Steps]:
        return no_progress(total, verb)

    def sign_in_ui(self, *, open_browser: bool) -> SignInUi:
        from sso_sync.aws.signin.flow import SignInUi

        return SignInUi(
            say=self._say,
            show_device_prompt=lambda prompt, _opened: self._say(
                f"sign-in: open {prompt.verification_uri_complete} (code {prompt.user_code})"
            ),
            show_url=lambda url, _opened: self._say(f"sign-in: open {url}"),
            open_browser=None,
        )

    def notify(self, title: str, message: str) -> None:
        pass
