"""A session that IAM Identity Center ended early (revoked, signed out elsewhere) while the
cache file still says it is valid: `login` asks the server before reusing it and signs in anew
when refused; `push` at a terminal signs in inline. No loop of "run sso-sync login" /
"Already signed in"."""

from __future__ import annotations

import json
import os

from tests.support.tty import run_sso_sync
from tests.support.world import World, assert_no_leak, issued_as_secrets

REPO = "octo-org/app"


def sso_calls(world: World) -> list[tuple[str, int]]:
    return [(r.operation, r.status) for r in world.sandbox.requests if r.service == "sso"]


def test_login_checks_a_live_token_with_one_list_accounts_call(world: World, run) -> None:
    world.seed_token(expires_in=3600)
    result = run("login", "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert "Already signed in" in result.stderr
    assert sso_calls(world) == [("ListAccounts", 200)]
    (call,) = [r for r in world.sandbox.requests if r.operation == "ListAccounts"]
    assert call.path == "/assignment/accounts"


def test_login_signs_in_anew_when_the_live_token_is_refused(world: World, run) -> None:
    seeded = world.seed_token(expires_in=3600)
    world.sandbox.revoke_access_tokens()
    result = run("login", "--profile", "ci", "--use-device-code", "--no-browser")
    assert result.exit_code == 0, result.stderr
    assert "no longer accepts the cached sign-in" in result.stderr
    assert "Signed in to sso-session 'corp' (profile 'ci')" in result.stderr
    assert "Already signed in" not in result.stderr
    entry = json.loads(world.token_file("corp").read_text())
    assert entry["accessToken"] != seeded["accessToken"]
    # ... and that token works.
    assert run("push", "--repo", REPO, "--profile", "ci").exit_code == 0


def test_push_without_a_terminal_says_sign_in_and_login_then_fixes_it(world: World, run) -> None:
    world.seed_token(expires_in=3600)
    world.sandbox.revoke_access_tokens()
    first = run("push", "--repo", REPO, "--profile", "ci")
    assert first.exit_code == 3
    assert "sso-sync login" in first.stderr
    login = run("login", "--profile", "ci", "--use-device-code", "--no-browser")
    assert login.exit_code == 0 and "Already signed in" not in login.stderr
    assert run("push", "--repo", REPO, "--profile", "ci").exit_code == 0


def test_push_at_a_terminal_signs_in_inline_when_the_token_is_refused(world: World) -> None:
    world.seed_token(expires_in=3600)
    world.sandbox.revoke_access_tokens()
    env = {**os.environ, "TERM": "xterm"}
    out = run_sso_sync(
        "push", "--repo", REPO, "--profile", "ci", env=env, stdin_tty=True, stderr_tty=False
    )
    assert out.returncode == 0, out.stderr
    assert "no longer accepts the cached sign-in" in out.stderr
    assert "Signed in to sso-session 'corp' (profile 'ci')" in out.stderr
    stored = {n: s.value for n, s in world.sandbox.secrets(f"repos/{REPO}/actions").items()}
    assert stored == issued_as_secrets(world)
    assert_no_leak(out.stdout + out.stderr + out.terminal, world.secret_values())
