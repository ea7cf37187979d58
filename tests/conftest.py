"""Shared fixtures: an isolated environment for every test, and a running sandbox.

Every test gets its own HOME and AWS config and no inherited AWS_*, GH_*, GITHUB_*, XDG_* or
SSO_SYNC_* variables (so sso-sync's state directory is under that HOME),
so nothing here can read or write the developer's real ~/.aws or use their tokens.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sso_sync.cli.app import app
from sso_sync.sandbox import Sandbox, SandboxConfig
from tests.support.world import World, assert_no_leak, write_config

# Prism and its session sandbox for the contract tests: registered here, once, so that Prism
# starts once per session however many modules use it.
pytest_plugins = ["tests.support.prism", "tests.support.parallel", "tests.support.process_state"]


@pytest.fixture(autouse=True)
def isolated_env(
    inherited_state_unchanged: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    # inherited_state_unchanged first: it must see the environment as it is after monkeypatch
    # has undone this test's changes (tests/support/process_state.py).
    for name in list(os.environ):
        if name.startswith(("AWS_", "GH_", "GITHUB_", "XDG_", "SSO_SYNC_")) or name in (
            "CI",
            "NO_COLOR",
        ):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    # `gh` on this machine must never supply a real token to a test.
    monkeypatch.setenv("GH_CONFIG_DIR", str(tmp_path / "gh-config"))
    monkeypatch.setenv("BROWSER", "true")
    # A sign-in without a flow flag picks the flow from these; tests must not depend on the
    # developer's desktop or SSH session (on Linux, none of them means "device code", as in CI).
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0)


@pytest.fixture
def sandbox(sandbox_config: SandboxConfig) -> Iterator[Sandbox]:
    with Sandbox(sandbox_config) as sb:
        yield sb


@pytest.fixture
def world(sandbox: Sandbox, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    write_config(isolated_env, sandbox)
    return World(sandbox=sandbox, home=isolated_env)


@pytest.fixture
def run(world: World):
    """Invoke the CLI in-process; asserts after every call that no secret leaked."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, extra_secrets: set[str] | None = None):
        before = world.secret_values()  # a command may delete or replace what it used
        result = runner.invoke(app, list(args), input=input)
        assert_no_leak(
            result.stdout + result.stderr,
            before | world.secret_values() | (extra_secrets or set()),
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke
