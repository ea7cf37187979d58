"""Only the answers GitHub documents count as done: a 302 to a proxy's login page, a 200 with
HTML, `{}` where a list belongs, a 301 to another host are failures with one line saying so,
never "updated" and never an unexpected KeyError."""

from __future__ import annotations

import json

import pytest

from tests.support.hostile import HostilePeer
from tests.support.world import World

REPO = "octo-org/app"
SCOPE = f"repos/{REPO}/actions"
HTML = b"<!doctype html><html><body>Sign in to the proxy</body></html>"


def fault_302(world: World, method: str, path: str) -> None:
    world.sandbox.inject_fault(
        "github", method, path, 302, times=-1, headers={"Location": "https://proxy.invalid/"}
    )


def fault_html(world: World, method: str, path: str) -> None:
    world.sandbox.inject_fault(
        "github", method, path, 200, times=-1, headers={"Content-Type": "text/html"}, raw_body=HTML
    )


def clean(result) -> None:
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize(("fault", "status"), [(fault_302, "302"), (fault_html, "200")])
def test_a_secret_put_answered_otherwise_than_documented_fails(
    world: World, run, fault, status: str
) -> None:
    world.seed_token()
    fault(world, "PUT", "/secrets/AWS_")
    result = run("push", "--repo", REPO, "--profile", "ci", "--json")
    assert result.exit_code == 1
    (target,) = json.loads(result.stdout)["targets"]
    assert target["outcome"] == "failed"
    assert {s["outcome"] for s in target["secrets"]} == {"failed"}
    assert f"GitHub answered {status}" in target["error"]
    assert "where it answers 201 or 204" in target["error"]
    clean(result)


def test_a_variable_write_answered_with_html_fails(world: World, run) -> None:
    world.seed_token()
    fault_html(world, "PATCH", "/variables/")
    result = run("push", "--repo", REPO, "--profile", "ci", "--expiration-variable", "AWS_EXPIRY")
    assert result.exit_code == 1
    assert "GitHub answered 200" in result.stderr
    assert world.sandbox.variables(f"repos/{REPO}") == {}


def test_a_delete_answered_with_a_redirect_fails(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--repo", REPO, "--profile", "ci").exit_code == 0
    fault_302(world, "DELETE", "/secrets/AWS_")
    result = run("remove", "--repo", REPO, "--yes", "--json")
    assert result.exit_code == 1
    (target,) = json.loads(result.stdout)["targets"]
    assert target["outcome"] == "failed"
    assert "GitHub answered 302" in target["error"]
    assert len(world.sandbox.secrets(SCOPE)) == 4


@pytest.mark.parametrize(
    "body", [{}, {"total_count": 1, "secrets": [{"updated_at": "2026-01-01T00:00:00Z"}]}]
)
def test_a_listing_that_is_not_a_list_of_secrets_fails_in_one_line(
    world: World, run, body: dict
) -> None:
    world.sandbox.inject_fault("github", "GET", "/actions/secrets$", 200, times=-1, body=body)
    result = run("list", "--repo", REPO)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{REPO}: failed: ")
    assert "not a list of secrets" in result.stdout
    clean(result)


@pytest.mark.parametrize("body", [{}, {"id": "1001"}, {"id": -1}])
def test_a_selected_repository_lookup_without_an_id_fails_in_one_line(
    world: World, run, body: dict
) -> None:
    world.seed_token()
    world.sandbox.inject_fault("github", "GET", r"^/repos/octo-org/api$", 200, body=body)
    result = run("push", "--org", "octo-org", "--selected-repo", "octo-org/api", "--profile", "ci")
    assert result.exit_code == 1
    assert "selected repository octo-org/api: GitHub's answer has no repository id" in (
        result.stderr
    )
    clean(result)


def test_a_redirect_to_another_host_is_not_followed(world: World, run, monkeypatch) -> None:
    with HostilePeer("redirect", status=301) as peer:
        monkeypatch.setenv("GITHUB_API_URL", peer.url)
        result = run("list", "--repo", REPO, "--timeout", "5")
    assert result.exit_code == 1
    assert "redirect to another host" in result.stdout
    assert peer.requests == 1
    clean(result)


@pytest.mark.parametrize("kind", ["redirect", "html", "json"])
def test_push_to_a_peer_that_is_not_github_fails_every_target(
    world: World, run, monkeypatch, kind: str
) -> None:
    world.seed_token()
    with HostilePeer(kind) as peer:
        monkeypatch.setenv("GITHUB_API_URL", peer.url)
        result = run("push", "--repo", REPO, "--profile", "ci", "--timeout", "5", "--json")
    assert result.exit_code == 1
    (target,) = json.loads(result.stdout)["targets"]
    assert target["outcome"] in ("failed", "not-attempted")
    assert target["ok"] is False
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
