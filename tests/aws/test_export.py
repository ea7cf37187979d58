"""`export`: every format consumed by a real consumer; values on stdout only."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sso_sync.files import utc_timestamp
from tests.support.faults import role_refused
from tests.support.session import AWS_CLI, SSO_SYNC, aws, operations, python, run_export
from tests.support.world import ACCOUNT, World

__all__ = ["run_export"]  # a fixture, imported for pytest


def _sh(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", script, "sh", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _env_without_profile_or_sso() -> dict[str, str]:
    """What a shell that knows nothing of our profiles would have: no config, no caches."""
    env = dict(os.environ)
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    return env


@pytest.fixture
def signed_in(world: World) -> World:
    world.seed_token()
    return world


def test_credential_process_works_for_a_boto3_session(signed_in: World) -> None:
    config = signed_in.home / ".aws" / "config"
    config.write_text(
        config.read_text()
        + "\n[profile via-process]\n"
        + f"credential_process = {SSO_SYNC} export --format credential-process --profile ci\n"
        + "region = us-east-1\n"
    )
    code = (
        "import boto3, json; s = boto3.Session(profile_name='via-process'); "
        "print(json.dumps(s.client('sts').get_caller_identity()))"
    )
    identity = python(code)
    assert identity["Account"] == ACCOUNT
    assert "assumed-role/AWSReservedSSO_ci_" in identity["Arn"]
    assert operations(signed_in) == ["GetRoleCredentials", "GetCallerIdentity"]


def test_credential_process_output_is_the_documented_json(signed_in: World, run_export) -> None:
    result = run_export("export", "--profile", "ci", "--format", "credential-process")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
    assert data["Version"] == 1
    assert data["Expiration"].endswith("Z") and len(data["Expiration"]) == 20
    assert result.stderr == ""


def test_credential_process_never_signs_in_and_says_what_to_run(world: World, run) -> None:
    # No token cached: an SDK's credential_process must fail fast, not start a browser flow.
    result = run("export", "--profile", "ci", "--format", "credential-process")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "sso-sync login --profile ci" in result.stderr
    assert operations(world, "sso-oidc") == []


def test_ini_section_is_used_by_the_aws_cli(signed_in: World, run) -> None:
    credentials = signed_in.home / ".aws" / "credentials"
    credentials.parent.mkdir(parents=True, exist_ok=True)
    before = "# my keys\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = x\n"
    credentials.write_text(before)
    # The default section is PROFILE-keys: a section named like the SSO profile is never read.
    result = run("export", "--profile", "ci", "--format", "ini")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "[ci-keys]" in result.stderr and str(credentials) in result.stderr
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    text = credentials.read_text()
    assert text.startswith(before)  # the other section and the comment, byte for byte
    signed_in.sandbox.clear_requests()
    env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1")
    identity = aws("sts", "get-caller-identity", "--profile", "ci-keys", env=env)
    assert identity["Account"] == ACCOUNT
    assert operations(signed_in) == ["GetCallerIdentity"]  # from the file, not from SSO


def test_ini_updates_its_section_in_place(signed_in: World, run) -> None:
    credentials = signed_in.home / ".aws" / "credentials"
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.write_text(
        "[ci-keys]\naws_access_key_id = OLD\n# keep me\naws_security_token = OLD\nregion = x\n"
        "\n[after]\nk = v\n"
    )
    assert run("export", "--profile", "ci", "--format", "ini").exit_code == 0
    signed_in.sandbox.expire_credentials()
    # Expired in the cache's eyes too: the next export fetches and rewrites.
    cache_dir = signed_in.home / ".aws" / "cli" / "cache"
    for path in cache_dir.glob("*.json"):
        path.unlink()
    assert run("export", "--profile", "ci", "--format", "ini").exit_code == 0
    lines = credentials.read_text().splitlines()
    newest = signed_in.sandbox.issued_credentials[-1]
    assert lines == [
        "[ci-keys]",
        f"aws_access_key_id = {newest['accessKeyId']}",
        "# keep me",
        "region = x",
        f"aws_secret_access_key = {newest['secretAccessKey']}",
        f"aws_session_token = {newest['sessionToken']}",
        "",
        "[after]",
        "k = v",
    ]


@pytest.mark.parametrize("section", ["ci", "legacy"])
def test_ini_refuses_a_section_botocore_would_ignore(signed_in: World, run, section: str) -> None:
    credentials = signed_in.home / ".aws" / "credentials"
    result = run("export", "--profile", "ci", "--format", "ini", "--section", section)
    assert result.exit_code == 2
    assert f"'{section}' is an IAM Identity Center profile" in result.stderr
    assert "--section" in result.stderr and "Traceback" not in result.stderr
    assert not credentials.exists()
    assert operations(signed_in) == []  # refused before any credentials were fetched


def test_ini_honours_aws_shared_credentials_file(
    signed_in: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "elsewhere" / "creds"
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(target))
    assert run("export", "--profile", "ci", "--format", "ini").exit_code == 0
    assert "[ci-keys]" in target.read_text()
    assert not (signed_in.home / ".aws" / "credentials").exists()


def test_env_is_sourced_by_a_shell(signed_in: World, run_export, tmp_path: Path) -> None:
    result = run_export("export", "--profile", "ci", "--format", "env")
    assert result.exit_code == 0, result.stderr
    assert all(line.startswith("export AWS_") for line in result.stdout.splitlines())
    script = tmp_path / "creds.sh"
    script.write_text(result.stdout)
    shell = _sh(
        '. "$1" && printf "%s\\n" "$AWS_CREDENTIAL_EXPIRATION" && '
        f'"{AWS_CLI}" sts get-caller-identity --output json',
        str(script),
        env=_env_without_profile_or_sso(),
    )
    assert shell.returncode == 0, shell.stderr
    expiration, _, answer = shell.stdout.partition("\n")
    issued_ms = signed_in.sandbox.issued_credentials[0]["expiration"]
    assert expiration == utc_timestamp(datetime.fromtimestamp(issued_ms / 1000, timezone.utc))
    assert json.loads(answer)["Account"] == ACCOUNT


def test_dotenv_is_read_by_a_shell_with_set_a(signed_in: World, run_export, tmp_path: Path) -> None:
    result = run_export("export", "--profile", "ci", "--format", "dotenv")
    assert result.exit_code == 0, result.stderr
    dotenv = tmp_path / ".env"
    dotenv.write_text(result.stdout)
    shell = _sh(
        f'set -a && . "$1" && set +a && "{AWS_CLI}" sts get-caller-identity --output json',
        str(dotenv),
        env=_env_without_profile_or_sso(),
    )
    assert shell.returncode == 0, shell.stderr
    assert json.loads(shell.stdout)["Account"] == ACCOUNT


def test_json_feeds_a_boto3_session(signed_in: World, run_export) -> None:
    result = run_export("export", "--profile", "ci", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["AccountId"] == ACCOUNT and data["RoleName"] == "ci"
    code = (
        "import boto3, json, sys; c = json.load(sys.stdin); "
        "s = boto3.Session(aws_access_key_id=c['AccessKeyId'], "
        "aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'], "
        "region_name='us-east-1'); print(json.dumps(s.client('sts').get_caller_identity()))"
    )
    assert python(code, env=_env_without_profile_or_sso(), stdin=result.stdout)["Account"] == (
        ACCOUNT
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "yaml"), "unknown --format"),
        (("--format", "env", "--section", "x"), "--section goes with --format ini"),
        (("--format", "ini", "--section", "bad name"), "invalid section"),
    ],
)
def test_bad_usage_exits_2_and_prints_nothing_secret(
    signed_in: World, run, args: tuple[str, ...], message: str
) -> None:
    result = run("export", "--profile", "ci", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_unknown_profile_exits_2(world: World, run) -> None:
    result = run("export", "--profile", "nope", "--format", "env")
    assert result.exit_code == 2
    assert "profile 'nope' not found" in result.stderr


def test_a_refused_role_fails_without_output(world: World, run) -> None:
    world.seed_token()
    role_refused(world.sandbox)
    result = run("export", "--profile", "ci", "--format", "env")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "not assigned to you" in result.stderr


@pytest.mark.parametrize("fmt", ["env", "credential-process", "ini"])
def test_debug_logging_keeps_credentials_off_stderr(signed_in: World, run_export, fmt) -> None:
    result = run_export("--debug", "export", "--profile", "ci", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert "role credentials" in result.stderr  # the debug lines are there, values are not
