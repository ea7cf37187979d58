"""What a command is handed: its streams (stdin, stdout, stderr: cli/streams.py) and the
terminal on them, the environment, the clock, and the two factories for the clients it needs
(cli/cli's `Factory` with `IOStreams`, httpie's `Environment`). Commands read these, never
`os.environ`, `sys.stdout` or module globals, so a test hands in its own context
(`CliRunner.invoke(app, argv, obj=Context(...))`) instead of patching.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync.cli.streams import Streams

if TYPE_CHECKING:
    from sso_sync.aws.profiles import AwsPaths, SsoProfile
    from sso_sync.aws.session import AwsClients, AwsSession
    from sso_sync.deadline import Deadline
    from sso_sync.github.app_auth import AppInstallations, AppSettings
    from sso_sync.github.rest import GitHubApi
    from sso_sync.keepfresh.clock import RecordedClock
    from sso_sync.keepfresh.state import StateStore
    from sso_sync.server_clock import ServerClock
    from sso_sync.terminal import Steps, Terminal


@dataclass
class Context:
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    # The process's own unless a test hands in its own; each looked up when used (a test runner
    # swaps sys.stdout after this is made).
    streams: Streams = field(default_factory=Streams)
    # Now by the servers' clock (server_clock.py: this machine's, corrected by the offset their
    # `Date` headers showed), unless a test hands in its own.
    now: Callable[[], datetime] = field(default=None)  # type: ignore[assignment]  # set below
    terminal: Terminal = field(default=None)  # type: ignore[assignment]  # set below
    json_printed: int = 0  # JSON objects printed on stdout (cli/app.py reads it on an error)
    verbosity: int = 0  # -v given (2: -vv or --debug); cli/app.py sets logging up from it
    # The servers' clock, made when first asked (so `--help` reads no state file).
    _recorded: RecordedClock = field(default=None, init=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        from sso_sync.keepfresh.clock import RecordedClock

        if self.terminal is None:
            from sso_sync.cli.console import CliTerminal

            self.terminal = CliTerminal(self.environ, self.streams)
        self._recorded = RecordedClock(self.environ)
        if self.now is None:
            # The core calls it: a method of the clock's own module, not of the CLI's.
            self.now = self._recorded.now

    def server_clock(self) -> ServerClock:
        """The offsets recorded in the state file, then each answer's; a change is written back
        (keepfresh/state.py `recorded_clock`), made when first asked."""
        return self._recorded.clock()

    def out_json(self, data: object) -> None:
        """The command's result as one JSON document on stdout, counted: an error that follows
        a printed result must not add a second object (a script reads one)."""
        self.streams.print_json(data)
        self.json_printed += 1

    def progress(self, total: int, verb: str) -> AbstractContextManager[Steps]:
        return self.terminal.progress(total, verb)

    def interactive(self) -> bool:
        """A person may answer here: a terminal on stdin, and not CI."""
        from sso_sync.aws.profiles import is_interactive

        return is_interactive(self.environ, self.streams.in_is_terminal())

    def home(self) -> Path:
        return Path(self.environ.get("HOME") or Path.home())

    def aws_factory(
        self, deadline: Deadline | None, paths: AwsPaths | None = None
    ) -> Callable[..., AwsSession]:
        """Makes a profile's AWS side (`factory(profile)`), every call within `deadline`: what
        the core is handed, so it calls `AwsSession` itself, not back into the CLI."""
        from sso_sync.aws.session import AwsSession

        return functools.partial(
            AwsSession,
            paths=paths,
            environ=self.environ,
            terminal=self.terminal,
            deadline=deadline,
            server_clock=self.server_clock(),
        )

    def aws(
        self,
        profile: str | None,
        *,
        deadline: Deadline | None,
        paths: AwsPaths | None = None,
        unsaved: SsoProfile | None = None,
    ) -> AwsSession:
        """A profile's AWS side, every call within `deadline`."""
        return self.aws_factory(deadline, paths)(profile, unsaved=unsaved)

    def aws_clients(
        self, *, deadline: Deadline | None, paths: AwsPaths | None = None
    ) -> AwsClients:
        """The AWS side before any profile (`configure` before its profile exists, `logout
        --all`, `verify` with credentials in hand), every call within `deadline`. No server
        clock: these judge no expiry, and `verify` in a workflow leaves no state file."""
        from sso_sync.aws.session import AwsClients

        return AwsClients(paths, environ=self.environ, deadline=deadline)

    def github_factory(
        self,
        api_url: str | None,
        deadline: float | Deadline,
        token_file: Path | None = None,
        *,
        announce_waits: bool = True,
        app: AppSettings | AppInstallations | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> Callable[[], GitHubApi]:
        """Makes GitHub clients: `announce_waits` says on stderr what a wait of more than ~2 s
        waits for (not in `watch`, whose cycle lines are its only progress messages); `app`
        authenticates as that GitHub App; else the token file or the token sources."""
        from sso_sync import clients

        return functools.partial(
            clients.github_api,
            api_url,
            self.environ,
            deadline,
            token_file,
            on_long_wait=self.terminal.say if announce_waits else None,
            app=app,
            permissions=permissions,
            server_clock=self.server_clock(),
        )

    def github(
        self,
        api_url: str | None,
        deadline: float | Deadline,
        token_file: Path | None = None,
        **options: Any,
    ) -> GitHubApi:
        """A GitHub client (`options` as `github_factory` takes them)."""
        return self.github_factory(api_url, deadline, token_file, **options)()

    def state_store(self) -> StateStore:
        from sso_sync.keepfresh.state import store_for

        return store_for(self.environ)


# The running command's context, set by the app's callback before the command runs (typer 0.29
# parses with its own copy of click, so click's context stack is not where to look it up).
_CURRENT: ContextVar[Context | None] = ContextVar("sso_sync_context", default=None)


def current() -> Context:
    """The running command's context: the one a caller handed in (`obj=`) or the app's callback
    made; outside a command, a new one for this process."""
    found = _CURRENT.get()
    return found if found is not None else Context()


def current_streams() -> Streams:
    """The running command's streams; before a command has its context (a usage error, the
    version), the process's, without making a context for them."""
    found = _CURRENT.get()
    return found.streams if found is not None else Streams()


@contextmanager
def running(obj: object) -> Iterator[None]:
    """One call of the app: a context handed in (`obj=`) is current from the start, so that
    what is printed before the app's callback (a usage error) goes to its streams too; none
    is left current after it, for a later call in this thread to print into."""
    token = _CURRENT.set(obj if isinstance(obj, Context) else None)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def install(ctx: Any) -> None:
    """Make the click context's `obj` (a `Context` handed in, else a new one) the current one."""
    if not isinstance(ctx.obj, Context):
        ctx.obj = Context()
    _CURRENT.set(ctx.obj)
