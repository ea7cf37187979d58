"""A config file decides where credentials go: discovery stops at the git root or HOME, a file
others could have written is refused, and a discovered file is used only once confirmed at a
terminal (remembered by path and content hash), or when named with --config."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from sso_sync.config_trust import remember
from tests.support.tty import run_sso_sync
from tests.support.world import World

REPO = "octo-org/app"
CONFIG = f'[sets.prod]\nprofile = "ci"\ntargets = [{{ repo = "{REPO}" }}]\n'
HOSTILE_PYPROJECT = (
    '[project]\nname = "cloned"\n\n[tool.sso-sync.sets.x]\nprofile = "ci"\n'
    'targets = [{ repo = "attacker-org/loot" }]\n'
)


def _trust_file(home: Path) -> Path:
    return home / ".local" / "state" / "sso-sync" / "trusted-configs.json"


def test_discovery_stops_at_the_git_root(world: World, run, tmp_path, monkeypatch) -> None:
    world.seed_token()
    outer = tmp_path / "outer"
    (outer / "repo" / ".git").mkdir(parents=True)
    (outer / "repo" / "sub").mkdir()
    (outer / "sso-sync.toml").write_text(CONFIG)
    remember(outer / "sso-sync.toml", os.environ)
    monkeypatch.chdir(outer / "repo" / "sub")
    result = run("push", "-p", "ci")
    assert result.exit_code == 2
    assert "no targets" in result.stderr
    (outer / "repo" / "sso-sync.toml").write_text(CONFIG)  # at the root itself: found
    remember(outer / "repo" / "sso-sync.toml", os.environ)
    assert run("push", "-p", "ci").exit_code == 0


def test_discovery_stops_at_home(world: World, run, monkeypatch) -> None:
    world.seed_token()
    above = world.home.parent / "sso-sync.toml"
    above.write_text(CONFIG)
    remember(above, os.environ)
    (world.home / "project").mkdir()
    monkeypatch.chdir(world.home / "project")
    result = run("push", "-p", "ci")
    assert result.exit_code == 2
    assert "no targets" in result.stderr
    assert world.sandbox.requests == []


def test_a_cloned_pyproject_is_not_used_unattended(world: World, run, tmp_path, monkeypatch):
    world.seed_token()
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    (clone / "pyproject.toml").write_text(HOSTILE_PYPROJECT)
    monkeypatch.chdir(clone)
    result = run("push")
    assert result.exit_code == 2
    assert str(clone / "pyproject.toml") in result.stderr
    assert "--config" in result.stderr and "confirm" in result.stderr
    assert world.sandbox.requests == []
    # Named explicitly, it is the user's choice, and the file is named.
    result = run("push", "--config", str(clone / "pyproject.toml"))
    assert result.exit_code == 1  # the loot repository does not exist in the sandbox
    assert f"Using sets from {clone / 'pyproject.toml'}" in result.stderr


def test_confirmed_once_at_a_terminal_then_remembered_until_it_changes(
    world: World, tmp_path: Path
) -> None:
    world.seed_token()
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    config = project / "sso-sync.toml"
    config.write_text(CONFIG)
    env = dict(os.environ)

    declined = run_sso_sync(
        "push", env=env, stdin_tty=True, stderr_tty=True, typed="n\n", cwd=project
    )
    assert declined.returncode == 2, declined.terminal
    assert REPO in declined.terminal and "profile ci" in declined.terminal  # the plan, shown
    assert world.sandbox.secrets(f"repos/{REPO}/actions") == {}

    accepted = run_sso_sync(
        "push", "--json", env=env, stdin_tty=True, stderr_tty=True, typed="y\n", cwd=project
    )
    assert accepted.returncode == 0, accepted.terminal
    assert json.loads(accepted.stdout)["config_file"] == str(config)
    assert len(world.sandbox.secrets(f"repos/{REPO}/actions")) == 4
    memory = _trust_file(world.home)
    assert str(memory) in accepted.terminal
    assert stat.S_IMODE(memory.stat().st_mode) == 0o600
    assert stat.S_IMODE(memory.parent.stat().st_mode) == 0o700

    again = run_sso_sync("push", env=env, stdin_tty=False, stderr_tty=False, cwd=project)
    assert again.returncode == 0, again.stderr
    assert f"Using sets from {config}" in again.stderr

    config.write_text(CONFIG.replace(REPO, "attacker-org/loot"))
    changed = run_sso_sync("push", env=env, stdin_tty=False, stderr_tty=False, cwd=project)
    assert changed.returncode == 2
    assert "has not been confirmed (or has changed since)" in changed.stderr


def test_xdg_state_home_is_honoured(world: World, run, tmp_path, monkeypatch) -> None:
    world.seed_token()
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    config = tmp_path / "p" / "sso-sync.toml"
    config.parent.mkdir()
    config.write_text(CONFIG)
    remember(config, os.environ)
    assert (state / "sso-sync" / "trusted-configs.json").is_file()
    monkeypatch.chdir(config.parent)
    assert run("push").exit_code == 0


@pytest.mark.parametrize("how", ["discovered", "--config"])
def test_a_file_of_another_user_is_refused(world: World, run, tmp_path, monkeypatch, how) -> None:
    config = tmp_path / "p" / "sso-sync.toml"
    config.parent.mkdir()
    config.write_text(CONFIG)
    os.chown(config, 4242, 4242)
    monkeypatch.chdir(config.parent)
    result = run("push", *(["--config", str(config)] if how == "--config" else []))
    assert result.exit_code == 2
    assert "owned by another user" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_file_in_a_directory_others_can_write_is_refused(world: World, run, tmp_path) -> None:
    world.seed_token()
    shared = tmp_path / "shared"
    shared.mkdir()
    config = shared / "sso-sync.toml"
    config.write_text(CONFIG)
    shared.chmod(0o777)
    result = run("push", "--config", str(config))
    assert result.exit_code == 2
    assert "directory others can write" in result.stderr
    shared.chmod(0o1777)  # sticky, as /tmp: others cannot replace our file
    assert run("push", "--config", str(config)).exit_code == 0
    config.chmod(0o666)
    assert "others can write" in run("push", "--config", str(config)).stderr


def test_list_and_remove_name_the_file(world: World, run, tmp_path) -> None:
    world.seed_token()
    config = tmp_path / "sso-sync.toml"
    config.write_text(CONFIG)
    assert run("push", "--config", str(config)).exit_code == 0
    for args in (["list", "--json"], ["remove", "--yes", "--json"]):
        result = run(*args, "--config", str(config))
        assert result.exit_code == 0, result.stderr
        assert f"Using sets from {config}" in result.stderr
        assert json.loads(result.stdout)["config_file"] == str(config)
    flags = run("list", "--repo", REPO, "--json")
    assert json.loads(flags.stdout)["config_file"] is None
    assert "Using sets" not in flags.stderr


def test_the_confirmation_lists_patterns_excludes_and_the_app_and_escapes_names(
    world: World, tmp_path: Path
) -> None:
    """A pattern reaches every repository it matches, so the prompt spells it out with its
    excludes and the App it signs in as; a newline in a set name cannot fake a line of it."""
    world.seed_token()
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    world.app_key_file(project)
    fake = "prod\\n  set fake: credentials of profile ci to\\n    octo-org/harmless"
    (project / "sso-sync.toml").write_text(
        f'[sets."{fake}"]\nprofile = "ci"\ngithub-app-id = 31337\ngithub-app-key = "app.pem"\n'
        'targets = [{ repo = "octo-org/*", exclude = ["*-old", "legacy-*"], env = "prod" }]\n'
    )
    shown = run_sso_sync(
        "push", env=dict(os.environ), stdin_tty=True, stderr_tty=True, typed="n\n", cwd=project
    )
    assert shown.returncode == 2, shown.terminal
    plan = shown.terminal.replace("\r\n", "\n")
    assert "every repository of octo-org matching * (secrets, environments prod)" in plan
    assert "except those matching *-old, legacy-*" in plan
    assert f"as GitHub App 31337, with the key in {project / 'app.pem'}" in plan
    assert "set prod\\n  set fake: credentials of profile ci to\\n    octo-org/harmless:" in plan
    assert "\n  set fake:" not in plan and "\n    octo-org/harmless\n" not in plan
    assert world.sandbox.requests == []
