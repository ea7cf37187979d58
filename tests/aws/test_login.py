"""`sso-sync login`: the device flow against the sandbox, and a cache that others can read.

The browser flow (PKCE), the choice between flows, reuse and registrations: test_signin.py."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.faults import device_code_expired, slow_down
from tests.support.session import botocore_caller_identity
from tests.support.world import ACCOUNT, World


def test_login_writes_the_aws_cli_v2_cache(world: World, run) -> None:
    result = run("login", "--profile", "ci", "--no-browser", "--use-device-code")
    assert result.exit_code == 0, result.stderr
    assert "confirm the code" in result.stderr
    cache = world.token_file("corp")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    entry = json.loads(cache.read_text())
    assert set(entry) == {
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    }
    assert entry["startUrl"] == world.sandbox.config.start_url
    assert entry["expiresAt"].endswith("Z") and len(entry["expiresAt"]) == 20
    oidc = [r.operation for r in world.sandbox.requests if r.service == "sso-oidc"]
    # One pending poll (the sandbox approves on the second), then the token.
    assert oidc == ["RegisterClient", "StartDeviceAuthorization", "CreateToken", "CreateToken"]
    # The token and the client registration, and no stray temp files next to them.
    files = sorted(p.name for p in cache.parent.iterdir() if not p.name.endswith(".lock"))
    assert len(files) == 2 and cache.name in files


def test_login_for_a_legacy_profile_names_the_file_after_the_start_url(world: World, run) -> None:
    result = run("login", "--profile", "legacy", "--no-browser")
    assert result.exit_code == 0, result.stderr
    assert world.token_file(world.sandbox.config.start_url).is_file()


def test_login_runs_even_without_a_terminal_and_with_ci_set(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = run("login", "--profile", "ci", "--no-browser", "--use-device-code")
    assert result.exit_code == 0, result.stderr
    # It signed in (login is the one command that does so wherever it runs) and cached the token.
    oidc = [r.operation for r in world.sandbox.requests if r.service == "sso-oidc"]
    assert oidc[:2] == ["RegisterClient", "StartDeviceAuthorization"]
    assert oidc[-1] == "CreateToken"
    assert json.loads(world.token_file("corp").read_text())["accessToken"]
    assert "confirm the code:" in result.stderr  # shown without a terminal too


def test_polling_honours_interval_and_slow_down(world: World) -> None:
    from sso_sync import clients
    from sso_sync.aws.profiles import AwsPaths, load_profile
    from sso_sync.aws.signin.device_code import device_login
    from sso_sync.aws.token_cache import TokenCache

    world.sandbox.config.device_interval = 2
    world.sandbox.config.approve_after_polls = 2
    slow_down(world.sandbox)
    paths = AwsPaths.from_environ(os.environ)
    session = clients.aws_session(paths)
    profile = load_profile(session, "ci", paths.config_file)
    slept: list[float] = []
    prompts = []
    device_login(
        clients.oidc_client(session, profile.sso_region),
        profile,
        TokenCache(paths.sso_cache),
        show_prompt=prompts.append,
        sleep=slept.append,
    )
    # slow_down (+5 s), then two pending polls at the new interval, then the token.
    assert slept == [7.0, 7.0, 7.0]
    assert len(prompts) == 1 and prompts[0].user_code
    assert world.token_file("corp").is_file()


def test_expired_device_code_exits_3(world: World, run) -> None:
    device_code_expired(world.sandbox)
    result = run("login", "--profile", "ci", "--no-browser", "--use-device-code")
    assert result.exit_code == 3
    assert "sso-sync login --profile ci" in result.stderr


def test_botocore_uses_the_cache_we_wrote(world: World, run) -> None:
    assert run("login", "--profile", "ci", "--no-browser", "--use-device-code").exit_code == 0
    # A fresh interpreter: botocore fixes its cache directory from HOME when first imported.
    assert botocore_caller_identity("ci")["Account"] == ACCOUNT
    ops = [r.operation for r in world.sandbox.requests]
    assert ops[-2:] == ["GetRoleCredentials", "GetCallerIdentity"]


@pytest.mark.slow
def test_the_aws_cli_accepts_the_cache_we_wrote(world: World, run) -> None:
    assert run("login", "--profile", "ci", "--no-browser", "--use-device-code").exit_code == 0
    aws = Path(sys.executable).with_name("aws")
    result = subprocess.run(
        [str(aws), "sts", "get-caller-identity", "--profile", "ci", "--output", "json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == ACCOUNT
