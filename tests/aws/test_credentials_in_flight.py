"""A push asks IAM Identity Center for the role credentials as it starts, in the background, so
that the round trip overlaps the GitHub side's own (the selected repositories' ids, the public
keys) instead of following it; and whatever that early request meets is reported as before."""

from __future__ import annotations

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.faults import role_refused
from tests.support.world import World, issued_as_secrets

ORG = "octo-org"
SELECTED = "octo-org/api"
LATENCY = 0.5


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0, repos={SELECTED: []}, orgs=[ORG])


def _arrivals(world: World) -> list[str]:
    requests = sorted(world.sandbox.requests, key=lambda r: r.started)
    return [r.operation or f"{r.method} {r.path}" for r in requests]


def test_role_credentials_are_asked_for_while_github_answers_the_first_lookup(
    world: World, run
) -> None:
    world.seed_token()
    # The sandbox holds every answer LATENCY seconds after the request arrives. The selected
    # repository's id is looked up (one round trip) before the key fetch; a push that asked
    # for the credentials only once the keys were on their way would send GetRoleCredentials
    # after that answer, not while it is held.
    world.sandbox.set_latency(LATENCY)
    world.sandbox.clear_requests()
    result = run("push", "--org", ORG, "--selected-repo", SELECTED, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    requests = world.sandbox.requests
    (lookup,) = [r for r in requests if r.path == f"/repos/{SELECTED}"]
    (asked,) = [r for r in requests if r.operation == "GetRoleCredentials"]
    assert asked.started < lookup.started + LATENCY, _arrivals(world)
    stored = {n: s.value for n, s in world.sandbox.secrets(f"orgs/{ORG}/actions").items()}
    assert stored == issued_as_secrets(world)


def test_an_early_refusal_is_the_push_error_and_nothing_is_written(world: World, run) -> None:
    world.seed_token()
    role_refused(world.sandbox)
    result = run("push", "--org", ORG, "--selected-repo", SELECTED, "--profile", "ci")
    assert result.exit_code != 0
    assert "is not assigned to you" in result.stderr, result.stderr
    assert not world.sandbox.secrets(f"orgs/{ORG}/actions")
    assert not any(r.method == "PUT" for r in world.sandbox.requests)


def test_with_min_remaining_nothing_is_asked_for_fresh_targets(world: World, run) -> None:
    world.seed_token()
    argv = ["push", "--org", ORG, "--selected-repo", SELECTED, "--profile", "ci"]
    assert run(*argv).exit_code == 0
    world.sandbox.clear_requests()
    again = run(*argv, "--min-remaining", "5m")
    assert again.exit_code == 0, again.stderr
    assert "fresh" in again.stdout + again.stderr
    assert "GetRoleCredentials" not in _arrivals(world)
