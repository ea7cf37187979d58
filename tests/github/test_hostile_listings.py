"""Answers that only a broken or hostile server gives (issue #23, security items 9 and 12):
repository names GitHub never gives are not pushed to or printed, and an organization secret's
selected repositories are not followed past what GitHub allows."""

from __future__ import annotations

import json

import pytest

from sso_sync.github.org_visibility import MAX_SELECTED, PAGE
from sso_sync.sandbox import SandboxConfig
from tests.support.world import World

ORG = "octo-org"


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        device_interval=0,
        repos={f"{ORG}/svc-a": [], f"{ORG}/app": [], "other-org/x": []},
        orgs=[ORG, "other-org"],
    )


@pytest.mark.parametrize("name", ["svc-a/../../other-org/x", "..", "svc-\nfake", "svc-\u202ex"])
def test_a_listed_name_github_never_gives_is_neither_pushed_to_nor_printed(
    world: World, run, name: str
) -> None:
    world.seed_token()
    listing = [
        {"name": "svc-a", "owner": {"login": ORG}, "archived": False},
        {"name": name, "owner": {"login": ORG}, "archived": False},
    ]
    world.sandbox.inject_fault(
        "github", "GET", rf"^/orgs/{ORG}/repos$", 200, times=-1,
        headers={"Content-Type": "application/json"}, raw_body=json.dumps(listing).encode(),
    )  # fmt: skip
    world.sandbox.clear_requests()
    result = run("push", "--repo", f"{ORG}/*", "-p", "ci")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "is not a repository name GitHub gives" in result.stderr
    assert [r for r in world.sandbox.requests if r.method == "PUT"] == []
    assert world.sandbox.secrets("repos/other-org/x/actions") == {}
    assert "\u202e" not in result.stdout + result.stderr
    assert "\nfake" not in result.stdout + result.stderr


def test_selected_repositories_are_not_followed_past_what_github_allows(world: World, run) -> None:
    """A server that says a secret is shared with 20 000 repositories, in full pages: the
    target fails after the first page, not 200 requests (and many MiB) later."""
    world.seed_token()
    assert run("push", "--org", ORG, "--visibility", "selected", "--selected-repo", f"{ORG}/app",
        "-p", "ci").exit_code == 0  # fmt: skip
    page = {"total_count": 2 * MAX_SELECTED, "repositories": [{"id": i + 1} for i in range(PAGE)]}
    world.sandbox.inject_fault(
        "github", "GET", rf"^/orgs/{ORG}/actions/secrets/AWS_[A-Z_]+/repositories$", 200,
        times=-1, body=page,
    )  # fmt: skip
    world.sandbox.clear_requests()
    result = run("push", "--org", ORG, "-p", "ci")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert f"over {MAX_SELECTED} repositories" in result.stdout + result.stderr
    pages = [r for r in world.sandbox.requests if r.path.endswith("/repositories")]
    assert 0 < len(pages) <= 4, len(pages)  # one per secret at most
    assert not [r for r in world.sandbox.requests if r.method == "PUT"]
