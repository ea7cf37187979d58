"""Registry tokens pushed as two more rows of the credential-source table: `--ecr` adds
ECR_PASSWORD, `--codeartifact DOMAIN` adds CODEARTIFACT_AUTH_TOKEN, `--no-role-credentials`
leaves the four AWS secrets out. The sandbox issues each token through botocore's own clients
and decrypts what GitHub holds; `run` checks no token reached the output."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sso_sync.keepfresh.state import StateStore
from sso_sync.sandbox import SandboxConfig
from sso_sync.state_dir import state_dir
from tests.support.world import World, issued_as_secrets

REPO = "octo-org/app"
REGISTRIES = ("--ecr", "--codeartifact", "corp")


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        device_interval=0, repos={"octo-org/app": [], "octo-org/api": []}, orgs=["octo-org"]
    )


def values(world: World, scope: str) -> dict[str, str]:
    return {n: s.value for n, s in world.sandbox.secrets(scope).items()}


def issued_tokens(world: World) -> dict[str, str]:
    """The last ECR password and CodeArtifact token the sandbox issued, by secret name."""
    names = {"ecr": "ECR_PASSWORD", "codeartifact": "CODEARTIFACT_AUTH_TOKEN"}
    return {names[t["kind"]]: t["value"] for t in world.sandbox.issued_registry_tokens}


def test_dependabot_gets_only_the_registry_tokens(world: World, run) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", REPO, "--app", "dependabot", *REGISTRIES]
    result = run(*argv, "--no-role-credentials")
    assert result.exit_code == 0, result.stderr
    stored = values(world, f"repos/{REPO}/dependabot")
    assert stored == issued_tokens(world)
    assert set(stored) == {"ECR_PASSWORD", "CODEARTIFACT_AUTH_TOKEN"}
    assert values(world, f"repos/{REPO}/actions") == {}
    lines = result.stdout.splitlines()
    assert lines[0] == f"{REPO} (dependabot): ECR_PASSWORD created, CODEARTIFACT_AUTH_TOKEN created"
    # Each token's own expiry, after the credentials' (here the same: CodeArtifact's default).
    assert lines[2].startswith("CODEARTIFACT_AUTH_TOKEN expires at ")
    assert lines[3].startswith("ECR_PASSWORD expires at ") and lines[3].endswith(" left)")
    # Each token was asked for with the role credentials the sandbox issued for the profile.
    tokens = world.sandbox.issued_registry_tokens
    assert [(t["kind"], t["domain"]) for t in tokens] == [("ecr", ""), ("codeartifact", "corp")]


def test_beside_the_role_credentials_with_a_prefix(world: World, run) -> None:
    world.seed_token()
    result = run("push", "-p", "ci", "--repo", REPO, "--ecr", "--prefix", "PROD_")
    assert result.exit_code == 0, result.stderr
    expected = {f"PROD_{n}": v for n, v in issued_as_secrets(world).items()}
    expected["PROD_ECR_PASSWORD"] = issued_tokens(world)["ECR_PASSWORD"]
    assert values(world, f"repos/{REPO}/actions") == expected


def test_codespaces_and_organization_targets(world: World, run) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--app", "codespaces", "--repo", REPO, "--org", "octo-org"]
    result = run(*argv, *REGISTRIES, "--no-role-credentials")
    assert result.exit_code == 0, result.stderr
    tokens = issued_tokens(world)
    assert values(world, f"repos/{REPO}/codespaces") == tokens
    assert values(world, "orgs/octo-org/codespaces") == tokens
    assert run("push", "-p", "ci", "--org", "octo-org", "--ecr").exit_code == 0
    org = values(world, "orgs/octo-org/actions")
    assert org["ECR_PASSWORD"] == issued_tokens(world)["ECR_PASSWORD"]
    assert set(org) == {*issued_as_secrets(world), "ECR_PASSWORD"}


def test_the_codeartifact_token_lives_as_long_as_asked(world: World, run) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", REPO, "--codeartifact", "corp", "--json"]
    result = run(*argv, "--codeartifact-duration", "900", "--codeartifact-owner", "111122223333")
    assert result.exit_code == 0, result.stderr
    [token] = world.sandbox.issued_registry_tokens
    [record] = StateStore(state_dir(os.environ)).read().values()
    stored = record.secrets or {}
    # Each secret keeps its own expiry in the state file: the token's is 15 minutes away.
    assert set(stored) == {*issued_as_secrets(world), "CODEARTIFACT_AUTH_TOKEN"}
    assert stored["CODEARTIFACT_AUTH_TOKEN"] != stored["AWS_ACCESS_KEY_ID"]
    assert json.loads(result.stdout)["targets"][0]["remaining_seconds"] <= 900
    assert token["account_id"] == "111122223333"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-role-credentials"], "--no-role-credentials leaves nothing to push: add --ecr"),
        (["--codeartifact-owner", "111122223333"], "--codeartifact-owner needs --codeartifact"),
        (["--codeartifact", "corp", "--codeartifact-duration", "60"], "lasts 900 to 43200"),
        (["--codeartifact", "corp", "--codeartifact-owner", "me"], "is not an account id"),
        (["--region", "eu-west-1"], "--region is for the registries"),
        (
            ["--ecr", "--no-role-credentials", "--expiration-variable", "EXP"],
            "--expiration-variable writes the role credentials' expiry",
        ),
    ],
)
def test_bad_combinations_are_refused_before_any_request(
    world: World, run, args: list[str], message: str
) -> None:
    world.seed_token()
    result = run("push", "-p", "ci", "--repo", REPO, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert world.sandbox.requests == []


def test_list_and_remove_know_the_names_with_the_same_options(world: World, run) -> None:
    world.seed_token()
    push = ["-p", "ci", "--repo", REPO, "--app", "dependabot", *REGISTRIES, "--no-role-credentials"]
    assert run("push", *push).exit_code == 0
    listed = run("list", *push, "--json")
    assert listed.exit_code == 0, listed.stderr
    [target] = json.loads(listed.stdout)["targets"]
    assert [s["name"] for s in target["secrets"]] == ["ECR_PASSWORD", "CODEARTIFACT_AUTH_TOKEN"]
    # Each secret's own expiry, as this machine pushed it: the ECR password outlives the
    # credentials the CodeArtifact token is tied to.
    expiry = {s["name"]: s["expires_at"] for s in target["secrets"]}
    credentials = world.sandbox.issued_credentials[-1]["expiration"] // 1000
    tied = datetime.fromtimestamp(credentials, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert expiry["CODEARTIFACT_AUTH_TOKEN"] == tied
    assert expiry["ECR_PASSWORD"] > tied
    removed = run("remove", *push, "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert values(world, f"repos/{REPO}/dependabot") == {}


def test_config_sets_take_the_same_settings(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    (tmp_path / "sso-sync.toml").write_text(
        "[sets.deps]\n"
        'profile = "ci"\n'
        "ecr = true\n"
        'codeartifact = "corp"\n'
        "role-credentials = false\n"
        'targets = [{ repo = "octo-org/app", app = "dependabot" }]\n'
        "[sets.other]\n"
        'profile = "ci"\n'
        'prefix = "OTHER_"\n'
        'codeartifact = "other"\n'
        "codeartifact-duration = 3600\n"
        'targets = [{ repo = "octo-org/api" }]\n'
    )
    monkeypatch.chdir(tmp_path)
    result = run("push", "deps", "--config", "sso-sync.toml")
    assert result.exit_code == 0, result.stderr
    assert values(world, f"repos/{REPO}/dependabot") == issued_tokens(world)
    # Two domains with one profile, each set with its own prefix: each gets its own domain's
    # token (a profile's values are told apart by their source, not by name alone).
    world.sandbox.config.codeartifact_domains["other"] = ["internal"]
    both = run("push", "--config", "sso-sync.toml")
    assert both.exit_code == 0, both.stderr
    by_domain = {
        t["domain"]: t["value"]
        for t in world.sandbox.issued_registry_tokens
        if t["kind"] == "codeartifact"
    }
    deps = values(world, f"repos/{REPO}/dependabot")["CODEARTIFACT_AUTH_TOKEN"]
    other = values(world, "repos/octo-org/api/actions")["OTHER_CODEARTIFACT_AUTH_TOKEN"]
    assert deps == by_domain["corp"] and other == by_domain["other"] and deps != other


def test_a_config_set_without_anything_to_push_is_refused(
    world: World, run, tmp_path: Path
) -> None:
    config = tmp_path / "sso-sync.toml"
    config.write_text(
        '[sets.deps]\nrole-credentials = false\ntargets = [{ repo = "octo-org/app" }]\n'
    )
    result = run("push", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {config}: sets.deps: role-credentials = false leaves nothing to push: add "
        'ecr = true or codeartifact = "DOMAIN"'
    )


def test_min_remaining_makes_no_request_while_every_secret_is_fresh(world: World, run) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", REPO, "--org", "octo-org", *REGISTRIES]
    assert run(*argv).exit_code == 0
    world.sandbox.clear_requests()
    again = run(*argv, "--min-remaining", "30m")
    assert again.exit_code == 0, again.stderr
    assert world.sandbox.requests == []  # not AWS, not ECR, not CodeArtifact, not GitHub
    assert again.stdout.splitlines()[0].startswith(f"{REPO}: fresh (")


def test_a_target_is_due_when_its_registry_token_is_short(world: World, run) -> None:
    """Credentials for an hour, ECR passwords for ten minutes: --min-remaining 30m pushes
    again though the credentials alone would be fresh, and says how long the password had."""
    world.sandbox.config.ecr_token_lifetime = 600
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", REPO, "--ecr", "--json"]
    first = run(*argv)
    assert json.loads(first.stdout)["targets"][0]["remaining_seconds"] <= 600
    again = run(*argv, "--min-remaining", "30m")
    assert again.exit_code == 0, again.stderr
    [target] = json.loads(again.stdout)["targets"]
    assert target["outcome"] == "updated"
    assert (
        values(world, f"repos/{REPO}/actions")["ECR_PASSWORD"]
        == issued_tokens(world)["ECR_PASSWORD"]
    )
    assert len(world.sandbox.issued_registry_tokens) == 2
