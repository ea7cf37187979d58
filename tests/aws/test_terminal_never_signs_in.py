"""`export --format credential-process` and `status` never sign in, even with a person at a
terminal: botocore runs `credential_process` with the user's terminal as stdin, and `status`
only reports. Without a terminal nothing could sign in anyway, so these run on a real pty."""

from __future__ import annotations

import os

import pytest

from tests.support.tty import run_sso_sync
from tests.support.world import World, assert_no_leak


def sign_in_calls(world: World) -> list[str]:
    return [r.operation for r in world.sandbox.requests if r.service == "sso-oidc"]


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--profile", "ci", "--format", "credential-process"],
        ["status", "--profile", "ci"],
    ],
    ids=["credential-process", "status"],
)
def test_no_sign_in_starts_at_a_terminal(world: World, args: list[str]) -> None:
    # No token cached: the interactive commands would sign in here (the sandbox approves at
    # once), so a sign-in would succeed, and exit 0, instead of saying what to run.
    result = run_sso_sync(*args, env=os.environ, stdin_tty=True, stderr_tty=True, timeout=60)
    assert result.returncode == 3, result.terminal
    assert "sso-sync login --profile ci" in result.terminal
    assert sign_in_calls(world) == []
    assert not world.token_file("corp").exists()
    assert_no_leak(result.stdout + result.terminal, world.secret_values())


def test_the_same_terminal_does_sign_in_for_export_env(world: World) -> None:
    """The control: at this very terminal an interactive export does sign in, so the test
    above would see one if credential-process allowed it."""
    result = run_sso_sync(
        "export",
        "--profile",
        "ci",
        "--format",
        "env",
        env=os.environ,
        stdin_tty=True,
        stderr_tty=True,
        timeout=60,
    )
    assert "CreateToken" in sign_in_calls(world), result.terminal
