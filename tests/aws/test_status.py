"""`status`: verdicts for valid, refreshable, expired and missing sign-ins; never a login."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from sso_sync.aws.status import sts_region
from sso_sync.durations import describe_duration
from tests.support.faults import session_refused
from tests.support.session import operations
from tests.support.world import ACCOUNT, World

ARN = re.compile(rf"^arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_ci_\w+/sandbox-user$")


def _status(run, *extra: str):
    result = run("status", "--profile", "ci", "--json", *extra)
    return result, json.loads(result.stdout)


def test_valid_and_refreshable(world: World, run) -> None:
    world.seed_token(expires_in=3600)
    result, report = _status(run)
    assert result.exit_code == 0, result.stderr
    assert report["usable"] is True and report["sign_in_needed"] is False
    session = report["sso_session"]
    assert re.fullmatch(r"valid (59|60) min; refreshable without a browser", session["verdict"])
    assert session["refreshable"] is True and session["refreshed"] is False
    assert session["start_url"] == world.sandbox.config.start_url
    assert report["registration"]["verdict"] in ("valid 89 days", "valid 90 days")
    role = report["role_credentials"]
    assert (role["account_id"], role["role_name"], role["source"]) == (ACCOUNT, "ci", "fetched")
    assert re.fullmatch(r"valid (59|60) min \(fetched now\)", role["verdict"])
    assert ARN.match(report["caller_identity"]["arn"])
    assert report["caller_identity"]["verdict"] == "ok"
    assert operations(world) == ["GetRoleCredentials", "GetCallerIdentity"]


def test_second_run_uses_the_role_cache(world: World, run) -> None:
    world.seed_token()
    run("status", "--profile", "ci")
    result, report = _status(run)
    assert result.exit_code == 0
    assert report["role_credentials"]["source"] == "cache"
    assert "(from the role cache)" in report["role_credentials"]["verdict"]
    assert operations(world).count("GetRoleCredentials") == 1


def test_plain_output_names_each_part(world: World, run) -> None:
    world.seed_token()
    result = run("status", "--profile", "ci")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "profile ci: usable"
    assert "[sso-session corp]" in lines[1]
    assert "refreshable without a browser" in lines[2]
    assert lines[3].startswith("  registration  valid")
    assert lines[4].startswith(f"  role          {ACCOUNT}/ci: valid")
    assert "arn:aws:sts::" in lines[5] and lines[5].endswith(": ok")


def test_valid_but_not_refreshable(world: World, run) -> None:
    world.seed_token(expires_in=3600, refreshable=False)
    result, report = _status(run)
    assert result.exit_code == 0
    verdict = report["sso_session"]["verdict"]
    assert re.fullmatch(r"valid (59|60) min; a browser sign-in is needed after that", verdict)
    assert report["registration"]["verdict"] == "no client registration (none cached)"


def test_near_expiry_is_refreshed_silently_as_an_sdk_would(world: World, run) -> None:
    before = world.seed_token(expires_in=120)
    result, report = _status(run)
    assert result.exit_code == 0, result.stderr
    session = report["sso_session"]
    assert session["refreshed"] is True
    assert session["verdict"].startswith("refreshed silently just now; valid 7 h 59 min")
    assert operations(world, "sso-oidc") == ["CreateToken"]  # a refresh, not a sign-in
    after = json.loads(world.token_file().read_text())
    assert after["accessToken"] != before["accessToken"]


def test_expired_and_refreshable_is_usable(world: World, run) -> None:
    world.seed_token(expires_in=-300)
    result, report = _status(run)
    assert result.exit_code == 0, result.stderr
    assert report["usable"] is True
    assert report["sso_session"]["refreshed"] is True


def test_expired_refreshable_with_live_role_credentials_is_not_refreshed(world: World, run) -> None:
    world.seed_token()
    assert run("status", "--profile", "ci").exit_code == 0  # caches role credentials
    # Now the sign-in lapses; the role credentials in the cache still have ~60 minutes.
    token = world.token_file()
    entry = json.loads(token.read_text())
    entry["expiresAt"] = "2020-01-01T00:00:00Z"
    token.write_text(json.dumps(entry))
    world.sandbox.clear_requests()
    result, report = _status(run)
    assert result.exit_code == 0
    verdict = report["sso_session"]["verdict"]
    assert re.fullmatch(r"expired \d+ days ago; refreshable without a browser", verdict)
    assert operations(world) == ["GetCallerIdentity"]  # nothing refreshed, nothing fetched


def test_expired_and_not_refreshable_needs_a_sign_in(world: World, run) -> None:
    world.seed_token(expires_in=-300, refreshable=False)
    result, report = _status(run)
    assert result.exit_code == 3
    assert report["usable"] is False and report["sign_in_needed"] is True
    assert report["sso_session"]["verdict"] == (
        "expired 5 min ago; sign-in needed: run `sso-sync login --profile ci`"
    )
    assert report["role_credentials"]["verdict"] == "not available: sign-in needed"
    assert report["caller_identity"]["arn"] is None
    assert "sso-sync login --profile ci" in result.stderr
    assert operations(world) == []  # no login started, nothing called


def test_missing_sign_in(world: World, run) -> None:
    result = run("status", "--profile", "ci")
    assert result.exit_code == 3
    assert "no sign-in cached; sign-in needed" in result.stdout
    assert "profile ci: NOT usable" in result.stdout
    assert "error: profile 'ci' needs a sign-in: run `sso-sync login --profile ci`" in (
        result.stderr
    )
    assert operations(world) == []


def test_revoked_refresh_token_means_sign_in(world: World, run) -> None:
    world.seed_token(expires_in=-60)
    world.sandbox.revoke_refresh_tokens()
    result, report = _status(run)
    assert result.exit_code == 3
    assert report["sso_session"]["verdict"].startswith("the silent refresh failed")
    assert operations(world, "sso-oidc") == ["CreateToken"]


def test_a_sign_in_revoked_server_side_means_sign_in(world: World, run) -> None:
    world.seed_token()
    session_refused(world.sandbox, r"^/federation/credentials$")
    result, report = _status(run)
    assert result.exit_code == 3
    assert report["sso_session"]["verdict"].startswith(
        "IAM Identity Center no longer accepts it; sign-in needed"
    )


def test_sts_refusal_exits_1(world: World, run) -> None:
    world.seed_token()
    assert run("status", "--profile", "ci").exit_code == 0
    # The cached credentials still look live here, but STS no longer takes them.
    world.sandbox.expire_credentials()
    result, report = _status(run)
    assert result.exit_code == 1
    assert report["usable"] is False and report["sign_in_needed"] is False
    assert report["caller_identity"]["verdict"] == (
        "STS refused the credentials: ExpiredToken "
        "The security token included in the request is expired"
    )
    assert "not usable" in result.stderr


def test_legacy_profile(world: World, run) -> None:
    world.seed_token(refreshable=False, key=world.sandbox.config.start_url)
    result = run("status", "--profile", "legacy", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["sso_session"]["session_name"] is None
    assert report["registration"]["verdict"] == (
        "no client registration (legacy profiles keep none)"
    )


def test_region_comes_from_aws_region_first(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    _, report = _status(run)
    assert report["caller_identity"]["region"] == "eu-west-1"
    # and it is the region STS was called in (the one the request was signed for)
    called = [r.region for r in world.sandbox.requests if r.operation == "GetCallerIdentity"]
    assert called == ["eu-west-1"]
    assert sts_region({"AWS_DEFAULT_REGION": "ap-south-1"}, "eu-north-1", "us-east-1") == (
        "ap-south-1"
    )
    assert sts_region({}, "eu-north-1", "us-east-1") == "eu-north-1"
    assert sts_region({}, None, "us-east-1") == "us-east-1"


def test_unknown_profile_exits_2(world: World, run) -> None:
    result = run("status", "--profile", "nope")
    assert result.exit_code == 2
    assert "profile 'nope' not found" in result.stderr


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "under a minute"),
        (52 * 60, "52 min"),
        (3600, "1 h"),
        (8 * 3600 - 60, "7 h 59 min"),
        (89 * 86400 + 5, "89 days"),
    ],
)
def test_describe_duration(seconds: int, text: str) -> None:
    assert describe_duration(timedelta(seconds=seconds)) == text
    assert describe_duration(timedelta(seconds=-seconds)) == text


# --- one verdict with export ---------------------------------------------------------------------


def test_cached_role_credentials_outlive_the_sign_in_and_export_agrees(world: World, run) -> None:
    """The sign-in is over and cannot be refreshed, but role credentials are cached for most
    of an hour: `export` uses them, so `status` says usable (exit 0), with their remaining life,
    and separately that new ones need a sign-in."""
    world.seed_token()
    assert run("export", "--profile", "ci", "--format", "ini").exit_code == 0
    world.seed_token(expires_in=-300, refreshable=False)
    result, report = _status(run)
    assert result.exit_code == 0, result.stderr
    assert report["usable"] is True and report["sign_in_needed"] is True
    assert report["role_credentials"]["source"] == "cache"
    assert re.fullmatch(
        r"valid \d+ min \(from the role cache\)", report["role_credentials"]["verdict"]
    )
    assert "new ones need a sign-in: run `sso-sync login --profile ci`" in result.stderr
    assert run("export", "--profile", "ci", "--format", "ini").exit_code == 0
    # Once STS no longer takes them, both say so: status 1, and nothing usable is claimed.
    world.sandbox.expire_credentials()
    result, report = _status(run)
    assert result.exit_code == 1 and report["usable"] is False


def test_nothing_cached_and_sign_in_over_is_exit_3(world: World, run) -> None:
    world.seed_token(expires_in=-300, refreshable=False)
    result, report = _status(run)
    assert result.exit_code == 3
    assert report["usable"] is False and report["role_credentials"]["source"] is None
    assert run("export", "--profile", "ci", "--format", "credential-process").exit_code == 3
