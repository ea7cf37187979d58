"""`sso-sync logout`: as `aws sso logout`, against the sandbox, with role-credential caches
written by botocore's own SSO credential provider (what AWS CLI v2 does with `~/.aws/cli/cache`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.role_cache import cache_key
from tests.support.world import ACCOUNT, ROLE, World

OTHER_ACCOUNT = "444455556666"


def add_other_session(world: World) -> None:
    """A second sso-session on the same portal, with its own profile."""
    config = world.home / ".aws" / "config"
    start, region = world.sandbox.config.start_url, world.sandbox.config.region
    config.write_text(
        config.read_text()
        + f"""
[profile other]
sso_session = other
sso_account_id = {OTHER_ACCOUNT}
sso_role_name = Deployer
region = {region}

[sso-session other]
sso_start_url = {start}
sso_region = {region}
"""
    )


def role_key(account: str, role: str, session: str) -> str:
    return cache_key(SsoProfile("p", "https://unused", "us-east-1", account, role, session))


def cli_cache(world: World) -> Path:
    return world.home / ".aws" / "cli" / "cache"


def cache_role_credentials_as_aws_cli_v2(profile: str, directory: Path) -> None:
    """botocore's SSO provider with a JSONFileCache on ~/.aws/cli/cache, as AWS CLI v2 wires it."""
    code = (
        "import sys, botocore.session\n"
        "from botocore.credentials import JSONFileCache\n"
        "s = botocore.session.Session(profile=sys.argv[1])\n"
        "s.get_component('credential_provider').get_provider('sso').cache = "
        "JSONFileCache(sys.argv[2])\n"
        "s.get_credentials().get_frozen_credentials()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, profile, str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dict(os.environ),
    )
    assert out.returncode == 0, out.stderr


def tokens_in_play(world: World) -> set[str]:
    # The run fixture collects secrets from the cache files, which logout deletes.
    return world.secret_values()


def token_still_accepted(world: World, token: str) -> bool:
    import boto3
    from botocore.exceptions import ClientError

    sso = boto3.client(
        "sso", region_name=world.sandbox.config.region, endpoint_url=world.sandbox.aws_url
    )
    try:
        sso.list_accounts(accessToken=token)
    except ClientError:
        return False
    return True


def test_logout_of_one_profile_ends_its_session_and_nothing_else(world: World, run) -> None:
    add_other_session(world)
    assert run("login", "--profile", "ci", "--use-device-code", "--no-browser").exit_code == 0
    other = world.seed_token(key="other")
    corp = json.loads(world.token_file("corp").read_text())
    cache_role_credentials_as_aws_cli_v2("ci", cli_cache(world))
    cache_role_credentials_as_aws_cli_v2("other", cli_cache(world))
    ours = cli_cache(world) / (role_key(ACCOUNT, ROLE, "corp") + ".json")
    theirs = cli_cache(world) / (role_key(OTHER_ACCOUNT, "Deployer", "other") + ".json")
    # botocore named the files exactly as our key rule says.
    assert ours.is_file() and theirs.is_file()
    assert json.loads(ours.read_text())["ProviderType"] == "sso"
    registrations = {
        p.name
        for p in world.sso_cache.glob("*.json")
        if "accessToken" not in json.loads(p.read_text())
    }
    assert len(registrations) == 1
    secrets = tokens_in_play(world)
    world.sandbox.clear_requests()

    result = run("logout", "--profile", "ci", extra_secrets=secrets)

    assert result.exit_code == 0, result.stderr
    assert f"Signed out of {world.sandbox.config.start_url}." in result.stderr
    assert "Deleted 1 cached role credential file." in result.stderr
    assert [(r.operation, r.status) for r in world.sandbox.requests] == [("Logout", 200)]
    assert not token_still_accepted(world, corp["accessToken"])
    assert not world.token_file("corp").exists() and not ours.exists()
    # The other session, its role credentials and the client registration stay.
    assert world.token_file("other").exists() and theirs.exists()
    assert token_still_accepted(world, other["accessToken"])
    assert registrations <= {p.name for p in world.sso_cache.glob("*.json")}


def test_logout_all_ends_every_session_and_keeps_registrations_and_other_caches(
    world: World, run
) -> None:
    add_other_session(world)
    assert run("login", "--profile", "ci", "--use-device-code", "--no-browser").exit_code == 0
    world.seed_token(key="other")
    cache_role_credentials_as_aws_cli_v2("ci", cli_cache(world))
    cache_role_credentials_as_aws_cli_v2("other", cli_cache(world))
    assume_role = cli_cache(world) / "0123abcd.json"  # an assume-role cache: not from SSO
    assume_role.write_text(json.dumps({"Credentials": {"AccessKeyId": "x"}}))
    secrets = tokens_in_play(world)
    world.sandbox.clear_requests()

    result = run("logout", "--all", extra_secrets=secrets)

    assert result.exit_code == 0, result.stderr
    assert [r.operation for r in world.sandbox.requests] == ["Logout", "Logout"]
    assert "Deleted 2 cached role credential files." in result.stderr
    left = [json.loads(p.read_text()) for p in world.sso_cache.glob("*.json")]
    assert left and all("accessToken" not in d and "clientSecret" in d for d in left)
    assert [p.name for p in cli_cache(world).glob("*.json")] == [assume_role.name]


def test_a_token_the_service_already_rejects_is_still_removed_with_exit_0(
    world: World, run
) -> None:
    world.seed_token(expires_in=-60, refreshable=False)
    secrets = tokens_in_play(world)
    result = run("logout", "--profile", "ci", extra_secrets=secrets)
    assert result.exit_code == 0, result.stderr
    assert "had already ended" in result.stderr
    assert [(r.operation, r.status) for r in world.sandbox.requests] == [("Logout", 401)]
    assert not world.token_file("corp").exists()


def test_unreachable_service_deletes_locally_and_exits_1(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", f"http://127.0.0.1:{port}")
    world.seed_token()
    secrets = tokens_in_play(world)
    result = run("logout", "--profile", "ci", extra_secrets=secrets)
    assert result.exit_code == 1
    assert "could not tell IAM Identity Center" in result.stderr
    assert "Traceback" not in result.stderr
    assert not world.token_file("corp").exists()


def test_nothing_to_log_out_of(world: World, run) -> None:
    result = run("logout", "--profile", "ci")
    assert result.exit_code == 0
    assert "nothing to do" in result.stderr
    assert world.sandbox.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--profile NAME"),
        (("--all", "--profile", "ci"), "exclude each other"),
        (("--profile", "nope"), "profile 'nope' not found"),
        (("--profile", "static"), "not an IAM Identity Center profile"),
    ],
)
def test_logout_usage_errors_exit_2_and_touch_nothing(
    world: World, run, args: tuple[str, ...], message: str
) -> None:
    world.seed_token()
    result = run("logout", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert world.token_file("corp").exists()
    assert world.sandbox.requests == []
