"""`push --expiration-variable NAME`: the expiry as a plain Actions variable, so the verify
action's `expires-at` is no secret and reaches `needs:` jobs."""

from __future__ import annotations

import json

import pytest

from tests.support.world import World

REPO = "octo-org/app"
SCOPE = f"repos/{REPO}/actions"
VAR = "AWS_CREDENTIAL_EXPIRATION"


def github_requests(world: World) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in world.sandbox.requests if r.service == "github"]


def variable_requests(world: World) -> list[tuple[str, str, int]]:
    return [r for r in github_requests(world) if "/variables" in r[1]]


def test_first_push_creates_the_variable_and_later_pushes_update_it_in_one_request(
    world: World, run
) -> None:
    world.seed_token()
    first = run("push", "--repo", REPO, "--profile", "ci", "--expiration-variable", VAR)
    assert first.exit_code == 0, first.stderr
    expiry = world.sandbox.secrets(SCOPE)[VAR].value
    assert world.sandbox.variables(SCOPE) == {VAR: expiry}
    assert f"{REPO}: variable {VAR} created ({expiry})" in first.stderr
    assert variable_requests(world) == [
        ("PATCH", f"/{SCOPE}/variables/{VAR}", 404),
        ("POST", f"/{SCOPE}/variables", 201),
    ]

    world.sandbox.clear_requests()
    second = run("push", "--repo", REPO, "--profile", "ci", "--expiration-variable", VAR)
    assert second.exit_code == 0, second.stderr
    new_expiry = world.sandbox.secrets(SCOPE)[VAR].value
    assert world.sandbox.variables(SCOPE) == {VAR: new_expiry}
    assert variable_requests(world) == [("PATCH", f"/{SCOPE}/variables/{VAR}", 204)]


def test_json_output_is_unchanged_and_the_variable_line_goes_to_stderr(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", REPO, "--profile", "ci", "--json", "--expiration-variable", "X")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert world.sandbox.variables(SCOPE) == {"X": report["expiration"]}


@pytest.mark.parametrize("name", ["GITHUB_EXPIRY", "1ST", "has-dash"])
def test_a_bad_variable_name_exits_2_before_anything_is_written(
    world: World, run, name: str
) -> None:
    world.seed_token()
    result = run("push", "--repo", REPO, "--profile", "ci", "--expiration-variable", name)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert github_requests(world) == []
    assert world.sandbox.secrets(SCOPE) == {}


def test_dry_run_says_it_would_set_the_variable_and_writes_nothing(world: World, run) -> None:
    world.seed_token()
    result = run(
        "push", "--repo", REPO, "--profile", "ci", "--dry-run", "--expiration-variable", VAR
    )
    assert result.exit_code == 0, result.stderr
    assert f"would also set Actions variable {VAR}" in result.stderr
    assert world.sandbox.variables(SCOPE) == {}
    assert not [r for r in github_requests(world) if r[0] != "GET"]


def test_a_token_without_variables_permission_fails_after_the_secrets_landed(
    world: World, run
) -> None:
    world.seed_token()
    world.sandbox.inject_fault("github", "PATCH", r"/variables/", 403, times=-1)
    result = run("push", "--repo", REPO, "--profile", "ci", "--expiration-variable", VAR)
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    assert f"{REPO}: setting variable {VAR}" in line
    assert "Variables read/write" in line
    assert len(world.sandbox.secrets(SCOPE)) == 4
    assert world.sandbox.variables(SCOPE) == {}


def test_verify_accepts_what_push_stored_in_secrets_and_the_variable(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole loop: push, then verify with exactly what GitHub holds, expiry from vars."""
    world.seed_token()
    pushed = run("push", "--repo", REPO, "--profile", "ci", "--expiration-variable", "EXP")
    assert pushed.exit_code == 0, pushed.stderr
    stored = world.sandbox.secrets(SCOPE)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, stored[name].value)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", world.sandbox.variables(SCOPE)["EXP"])
    result = run("verify", "--min-remaining", "30m", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["expires_at"] == stored["AWS_CREDENTIAL_EXPIRATION"].value
