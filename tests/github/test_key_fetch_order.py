"""How a push spends its round trips to GitHub: every key fetch is made before the writes
start, none left to a write that would hold its target's other writes waiting."""

from __future__ import annotations

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.world import NAMES, World

REPOS = [f"octo-org/app-{i}" for i in range(5)]


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0, repos={r: [] for r in REPOS})


def test_every_key_is_fetched_before_the_first_write_even_when_the_credentials_come_first(
    world: World, run
) -> None:
    world.seed_token()
    # 2 in flight and 50 ms a request: GetRoleCredentials is back after one round, while the
    # 5 key fetches need three. The writes still wait for the last key.
    world.sandbox.set_latency(0.05)
    world.sandbox.clear_requests()
    targets = [arg for repo in REPOS for arg in ("--repo", repo)]
    result = run("push", *targets, "--profile", "ci", "--concurrency", "2")
    assert result.exit_code == 0, result.stderr
    github = sorted(
        (r for r in world.sandbox.requests if r.service == "github"), key=lambda r: r.started
    )
    methods = [r.method for r in github]
    assert methods.count("GET") == len(REPOS)
    assert methods == ["GET"] * len(REPOS) + ["PUT"] * len(REPOS) * len(NAMES), methods
