"""What the CLI does only at a terminal, shown with the real `sso-sync` on a pseudo-terminal
against the sandbox: rich progress for a multi-target push (plain lines without a terminal,
no colour under NO_COLOR), and signing in inline when a push finds no usable token (never in CI).
"""

from __future__ import annotations

import os

import pytest

from tests.support.tty import colour_codes, run_sso_sync, terminal_env
from tests.support.world import World, assert_no_leak, issued_as_secrets

REPOS = ("octo-org/app", "octo-org/api", "octo-org/web")
PUSH = ("push", *(a for r in REPOS for a in ("--repo", r)), "--profile", "ci", "--json")
# Rich hides the cursor while its live display runs and draws the bar with these characters.
HIDE_CURSOR = "\x1b[?25l"
BAR = "━"


def landed(world: World) -> None:
    issued = issued_as_secrets(world)
    for repo in REPOS:
        stored = world.sandbox.secrets(f"repos/{repo}/actions")
        assert {n: s.value for n, s in stored.items()} == issued, repo


def test_multi_target_push_on_a_terminal_shows_rich_progress_in_colour(world: World) -> None:
    world.seed_token()
    out = run_sso_sync(*PUSH, env=terminal_env(os.environ), stdin_tty=True, stderr_tty=True)
    assert out.returncode == 0, out.terminal
    landed(world)
    assert HIDE_CURSOR in out.terminal and BAR in out.terminal
    assert "pushing" in out.terminal
    assert colour_codes(out.terminal), "rich drew no colour on a colour terminal"
    assert "[1/3]" not in out.terminal  # the plain lines are for pipes and files
    assert '"ok": true' in out.stdout  # data still goes to stdout, untouched by the display
    assert_no_leak(out.stdout + out.terminal, world.secret_values())


def test_no_color_keeps_the_progress_but_drops_the_colour(world: World) -> None:
    world.seed_token()
    env = terminal_env(os.environ) | {"NO_COLOR": "1"}
    out = run_sso_sync(*PUSH, env=env, stdin_tty=True, stderr_tty=True)
    assert out.returncode == 0, out.terminal
    landed(world)
    assert HIDE_CURSOR in out.terminal and BAR in out.terminal
    assert colour_codes(out.terminal) == []
    assert_no_leak(out.stdout + out.terminal, world.secret_values())


def test_without_a_terminal_each_target_gets_a_plain_line(world: World) -> None:
    world.seed_token()
    out = run_sso_sync(*PUSH, env=terminal_env(os.environ), stdin_tty=False, stderr_tty=False)
    assert out.returncode == 0, out.stderr
    landed(world)
    lines = out.stderr.splitlines()
    assert sorted(line.split("] ", 1)[1] for line in lines) == sorted(
        f"{r}: created" for r in REPOS
    )
    assert sorted(line.split("]", 1)[0] for line in lines) == ["[1/3", "[2/3", "[3/3"]
    assert "\x1b[" not in out.stderr and BAR not in out.stderr
    assert_no_leak(out.stdout + out.stderr, world.secret_values())


def test_one_target_on_a_terminal_gets_no_progress_display(world: World) -> None:
    world.seed_token()
    args = ("push", "--repo", REPOS[0], "--profile", "ci")
    out = run_sso_sync(*args, env=terminal_env(os.environ), stdin_tty=True, stderr_tty=True)
    assert out.returncode == 0, out.terminal
    assert HIDE_CURSOR not in out.terminal and BAR not in out.terminal
    assert out.terminal == ""  # the summary is on stdout; nothing else to say
    assert "AWS_ACCESS_KEY_ID created" in out.stdout


# --- no usable token: sign in inline at a terminal, never without one or in CI --------------


@pytest.mark.parametrize("ci", [False, True], ids=["terminal", "terminal-in-CI"])
def test_push_without_a_token_signs_in_inline_at_a_terminal_but_not_in_ci(
    world: World, ci: bool
) -> None:
    """With no cached token the push must sign in and carry on at a terminal (device code
    here: no display, and the sandbox approves by itself), and exit 3 with `CI` set."""
    env = terminal_env(os.environ) | ({"CI": "true"} if ci else {})
    args = ("push", "--repo", REPOS[0], "--profile", "ci")
    out = run_sso_sync(*args, env=env, stdin_tty=True, stderr_tty=True)
    assert_no_leak(out.stdout + out.terminal, world.secret_values())
    scope = f"repos/{REPOS[0]}/actions"
    if ci:
        assert out.returncode == 3, out.terminal
        assert "sso-sync login --profile ci" in out.terminal
        assert world.sandbox.secrets(scope) == {}
        assert [r for r in world.sandbox.requests if r.service == "sso-oidc"] == []
        return
    assert out.returncode == 0, out.terminal
    assert "confirm the code" in out.terminal
    assert "Signed in to sso-session 'corp' (profile 'ci')" in out.terminal
    assert world.token_file("corp").is_file()
    stored = world.sandbox.secrets(scope)
    assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)
