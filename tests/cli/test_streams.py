"""A command's streams are its context's (cli/streams.py, cli/context.py): a test hands in a
context over its own StringIO streams, runs the app against the sandbox without CliRunner, and
finds every line there and none on the process's stdout or stderr; whether stderr and stdin are
terminals is the context's to say too (rich progress, colour, asking before a delete).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from typer.testing import CliRunner

from sso_sync.cli.app import app
from sso_sync.cli.context import Context
from sso_sync.cli.streams import Streams
from tests.support.tty import colour_codes
from tests.support.world import World, assert_no_leak, issued_as_secrets

REPOS = ("octo-org/app", "octo-org/api", "octo-org/web")
TARGETS = tuple(a for r in REPOS for a in ("--repo", r))
# Rich hides the cursor while its live display runs and draws the bar with this character.
HIDE_CURSOR = "\x1b[?25l"
BAR = "━"


class TerminalLike(io.StringIO):
    """A stream that says it is a terminal, as a pty would."""

    def isatty(self) -> bool:
        return True


@dataclass
class Console:
    """A context over StringIO streams, and what each call of the app returned."""

    stdin: str = ""
    stderr_tty: bool | None = None
    stdin_tty: bool | None = None
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    out: io.StringIO = field(default_factory=io.StringIO)
    err: io.StringIO = field(default_factory=io.StringIO)
    stdin_type: type[io.StringIO] = io.StringIO

    def context(self) -> Context:
        streams = Streams(
            stdout=self.out,
            stderr=self.err,
            stdin=self.stdin_type(self.stdin),
            stderr_tty=self.stderr_tty,
            stdin_tty=self.stdin_tty,
        )
        return Context(environ=self.environ, streams=streams)

    def run(self, *args: str) -> Any:
        """The app as `main` runs it, with this context handed in: its exit code (None: 0)."""
        try:
            return app(list(args), obj=self.context(), standalone_mode=False)
        except SystemExit as exc:  # `--version` exits from its eager callback
            return exc.code


def nothing_on_the_process_streams(capsys: pytest.CaptureFixture[str]) -> None:
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_every_line_of_a_command_goes_to_the_contexts_streams(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.seed_token()
    dry = Console()
    assert dry.run("-v", "push", *TARGETS, "--profile", "ci", "--dry-run") in (None, 0)
    assert "octo-org/web: would create AWS_ACCESS_KEY_ID" in dry.out.getvalue()
    assert "dry run: nothing was written" in dry.out.getvalue()
    assert "GitHub token for" in dry.err.getvalue()  # -v: the log's lines are on its stderr

    pushed = Console()
    assert pushed.run("push", *TARGETS, "--profile", "ci", "--json") in (None, 0)
    result = json.loads(pushed.out.getvalue())  # one document, indented for a person
    assert result["ok"] is True and pushed.out.getvalue().startswith('{\n  "')
    # Three targets, no terminal: the core's progress lines, through the CLI's terminal.
    assert "] octo-org/web: created" in pushed.err.getvalue()
    assert world.sandbox.secrets("repos/octo-org/web/actions")

    status = Console()
    assert status.run("status", "--profile", "ci") in (None, 0)
    assert "profile ci: usable" in status.out.getvalue()

    usage = Console()  # printed before the app's callback installs the context
    assert usage.run("push", "--repo", "--json") == 2
    assert usage.err.getvalue().startswith("error: ")
    assert '"ok": false' in usage.out.getvalue()

    version = Console()
    assert version.run("--version") in (None, 0)
    assert version.out.getvalue().startswith("sso-sync ")

    nothing_on_the_process_streams(capsys)
    every = (dry, pushed, status, usage, version)
    assert_no_leak(
        "".join(c.out.getvalue() + c.err.getvalue() for c in every), world.secret_values()
    )


def test_whether_stderr_is_a_terminal_is_the_contexts_to_say(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process's stderr here is pytest's, never a terminal: rich progress appears only
    because the context says its stderr is one, and NO_COLOR is read from its environment."""
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    world.seed_token()
    push = ("push", *TARGETS, "--profile", "ci")

    terminal = Console(stderr_tty=True)
    assert terminal.run(*push) in (None, 0)
    drawn = terminal.err.getvalue()
    assert HIDE_CURSOR in drawn and BAR in drawn and colour_codes(drawn)
    assert "pushing" in drawn and "[1/3]" not in drawn

    asked = Console(err=TerminalLike())  # nothing said: the stream itself is asked
    assert asked.run(*push) in (None, 0)
    assert HIDE_CURSOR in asked.err.getvalue() and BAR in asked.err.getvalue()

    no_colour = Console(stderr_tty=True)
    no_colour.environ["NO_COLOR"] = "1"
    assert no_colour.run(*push) in (None, 0)
    assert BAR in no_colour.err.getvalue() and colour_codes(no_colour.err.getvalue()) == []

    plain = Console(stderr_tty=False)
    assert plain.run(*push) in (None, 0)
    lines = plain.err.getvalue().splitlines()
    assert [line.split("] ", 1)[0] for line in lines] == ["[1/3", "[2/3", "[3/3"]
    assert sorted(line.split("] ", 1)[1] for line in lines) == sorted(
        f"{r}: updated" for r in REPOS
    )
    assert HIDE_CURSOR not in plain.err.getvalue()

    nothing_on_the_process_streams(capsys)
    for console in (terminal, asked, no_colour, plain):
        assert_no_leak(console.out.getvalue() + console.err.getvalue(), world.secret_values())


def test_remove_asks_on_the_contexts_stdin_only_when_it_is_a_terminal(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.seed_token()
    one = Console()
    assert one.run("push", "--repo", REPOS[0], "--profile", "ci") in (None, 0)
    assert one.err.getvalue() == ""  # one target: no progress, as a line or a bar
    issued = issued_as_secrets(world)

    # The answer is there, but stdin is no terminal: nobody typed it, so nothing is asked.
    piped = Console(stdin="y\n", stdin_tty=False)
    assert piped.run("remove", "--repo", REPOS[0]) == 2
    assert "there is no terminal to ask" in piped.err.getvalue()

    declined = Console(stdin="n\n", stdin_tty=True)
    assert declined.run("remove", "--repo", REPOS[0]) in (None, 0)
    assert "Delete 4 secrets from 1 target? [y/N]: " in declined.err.getvalue()
    assert "nothing deleted" in declined.err.getvalue()
    stored = world.sandbox.secrets(f"repos/{REPOS[0]}/actions")
    assert {n: s.value for n, s in stored.items()} == issued

    # Nothing said about stdin: the stream itself is asked, and says it is a terminal.
    confirmed = Console(stdin="y\n", stdin_type=TerminalLike)
    assert confirmed.run("remove", "--repo", REPOS[0]) in (None, 0)
    assert world.sandbox.secrets(f"repos/{REPOS[0]}/actions") == {}
    nothing_on_the_process_streams(capsys)


def test_a_context_made_before_cli_runner_swaps_the_streams_prints_into_its_capture(
    world: World,
) -> None:
    """Streams not handed in are the process's at each use, not when the context was made."""
    world.seed_token()
    made_first = Context(environ=dict(os.environ))
    result = CliRunner().invoke(
        app, ["push", "--repo", REPOS[0], "--profile", "ci", "--dry-run"], obj=made_first
    )
    assert result.exit_code == 0, result.stderr
    assert "dry run: nothing was written" in result.stdout
    two = ["push", "--repo", REPOS[0], "--repo", REPOS[1], "--profile", "ci"]
    pushed = CliRunner().invoke(app, two, obj=Context(environ=dict(os.environ)))
    assert pushed.exit_code == 0, pushed.stderr
    assert "[2/2]" in pushed.stderr and "[2/2]" not in pushed.stdout  # stderr stays stderr
    assert_no_leak(
        result.stdout + result.stderr + pushed.stdout + pushed.stderr, world.secret_values()
    )


def test_export_writes_the_credentials_to_the_contexts_stdout_alone(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """The one command that prints credentials: on its context's stdout, nowhere else."""
    world.seed_token()
    export = Console()
    assert export.run("export", "--profile", "ci", "--format", "env") in (None, 0)
    issued = issued_as_secrets(world)
    assert f"export AWS_ACCESS_KEY_ID={issued['AWS_ACCESS_KEY_ID']}\n" in export.out.getvalue()
    assert_no_leak(export.err.getvalue(), world.secret_values())
    nothing_on_the_process_streams(capsys)


def test_the_demo_says_everything_on_the_contexts_streams(
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = Console()
    assert demo.run("demo") in (None, 0)
    assert "throwaway AWS config:" in demo.err.getvalue()
    assert demo.out.getvalue()
    nothing_on_the_process_streams(capsys)
