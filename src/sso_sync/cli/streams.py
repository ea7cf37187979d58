"""A command's three standard streams as one value, and whether each is a terminal (cli/cli's
`IOStreams`, httpie's `Environment.stdin`/`stdout`/`stderr`): the `Context` carries one, and
every line the CLI prints, every prompt and every progress display goes through it, so a test
hands in its own (`Streams(stdout=StringIO(), ...)`) instead of capturing the process's.

A stream left out is the process's, looked up at each use, not when the value is made: typer's
`CliRunner` swaps `sys.stdout` for the length of one call, after a test has made its `Context`.
Whether a stream is a terminal is asked of that stream unless given (`stdin_tty=False`: a test
saying nobody can answer, as gh's `SetStdinTTY`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import typer

from sso_sync.wording import clean

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class Streams:
    stdout: TextIO | None = None
    stderr: TextIO | None = None
    stdin: TextIO | None = None
    stdout_tty: bool | None = None
    stderr_tty: bool | None = None
    stdin_tty: bool | None = None

    @property
    def out(self) -> TextIO:
        return self.stdout if self.stdout is not None else sys.stdout

    @property
    def err(self) -> TextIO:
        return self.stderr if self.stderr is not None else sys.stderr

    @property
    def in_(self) -> TextIO:
        return self.stdin if self.stdin is not None else sys.stdin

    def out_is_terminal(self) -> bool:
        return self.stdout_tty if self.stdout_tty is not None else self.out.isatty()

    def err_is_terminal(self) -> bool:
        return self.stderr_tty if self.stderr_tty is not None else self.err.isatty()

    def in_is_terminal(self) -> bool:
        return self.stdin_tty if self.stdin_tty is not None else self.in_.isatty()

    def colour(self, environ: Mapping[str, str]) -> bool:
        """Colour on stderr, where messages and progress go: a terminal, and no `NO_COLOR`
        (no-color.org)."""
        return self.err_is_terminal() and not environ.get("NO_COLOR")

    def print_out(self, text: str) -> None:
        """A line on stdout, terminal controls stripped (wording.py `clean`). Through click's
        echo, as before there were streams: to the process's own stream (`file=None`) it also
        repairs a misconfigured encoding."""
        typer.echo(clean(text), file=self.stdout)

    def print_err(self, text: str) -> None:
        """A line on stderr, terminal controls stripped."""
        typer.echo(clean(text), file=self.stderr, err=True)

    def print_json(self, data: object, *, indent: int | None = 2) -> None:
        """One JSON document on stdout."""
        import json  # here, not at the top: `--help` must not pay for what only output needs

        self.print_out(json.dumps(data, indent=indent))
