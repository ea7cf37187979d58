"""The role-credential cache: AWS CLI v2's file names and body, read and written both ways."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone

import pytest
from botocore.credentials import SSOCredentialFetcher

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.role_cache import RoleCache, cache_key
from sso_sync.files import utc_timestamp
from tests.support.session import BOTOCORE_WITH_CLI_CACHE, operations, python, run_export
from tests.support.world import ACCOUNT, ROLE, World

__all__ = ["run_export"]  # a fixture, imported for pytest

START = "https://d-sandbox0001.awsapps.com/start"


def _profile(session_name: str | None) -> SsoProfile:
    return SsoProfile("p", START, "us-east-1", ACCOUNT, ROLE, session_name)


def _botocore_key(session_name: str | None) -> str:
    fetcher = SSOCredentialFetcher(
        START, "us-east-1", ROLE, ACCOUNT, client_creator=None, sso_session_name=session_name
    )
    return fetcher._create_cache_key()


def test_file_name_is_the_one_botocore_and_the_aws_cli_compute() -> None:
    assert cache_key(_profile("corp")) == _botocore_key("corp")
    assert cache_key(_profile(None)) == _botocore_key(None)
    assert cache_key(_profile("corp")) != cache_key(_profile(None))
    # Pinned too, so a change on either side is noticed.
    assert cache_key(_profile("corp")) == "71f19c803c38b7c078eca4cdadfe4977187217d8"


def _cache_files(world: World) -> list:
    directory = world.home / ".aws" / "cli" / "cache"
    return sorted(p for p in directory.glob("*.json")) if directory.is_dir() else []


def test_export_caches_exactly_what_botocore_writes(world: World, run_export) -> None:
    world.seed_token()
    result = run_export("export", "--profile", "ci", "--format", "json")
    assert result.exit_code == 0, result.stderr
    exported = json.loads(result.stdout)
    [path] = _cache_files(world)
    assert path.name == _botocore_key("corp") + ".json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    body = json.loads(path.read_text())
    assert body == {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": exported["AccessKeyId"],
            "SecretAccessKey": exported["SecretAccessKey"],
            "SessionToken": exported["SessionToken"],
            "Expiration": exported["Expiration"],
            "AccountId": ACCOUNT,
        },
    }
    # A second export reuses them: no second GetRoleCredentials.
    again = run_export("export", "--profile", "ci", "--format", "json")
    assert json.loads(again.stdout)["AccessKeyId"] == exported["AccessKeyId"]
    assert operations(world).count("GetRoleCredentials") == 1


def test_botocore_with_the_aws_cli_cache_uses_ours_without_calling_sso(
    world: World, run_export
) -> None:
    world.seed_token()
    exported = json.loads(run_export("export", "--profile", "ci", "--format", "json").stdout)
    world.sandbox.clear_requests()
    identity = python(BOTOCORE_WITH_CLI_CACHE.format(profile="ci"))
    assert identity["Account"] == ACCOUNT
    # Only STS was called: the credentials came from our cache file...
    assert operations(world) == ["GetCallerIdentity"]
    # ...and they are the ones STS saw (the sandbox knows which key it issued).
    issued = {c["accessKeyId"] for c in world.sandbox.issued_credentials}
    assert issued == {exported["AccessKeyId"]}


def test_we_reuse_what_botocore_cached(world: World, run_export) -> None:
    world.seed_token()
    python(BOTOCORE_WITH_CLI_CACHE.format(profile="ci"))
    assert operations(world).count("GetRoleCredentials") == 1
    [path] = _cache_files(world)
    cached = json.loads(path.read_text())["Credentials"]["AccessKeyId"]
    result = run_export("export", "--profile", "ci", "--format", "json")
    assert json.loads(result.stdout)["AccessKeyId"] == cached
    assert operations(world).count("GetRoleCredentials") == 1


def test_credentials_with_less_than_15_minutes_left_are_replaced(world: World, run_export) -> None:
    world.seed_token()
    profile = _profile("corp")
    path = RoleCache(world.home / ".aws" / "cli" / "cache").path(profile)
    path.parent.mkdir(parents=True)
    soon = datetime.now(timezone.utc) + timedelta(minutes=10)
    stale = {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": "ASIASTALESTALESTALE0",
            "SecretAccessKey": "stale",
            "SessionToken": "stale",
            "Expiration": utc_timestamp(soon),
        },
    }
    path.write_text(json.dumps(stale))
    result = run_export("export", "--profile", "ci", "--format", "json")
    fresh = json.loads(result.stdout)
    assert fresh["AccessKeyId"] != "ASIASTALESTALESTALE0"
    assert json.loads(path.read_text())["Credentials"]["AccessKeyId"] == fresh["AccessKeyId"]


@pytest.mark.parametrize(("minutes_left", "reused"), [(14, False), (16, True)])
def test_the_15_minute_reuse_boundary_from_both_sides(
    world: World, run_export, minutes_left: int, reused: bool
) -> None:
    """botocore's window: 16 minutes left is still reused, 14 is not (and never 30 or 10)."""
    world.seed_token()
    path = RoleCache(world.home / ".aws" / "cli" / "cache").path(_profile("corp"))
    path.parent.mkdir(parents=True)
    expiration = datetime.now(timezone.utc) + timedelta(minutes=minutes_left)
    cached = {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": "ASIACACHEDCACHEDCACH",
            "SecretAccessKey": "cached",
            "SessionToken": "cached",
            "Expiration": utc_timestamp(expiration),
        },
    }
    path.write_text(json.dumps(cached))
    result = run_export("export", "--profile", "ci", "--format", "json")
    assert (json.loads(result.stdout)["AccessKeyId"] == "ASIACACHEDCACHEDCACH") is reused
    assert operations(world).count("GetRoleCredentials") == (0 if reused else 1)


def test_a_corrupt_cache_file_is_replaced_not_fatal(world: World, run_export) -> None:
    world.seed_token()
    path = RoleCache(world.home / ".aws" / "cli" / "cache").path(_profile("corp"))
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    result = run_export("export", "--profile", "ci", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(path.read_text())["ProviderType"] == "sso"


def test_push_still_fetches_fresh_credentials(world: World, run, run_export) -> None:
    world.seed_token()
    run_export("export", "--profile", "ci", "--format", "json")
    assert operations(world).count("GetRoleCredentials") == 1
    result = run("push", "--repo", "octo-org/app", "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert operations(world).count("GetRoleCredentials") == 2
