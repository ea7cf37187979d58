"""The session budget in `status`, and `login --new-session` (sso:Logout first)."""

from __future__ import annotations

import json

from tests.support.world import World


def test_status_says_until_when_unattended_pushes_can_go_on(world: World, run) -> None:
    entry = world.seed_token()
    result = run("status", "--profile", "ci", "--json")
    assert result.exit_code == 0, result.stderr
    budget = json.loads(result.stdout)["session_budget"]
    assert budget["until"] == entry["registrationExpiresAt"]
    assert budget["limited_by"] == "the client registration"
    assert "no API reveals" in budget["note"]
    human = run("status", "--profile", "ci")
    assert f"unattended    at most until {entry['registrationExpiresAt']}" in human.stdout


def test_a_refresh_token_end_recorded_in_the_cache_limits_the_budget(world: World, run) -> None:
    entry = world.seed_token()
    entry["refreshTokenExpiresAt"] = "2026-12-01T00:00:00Z"
    world.token_file().write_text(json.dumps(entry))
    budget = json.loads(run("status", "--profile", "ci", "--json").stdout)["session_budget"]
    assert budget == {**budget, "until": "2026-12-01T00:00:00Z", "limited_by": "the refresh token"}


def test_without_a_refresh_token_the_budget_is_the_access_token(world: World, run) -> None:
    entry = world.seed_token(refreshable=False)
    budget = json.loads(run("status", "--profile", "ci", "--json").stdout)["session_budget"]
    assert budget["until"] == entry["expiresAt"]
    assert budget["limited_by"].startswith("the access token")


def test_login_new_session_signs_out_first_then_signs_in(world: World, run) -> None:
    old = world.seed_token()["accessToken"]
    world.sandbox.clear_requests()
    result = run("login", "--profile", "ci", "--new-session", "--use-device-code", "--no-browser")
    assert result.exit_code == 0, result.stderr
    operations = [r.operation for r in world.sandbox.requests if r.service != "github"]
    assert operations[0] == "Logout"
    assert "CreateToken" in operations[1:]
    with world.sandbox._hub.lock:
        assert not world.sandbox._aws.state.access_tokens[old].valid
    new = json.loads(world.token_file().read_text())["accessToken"]
    assert new != old
    assert "Signed out of the previous session" in result.stderr
