"""`--help` reads well: named metavars instead of typer's type labels, one line per command,
and the exit-code table as a table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from sso_sync.cli.app import app
from sso_sync.errors import EXIT_CODES

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
TYPE_LABEL = re.compile(r"<(?:str|int|float|path|bool|list\[[^\]]*\]|[a-z]+ range)>")


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_names_every_value_instead_of_its_type(command: str) -> None:
    result = CliRunner().invoke(app, [*command.split(), "--help"], terminal_width=100)
    assert result.exit_code == 0
    assert not TYPE_LABEL.findall(result.stdout), result.stdout
    assert "[[" not in result.stdout


def test_top_level_help_has_one_whole_line_per_command_and_a_compact_exit_table() -> None:
    out = CliRunner().invoke(app, ["--help"], terminal_width=80).stdout
    listed = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in listed] == list(
        typer.main.get_command(app).commands  # type: ignore[attr-defined]
    )
    assert not [line for line in listed if line.endswith("...")]
    table = out.split("Exit codes:\n", 1)[1].strip().splitlines()
    assert [line.strip() for line in table] == [f"{c}: {m}" for c, m in EXIT_CODES.items()]


HELP_GOLDEN = Path(__file__).parent / "golden" / "help"


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_text_is_as_recorded(command: str) -> None:
    """Each command's `--help`, byte for byte: a refactor must not change what users read, and
    a change on purpose updates the file (`UPDATE_GOLDEN=1`)."""
    import os

    result = CliRunner().invoke(app, [*command.split(), "--help"], terminal_width=100)
    golden = HELP_GOLDEN / f"{command or 'sso-sync'}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.stdout)
    assert result.stdout == golden.read_text()
