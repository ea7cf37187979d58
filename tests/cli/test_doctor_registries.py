"""`sso-sync doctor --ecr --codeartifact DOMAIN`: whether the profile's role may get each
registry token, by fetching one from the sandbox through botocore's ECR and CodeArtifact clients
(the token is dropped, never shown), and the IAM action to grant when it may not."""

from __future__ import annotations

import json

import pytest

from tests.support.world import World

ARGS = ("doctor", "-p", "ci", "--repo", "octo-org/app")


def registry_checks(stdout: str) -> list[dict]:
    return [c for c in json.loads(stdout)["checks"] if c["name"].startswith(("ECR", "CodeArt"))]


def test_both_tokens_may_be_had(world: World, run) -> None:
    world.seed_token()
    result = run(*ARGS, "--ecr", "--codeartifact", "corp", "--json")
    assert result.exit_code == 0, result.stdout
    checks = registry_checks(result.stdout)
    assert [(c["name"], c["status"]) for c in checks] == [
        ("ECR password (us-east-1)", "ok"),
        ("CodeArtifact token (corp, us-east-1)", "ok"),
    ]
    assert checks[0]["detail"].startswith("the role may get one (fetched, not shown; valid until")
    # One of each was fetched; the canary in `run` saw neither in the output.
    assert [t["kind"] for t in world.sandbox.issued_registry_tokens] == ["ecr", "codeartifact"]


@pytest.mark.parametrize(
    ("denied", "check"),
    [
        ("ecr:GetAuthorizationToken", "ECR password (eu-west-1)"),
        ("codeartifact:GetAuthorizationToken", "CodeArtifact token (corp, eu-west-1)"),
        ("sts:GetServiceBearerToken", "CodeArtifact token (corp, eu-west-1)"),
    ],
)
def test_a_missing_permission_fails_naming_the_action(
    world: World, run, denied: str, check: str
) -> None:
    world.seed_token()
    world.sandbox.deny_actions(denied)
    result = run(*ARGS, "--ecr", "--codeartifact", "corp", "--region", "eu-west-1")
    assert result.exit_code == 1
    [line] = [line for line in result.stdout.splitlines() if check in line and "✘" in line]
    assert line == (
        f"✘ {check}: AWS refused it: the role's permission set does not allow {denied} "
        f"(fix: add {denied} to the permission set)"
    )
    assert result.stderr.strip().splitlines()[-1] == f"error: 1 check failed: {check}"


def test_an_unknown_domain_fails_that_check_only(world: World, run) -> None:
    world.seed_token()
    result = run(*ARGS, "--ecr", "--codeartifact", "nope", "--json")
    assert result.exit_code == 1
    ecr, ca = registry_checks(result.stdout)
    assert ecr["status"] == "ok"
    assert ca["status"] == "fail"
    assert "no domain 'nope' of account 111122223333 in us-east-1" in ca["detail"]


def test_without_role_credentials_the_registries_are_not_checked(world: World, run) -> None:
    result = run(*ARGS, "--ecr", "--json")  # never signed in
    assert result.exit_code == 1
    [check] = [c for c in json.loads(result.stdout)["checks"] if c["name"] == "registry tokens"]
    assert check["status"] == "not applicable"
    assert world.sandbox.issued_registry_tokens == []


def test_without_the_options_doctor_asks_no_registry(world: World, run) -> None:
    world.seed_token()
    assert run(*ARGS, "--json").exit_code == 0
    assert {r.service for r in world.sandbox.requests} & {"ecr", "codeartifact"} == set()


def test_an_owner_without_a_domain_is_bad_usage(world: World, run) -> None:
    result = run(*ARGS, "--codeartifact-owner", "111122223333")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == "error: --codeartifact-owner needs --codeartifact DOMAIN"
    assert world.sandbox.requests == []


def test_the_codeartifact_token_fetched_for_the_check_lives_the_shortest(world: World, run) -> None:
    """Doctor fetches with the row push would use, at CodeArtifact's shortest life: the token
    is dropped at once, and cannot be revoked."""
    world.seed_token()
    assert (
        run(*ARGS, "--codeartifact", "corp", "--codeartifact-owner", "111122223333").exit_code == 0
    )
    [token] = world.sandbox.issued_registry_tokens
    assert token["expires_at"] <= world.sandbox.config.now() + 900
    assert token["account_id"] == "111122223333"


def test_a_sets_own_registry_tokens_are_checked(world: World, run, tmp_path) -> None:
    """Without the options, each set's sources (sso-sync.toml): what a push of it fetches."""
    world.seed_token()
    config = tmp_path / "sso-sync.toml"
    config.write_text(
        '[sets.deps]\nprofile = "ci"\necr = true\nregion = "eu-west-1"\n'
        'targets = [{ repo = "octo-org/app" }]\n'
    )
    config.chmod(0o600)
    result = run("doctor", "--config", str(config), "--json")
    assert result.exit_code == 0, result.stdout
    assert [(c["name"], c["status"]) for c in registry_checks(result.stdout)] == [
        ("ECR password (eu-west-1)", "ok")
    ]
