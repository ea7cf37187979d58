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


def _command_rows() -> dict[str, str]:
    """The README's command table: the row's first cell, by command name."""
    rows = {}
    for line in README.splitlines():
        found = re.match(r"\| `sso-sync ([a-z-]+)(.*?)` \|", line)
        if found:
            rows.setdefault(found[1], found[0])
    return rows


# Options a row may leave out: the target block (`[TARGETS]`: the Targets, Config file and
# GitHub App sections describe it).
TARGET_BLOCK = {"--repo", "--env", "--org", "--visibility", "--selected-repo", "--user", "--app"}
TARGET_BLOCK |= {"--config", "--exclude", "--concurrency", "--api-url", "--github-app-id"}
TARGET_BLOCK |= {"--github-app-key", "--github-app-installation-id"}


def test_each_command_row_lists_the_commands_own_options() -> None:
    rows = _commands()
    table = _command_rows()
    for name, command in rows.items():
        if not name or name == "watch":  # watch's row refers to push's options
            continue
        row = table[name]
        for param in command.params:
            opts = [o for o in param.opts if o.startswith("--")]
            if param.param_type_name != "option" or param.name == "help" or not opts:
                continue
            if set(opts) & TARGET_BLOCK:
                continue
            assert any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", row) for o in opts), (
                f"the README row of {name} lacks {opts[0]}"
            )


def test_the_readme_states_each_timeout_default() -> None:
    """One default in the One deadline paragraph; a command with another is named there."""
    stated = re.search(r"`--timeout` \(default (\d+) s([^)]*)\)", README)
    assert stated is not None
    for name, command in _commands().items():
        for param in command.params:
            if "--timeout" in getattr(param, "opts", []):
                default = int(param.default)
                if default != int(stated[1]):
                    assert f"`{name}` {default} s" in stated[2], (name, default)


def test_the_readme_node_version_meets_every_test_peers_engines() -> None:
    """`npm ci` warns EBADENGINE when a peer asks for a newer Node than the README says (Prism
    5.16 asks for 24.18); CI's Node is the README's too."""
    import json

    stated = re.search(r"Node\.js (\d+)\.(\d+) or newer", README)
    assert stated is not None, "the README states no Node.js version"
    readme = (int(stated[1]), int(stated[2]))
    lock = json.loads((ROOT / "tests" / "package-lock.json").read_text())
    for name, package in lock["packages"].items():
        wanted = (package.get("engines") or {}).get("node", "")
        if isinstance(wanted, str) and "||" not in wanted:
            floor = re.fullmatch(r">=\s*(\d+)(?:\.(\d+))?(?:\.\d+)?", wanted.strip())
            if floor:
                assert readme >= (int(floor[1]), int(floor[2] or 0)), (name, wanted)
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        for major in re.findall(r'node-version: "(\d+)"', workflow.read_text()):
            assert int(major) >= readme[0], (workflow.name, major)
