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


def test_every_subpackage_map_names_each_of_its_modules() -> None:
    """Each subpackage's `__init__` opens with a map of its modules: a module added without a
    line there is one a newcomer cannot find."""
    import ast

    src = ROOT / "src" / "sso_sync"
    for package in (
        "aws",
        "aws/signin",
        "github",
        "action",
        "cli",
        "keepfresh",
        "keepfresh/schedule",
    ):
        init = src / package / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        for module in sorted((src / package).glob("*.py")):
            if module.stem != "__init__":
                assert f"`{module.stem}`" in doc, f"{init} does not name `{module.stem}`"


def test_every_command_module_is_registered_once() -> None:
    from sso_sync.cli.app import COMMANDS, command_function

    modules = {target.split(":")[0] for _, target, _ in COMMANDS}
    for _, target, _ in COMMANDS:
        assert callable(command_function(target)), target
    on_disk = {p.stem for p in (ROOT / "src" / "sso_sync" / "cli" / "commands").glob("*.py")} - {
        "__init__"
    }
    assert modules == on_disk
    names = [name for name, _, _ in COMMANDS]
    assert len(names) == len(set(names))


def test_contributing_names_only_paths_that_exist() -> None:
    import re

    text = (ROOT / "CONTRIBUTING.md").read_text()
    for path in re.findall(r"`((?:src|tests|benchmarks)/[\w/.]+)`", text):
        assert (ROOT / path).exists(), path


def test_every_schedule_action_is_in_the_command_table() -> None:
    from sso_sync.cli.commands.schedule import ACTIONS

    row = next(ln for ln in README.splitlines() if ln.startswith("| `sso-sync schedule "))
    usage = row.split("`")[1]
    for action in ACTIONS:
        assert re.search(rf"(?<![\w-]){action}(?![\w-])", usage), f"schedule {action}"
