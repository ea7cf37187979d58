"""Codespaces secrets in gh's words: `--app codespaces` with --repo and --org (visibility,
selected repositories), and `--user` for your own, with --selected-repo; in config sets, `list`
and `remove` too. The sandbox decrypts what lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.world import World, issued_as_secrets


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        device_interval=0,
        repos={"octo-org/app": [], "octo-org/api": [], "octocat/dotfiles": []},
        orgs=["octo-org"],
    )


def values(world: World, scope: str) -> dict[str, str]:
    return {n: s.value for n, s in world.sandbox.secrets(scope).items()}


def test_repository_and_organization_codespaces_secrets(world: World, run) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--app", "codespaces", "--repo", "octo-org/app"]
    result = run(*argv, "--org", "octo-org", "--selected-repo", "octo-org/api")
    assert result.exit_code == 0, result.stderr
    issued = issued_as_secrets(world)
    assert values(world, "repos/octo-org/app/codespaces") == issued
    assert values(world, "repos/octo-org/app/actions") == {}
    org = world.sandbox.secrets("orgs/octo-org/codespaces")
    assert {n: s.value for n, s in org.items()} == issued
    assert {s.visibility for s in org.values()} == {"selected"}
    assert {tuple(s.selected_repository_ids or ()) for s in org.values()} == {(1002,)}
    assert "octo-org/app (codespaces): " in result.stdout


def test_user_codespaces_secrets_with_selected_repositories(world: World, run) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--user", "--selected-repo", "octo-org/app"]
    result = run(*argv, "--selected-repo", "octocat/dotfiles")
    assert result.exit_code == 0, result.stderr
    mine = world.sandbox.secrets("user/codespaces")
    assert {n: s.value for n, s in mine.items()} == issued_as_secrets(world)
    assert {tuple(s.selected_repository_ids or ()) for s in mine.values()} == {(1001, 1003)}
    assert "your user (codespaces): " in result.stdout
    paths = {r.path for r in world.sandbox.requests if r.service == "github"}
    assert "/user/codespaces/secrets/public-key" in paths


def test_config_sets_list_and_remove(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    (tmp_path / "sso-sync.toml").write_text(
        '[sets.dev]\nprofile = "ci"\nprefix = "DEV_"\ntargets = [\n'
        '  { user = true, selected-repos = ["octo-org/app"] },\n'
        '  { repo = "octo-org/api", app = "codespaces" },\n]\n'
    )
    monkeypatch.chdir(tmp_path)
    assert run("push", "dev", "--config", "sso-sync.toml").exit_code == 0
    assert set(values(world, "user/codespaces")) == {f"DEV_{n}" for n in issued_as_secrets(world)}
    listed = run("list", "dev", "--config", "sso-sync.toml")
    assert listed.exit_code == 0, listed.stderr
    labels = {line.split("\t")[0] for line in listed.stdout.splitlines()}
    assert labels == {"your user (codespaces) [dev]", "octo-org/api (codespaces) [dev]"}
    assert run("remove", "dev", "--yes", "--config", "sso-sync.toml").exit_code == 0
    assert values(world, "user/codespaces") == {}
    assert values(world, "repos/octo-org/api/codespaces") == {}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--repo", "octo-org/app", "--env", "prod", "--app", "codespaces"),
            "Codespaces has no environment secrets",
        ),
        (("--user", "--visibility", "all"), "--visibility applies to --org only"),
        (
            ("--repo", "octo-org/app", "--selected-repo", "octo-org/api"),
            "--selected-repo applies to --org and --user only",
        ),
    ],
)
def test_codespaces_usage_errors(world: World, run, argv: tuple[str, ...], message: str) -> None:
    result = run("push", "-p", "ci", *argv)
    assert result.exit_code == 2
    assert message in result.stderr


def test_user_secrets_with_github_app_auth_is_exit_2(world: World, run, tmp_path: Path) -> None:
    key = world.app_key_file(tmp_path)
    argv = ["--github-app-id", "31337", "--github-app-key", str(key)]
    result = run("push", "-p", "ci", "--user", *argv)
    assert result.exit_code == 2
    assert "installation token cannot write them" in result.stderr
    assert not [r for r in world.sandbox.requests if r.service == "github"]
