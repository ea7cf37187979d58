"""Repository patterns (`--repo octo-org/svc-*`): resolved by listing the owner's repositories
across pages, archived ones skipped, `--exclude` honoured, for push, list and remove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.world import World, issued_as_secrets

SVC = [f"octo-org/svc-{i:02d}" for i in range(1, 8)]


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    repos: dict[str, list[str]] = {name: ["production"] for name in SVC}
    repos |= {"octo-org/web": [], "octo-org/SVC-Upper": [], "octo-user/svc-mine": []}
    return SandboxConfig(
        device_interval=0,
        repos=repos,
        orgs=["octo-org"],
        archived=["octo-org/svc-03"],
    )


def landed(world: World) -> set[str]:
    return {
        name
        for name in [*SVC, "octo-org/web", "octo-org/SVC-Upper", "octo-user/svc-mine"]
        if world.sandbox.secrets(f"repos/{name}/actions")
    }


def list_requests(world: World) -> list[str]:
    return [r.path for r in world.sandbox.requests if r.path.endswith("/repos")]


def test_pattern_resolves_across_pages_skips_archived_and_honours_exclude(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sso_sync.github.patterns.PER_PAGE", 3)  # 9 repositories: 3 pages
    world.seed_token()
    result = run("push", "--repo", "octo-org/svc-*", "--exclude", "svc-0[67]", "-p", "ci", "--json")
    assert result.exit_code == 0, result.stderr
    want = {"octo-org/svc-01", "octo-org/svc-02", "octo-org/svc-04", "octo-org/svc-05"}
    # Case-insensitive, as GitHub names are: SVC-Upper matches svc-*.
    assert landed(world) == want | {"octo-org/SVC-Upper"}
    assert (
        world.sandbox.secrets("repos/octo-org/svc-04/actions")["AWS_SESSION_TOKEN"].value
        == (issued_as_secrets(world)["AWS_SESSION_TOKEN"])
    )
    assert list_requests(world) == ["/orgs/octo-org/repos"] * 3  # every page, once per run
    labels = {t["target"] for t in json.loads(result.stdout)["targets"]}
    assert labels == want | {"octo-org/SVC-Upper"}


def test_dry_run_shows_the_resolved_list_and_writes_nothing(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", "octo-org/svc-0?", "--exclude", "*-01", "--dry-run", "-p", "ci")
    assert result.exit_code == 0, result.stderr
    lines = [line.split(":")[0] for line in result.stdout.splitlines()[:-1]]
    assert lines == [
        "octo-org/svc-02",
        "octo-org/svc-04",
        "octo-org/svc-05",
        "octo-org/svc-06",
        "octo-org/svc-07",
    ]
    assert landed(world) == set()


def test_pattern_with_env_and_a_user_owner(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", "octo-org/svc-0[12]", "--env", "production", "-p", "ci")
    assert result.exit_code == 0, result.stderr
    assert world.sandbox.secrets("repos/octo-org/svc-01/environments/production")
    assert world.sandbox.secrets("repos/octo-org/svc-02/environments/production")
    assert landed(world) == set()
    result = run("push", "--repo", "octo-user/svc-*", "-p", "ci")
    assert result.exit_code == 0, result.stderr
    assert landed(world) == {"octo-user/svc-mine"}
    assert "/users/octo-user/repos" in list_requests(world)


def test_pattern_matching_nothing_is_exit_2_with_one_line(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", "octo-org/svc-03", "-p", "ci")  # archived, but no pattern
    assert result.exit_code != 2
    result = run("push", "--repo", "octo-org/nope-*", "-p", "ci")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--repo octo-org/nope-* matches no unarchived repository of octo-org" in result.stderr
    result = run("push", "--repo", "octo-org/svc-03*", "-p", "ci")  # only an archived one
    assert result.exit_code == 2, result.stderr


def test_exclude_without_a_pattern_is_a_usage_error(world: World, run) -> None:
    result = run("push", "--repo", "octo-org/web", "--exclude", "x", "-p", "ci")
    assert result.exit_code == 2
    assert "--exclude applies to a pattern --repo only" in result.stderr


def test_config_set_with_a_pattern_and_exclude_for_list_and_remove(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    (tmp_path / "sso-sync.toml").write_text(
        '[sets.svc]\nprofile = "ci"\n'
        'targets = [{ repo = "octo-org/svc-*", exclude = ["svc-0[3-7]", "octo-org/svc-02"] }]\n'
    )
    monkeypatch.chdir(tmp_path)
    assert run("push", "svc", "--config", "sso-sync.toml").exit_code == 0
    assert landed(world) == {"octo-org/svc-01", "octo-org/SVC-Upper"}
    listed = run("list", "svc", "--config", "sso-sync.toml")
    assert listed.exit_code == 0, listed.stderr
    assert {line.split("\t")[0] for line in listed.stdout.splitlines()} == {
        "octo-org/svc-01 [svc]",
        "octo-org/SVC-Upper [svc]",
    }
    assert run("remove", "svc", "--yes", "--config", "sso-sync.toml").exit_code == 0
    assert landed(world) == set()
