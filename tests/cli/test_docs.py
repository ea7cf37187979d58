"""Every command and option has help text and appears in the README; the README's set-up
commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from sso_sync.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _commands() -> dict[str, Any]:
    # typer carries its own copy of click, so this goes by shape rather than by class.
    group = typer.main.get_command(app)
    return {"": group, **group.commands}  # type: ignore[attr-defined]


def test_every_command_and_option_is_documented() -> None:
    for name, command in _commands().items():
        if name:
            assert command.help, f"command {name} has no help"
            assert f"sso-sync {name}" in README, f"README does not mention `sso-sync {name}`"
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"{name} {param.opts} has no help"
                # As a word of its own: `-e` inside `--env` or `-ee` does not count.
                assert any(
                    re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", README) for opt in param.opts
                ), f"{param.opts} not in README"


def test_readme_starts_with_the_two_set_up_commands_and_ci_runs_the_second() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert block[0].endswith("sso-sync demo")
    test_command = block[1].split("&& ")[-1]
    assert test_command in (ROOT / ".ci" / "run").read_text()
