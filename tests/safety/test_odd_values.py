"""Values that were internal errors (exit 1 with a traceback at --debug) and are bad input
(issue #23, security item 11): each is exit 2, one line naming it and the fix, nothing sent."""

from __future__ import annotations

import pytest

from tests.support.world import World

REPO = "octo-org/app"


@pytest.mark.parametrize("token", ["ghp_abc\r\nX-Evil: 1", "ghp_abc\ndef", "ghp_a b", "ghp_\x07x"])
def test_a_github_token_holding_a_line_break_is_exit_2(
    world: World, run, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    monkeypatch.setenv("GH_TOKEN", token)
    world.sandbox.clear_requests()
    result = run("list", "--repo", REPO, extra_secrets={token})
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "the GitHub token from GH_TOKEN holds a line break" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert [r for r in world.sandbox.requests if r.service == "github"] == []


def test_a_state_file_nested_past_any_limit_is_exit_2(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--repo", REPO, "-p", "ci").exit_code == 0
    state = world.home / ".local" / "state" / "sso-sync" / "targets.json"
    state.write_text("[" * 100_000 + "]" * 100_000)
    result = run("push", "--repo", REPO, "-p", "ci", "--min-remaining", "30m")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"{state} is nested too deeply" in result.stderr and "move it away" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
