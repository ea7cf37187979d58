"""Organization secrets keep their visibility: `push --org` without `--visibility` (or
`--selected-repo`) writes each secret with the visibility it has, `selected` repositories
included, and the dry run says so. The existing secrets are made with PyGithub's own
`Organization.create_secret` and read back with `get_secret`/`selected_repositories`; the
sandbox decrypts what lands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sso_sync.sandbox import Sandbox, SandboxConfig
from tests.support.world import NAMES, World, issued_as_secrets

ORG = "octo-org"
APP, API, WEB = f"{ORG}/app", f"{ORG}/api", f"{ORG}/web"
IDS = {APP: 1001, API: 1002, WEB: 1003}
OLD = "the value before the push"
MANY = 105  # more selected repositories than one page (100) holds


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    repos: dict[str, list[str]] = {APP: [], API: [], WEB: []}
    repos |= {f"{ORG}/svc-{i:03d}": [] for i in range(MANY)}
    return SandboxConfig(device_interval=0, repos=repos)


def pygithub(sandbox: Sandbox) -> Any:
    import github

    return github.Github(
        auth=github.Auth.Token(sandbox.github_token),
        base_url=sandbox.github_url,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def create_org_secret(
    sandbox: Sandbox,
    name: str,
    visibility: str,
    repos: Sequence[str] = (),
    app: str = "actions",
) -> None:
    """What an organization admin did before: `create_secret` of PyGithub."""
    gh = pygithub(sandbox)
    org = gh.get_organization(ORG)
    kwargs: dict[str, Any] = {"visibility": visibility, "secret_type": app}
    if visibility == "selected":
        kwargs["selected_repositories"] = [gh.get_repo(r) for r in repos]
    org.create_secret(name, OLD, **kwargs)


def read_back(sandbox: Sandbox, name: str, app: str = "actions") -> tuple[str, list[str]]:
    """Visibility and selected repositories as PyGithub reads them from the sandbox."""
    secret = pygithub(sandbox).get_organization(ORG).get_secret(name, secret_type=app)
    repos = []
    if secret.visibility == "selected":
        repos = sorted(r.full_name for r in secret.selected_repositories)
    return secret.visibility, repos


def stored(world: World, app: str = "actions") -> dict[str, Any]:
    return world.sandbox.secrets(f"orgs/{ORG}/{app}")


def github_requests(world: World) -> list[tuple[str, str, int]]:
    return [(r.method, r.path, r.status) for r in world.sandbox.requests if r.service == "github"]


@pytest.mark.parametrize("app", ["actions", "dependabot"])
def test_a_selected_org_secret_keeps_its_visibility_and_repositories(
    world: World, run, app: str
) -> None:
    world.seed_token()
    for name in NAMES:
        create_org_secret(world.sandbox, name, "selected", [APP, API], app)
    world.sandbox.clear_requests()

    result = run("push", "--org", ORG, "--app", app, "-p", "ci")

    assert result.exit_code == 0, result.stderr
    secrets = stored(world, app)
    assert {n: s.value for n, s in secrets.items()} == issued_as_secrets(world)
    for name in NAMES:
        assert read_back(world.sandbox, name, app) == ("selected", sorted([API, APP]))
    looked_up = {p for m, p, _ in github_requests(world) if m == "GET"}
    base = f"/orgs/{ORG}/{app}/secrets"
    assert {f"{base}/{n}" for n in NAMES} | {f"{base}/{n}/repositories" for n in NAMES} <= (
        looked_up
    )


def test_visibility_asked_wins_over_the_one_the_secret_has(world: World, run) -> None:
    world.seed_token()
    for name in NAMES:
        create_org_secret(world.sandbox, name, "selected", [APP, API])
    world.sandbox.clear_requests()

    result = run("push", "--org", ORG, "--visibility", "private", "-p", "ci")

    assert result.exit_code == 0, result.stderr
    assert {(s.visibility, s.selected_repository_ids) for s in stored(world).values()} == {
        ("private", None)
    }
    assert {n: s.value for n, s in stored(world).items()} == issued_as_secrets(world)
    # The option decides: nothing is looked up.
    assert [p for m, p, _ in github_requests(world) if m == "GET"] == [
        f"/orgs/{ORG}/actions/secrets/public-key"
    ]

    result = run("push", "--org", ORG, "--selected-repo", WEB, "-p", "ci")
    assert result.exit_code == 0, result.stderr
    assert read_back(world.sandbox, NAMES[0]) == ("selected", [WEB])


def test_each_secret_of_an_org_target_keeps_its_own_visibility(world: World, run) -> None:
    world.seed_token()
    key_id, secret_key, session_token, expiration = NAMES
    create_org_secret(world.sandbox, key_id, "selected", [APP])
    create_org_secret(world.sandbox, secret_key, "all")
    create_org_secret(world.sandbox, session_token, "private")
    # `expiration` does not exist yet: it gets gh's default.

    plan = run("push", "--org", ORG, "-p", "ci", "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    assert (
        f"org {ORG}: would update {key_id} (visibility selected, kept; repository ids "
        f"{IDS[APP]}), update {secret_key} (visibility all, kept), update {session_token} "
        f"(visibility private, kept), create {expiration} (visibility private, new, the "
        "default) from profile ci"
    ) in plan.stdout

    result = run("push", "--org", ORG, "-p", "ci")

    assert result.exit_code == 0, result.stderr
    assert {n: s.value for n, s in stored(world).items()} == issued_as_secrets(world)
    assert read_back(world.sandbox, key_id) == ("selected", [APP])
    assert read_back(world.sandbox, secret_key) == ("all", [])
    assert read_back(world.sandbox, session_token) == ("private", [])
    assert read_back(world.sandbox, expiration) == ("private", [])


def test_dry_run_shows_the_kept_visibility_and_writes_nothing(world: World, run) -> None:
    world.seed_token()
    for name in NAMES:
        create_org_secret(world.sandbox, name, "selected", [APP, API])
    world.sandbox.clear_requests()

    result = run("push", "--org", ORG, "-p", "ci", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"org {ORG}: would "
        + ", ".join(f"update {n}" for n in NAMES)
        + f" (visibility selected, kept; repository ids {IDS[APP]}, {IDS[API]}) from profile ci"
    )
    assert {m for m, _, _ in github_requests(world)} == {"GET"}
    assert {s.value for s in stored(world).values()} == {OLD}

    data = json.loads(run("push", "--org", ORG, "-p", "ci", "--dry-run", "--json").stdout)
    (target,) = data["targets"]
    assert target["visibility"] == "selected"
    assert target["selected_repository_ids"] == [IDS[APP], IDS[API]]
    assert [
        (s["name"], s["visibility"], s["visibility_source"], s["selected_repository_ids"])
        for s in target["secrets"]
    ] == [(n, "selected", "kept", [IDS[APP], IDS[API]]) for n in NAMES]

    asked = run("push", "--org", ORG, "--visibility", "all", "-p", "ci", "--dry-run", "--json")
    (target,) = json.loads(asked.stdout)["targets"]
    assert target["visibility"] == "all"
    assert {(s["visibility"], s["visibility_source"]) for s in target["secrets"]} == {
        ("all", "option")
    }
    assert "selected_repository_ids" not in target["secrets"][0]


def test_a_new_org_secret_gets_private_and_the_plan_says_it_is_the_default(
    world: World, run
) -> None:
    world.seed_token()
    plan = run("push", "--org", ORG, "-p", "ci", "--dry-run", "--json")
    assert plan.exit_code == 0, plan.stderr
    (target,) = json.loads(plan.stdout)["targets"]
    assert target["visibility"] == "private"
    assert {(s["visibility"], s["visibility_source"]) for s in target["secrets"]} == {
        ("private", "default")
    }

    result = run("push", "--org", ORG, "-p", "ci")

    assert result.exit_code == 0, result.stderr
    assert {(s.visibility, s.selected_repository_ids) for s in stored(world).values()} == {
        ("private", None)
    }


def test_selected_repositories_are_read_across_pages(world: World, run) -> None:
    world.seed_token()
    many = [f"{ORG}/svc-{i:03d}" for i in range(MANY)]
    create_org_secret(world.sandbox, NAMES[0], "selected", many)
    before = stored(world)[NAMES[0]].selected_repository_ids
    assert before is not None and len(before) == MANY
    world.sandbox.clear_requests()

    result = run("push", "--org", ORG, "-p", "ci")

    assert result.exit_code == 0, result.stderr
    after = stored(world)[NAMES[0]]
    assert after.value == issued_as_secrets(world)[NAMES[0]]
    assert sorted(after.selected_repository_ids or []) == sorted(before)
    pages = [p for m, p, _ in github_requests(world) if p.endswith(f"{NAMES[0]}/repositories")]
    assert len(pages) == 2


def test_a_refused_look_up_fails_that_target_and_never_widens_it(world: World, run) -> None:
    """A token that may write secrets but is refused their metadata: the organization target
    fails with GitHub's reason, nothing is written there, and the other targets land."""
    world.seed_token()
    for name in NAMES:
        create_org_secret(world.sandbox, name, "selected", [APP, API])
    world.sandbox.inject_fault(
        "github",
        "GET",
        rf"^/orgs/{ORG}/actions/secrets/AWS_[A-Z_]+$",
        403,
        times=-1,
        headers={"X-Accepted-GitHub-Permissions": "organization_secrets=read"},
        body={"message": "Resource not accessible by personal access token"},
    )
    world.sandbox.clear_requests()

    result = run("push", "--repo", APP, "--org", ORG, "-p", "ci")

    assert result.exit_code == 1
    assert f"org {ORG}: failed" in result.stderr
    report = f"org {ORG}: failed: reading the visibility of {NAMES[0]}, to keep it (or give "
    assert report + "--visibility): the token lacks permission" in result.stdout
    assert "(GitHub wants organization_secrets=read)" in result.stdout
    assert {(s.value, s.visibility) for s in stored(world).values()} == {(OLD, "selected")}
    assert not [p for m, p, _ in github_requests(world) if m == "PUT" and "/orgs/" in p]
    landed = {n: s.value for n, s in world.sandbox.secrets(f"repos/{APP}/actions").items()}
    assert landed == issued_as_secrets(world)


def test_a_look_up_that_fails_once_is_retried(world: World, run) -> None:
    world.seed_token()
    for name in NAMES:
        create_org_secret(world.sandbox, name, "selected", [APP, API])
    world.sandbox.inject_fault("github", "GET", rf"{NAMES[1]}/repositories$", 502)

    result = run("push", "--org", ORG, "-p", "ci")

    assert result.exit_code == 0, result.stderr
    assert read_back(world.sandbox, NAMES[1]) == ("selected", sorted([API, APP]))
    statuses = [s for m, p, s in github_requests(world) if p.endswith(f"{NAMES[1]}/repositories")]
    assert statuses[:2] == [502, 200]


def test_a_config_target_without_visibility_keeps_it_too(world: World, run, tmp_path: Path) -> None:
    world.seed_token()
    for name in NAMES:
        create_org_secret(world.sandbox, f"CI_{name}", "selected", [WEB])
    config = tmp_path / "sso-sync.toml"
    config.write_text(
        f'[sets.ci]\nprofile = "ci"\nprefix = "CI_"\ntargets = [{{ org = "{ORG}" }}]\n'
    )

    result = run("push", "--config", str(config))

    assert result.exit_code == 0, result.stderr
    issued = {f"CI_{n}": v for n, v in issued_as_secrets(world).items()}
    assert {n: s.value for n, s in stored(world).items()} == issued
    assert {
        (s.visibility, tuple(s.selected_repository_ids or ())) for s in stored(world).values()
    } == {("selected", (IDS[WEB],))}


def test_as_a_github_app_the_look_ups_use_the_orgs_installation_token(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    for name in NAMES:
        create_org_secret(world.sandbox, name, "selected", [APP, API])
    world.use_github_app(monkeypatch, tmp_path)
    world.sandbox.clear_requests()

    result = run("push", "--org", ORG, "-p", "ci")

    assert result.exit_code == 0, result.stderr
    assert {n: s.value for n, s in stored(world).items()} == issued_as_secrets(world)
    assert read_back(world.sandbox, NAMES[0]) == ("selected", sorted([API, APP]))
    refused = [(p, s) for _, p, s in github_requests(world) if s in (401, 403)]
    assert refused == []
