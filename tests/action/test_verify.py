"""`sso-sync verify` against two real STS peers: the sandbox (real SigV4 checks, real expiry)
and moto's STS in auth mode (temporary credentials minted by its own AssumeRole).

Every case runs both ways: `sso-sync verify` (botocore), and the action's fast path
(`action/fast_path.py`, the AWS CLI of the test extras asking STS): same verdicts, problem
codes, exit codes and runner output."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sso_sync.action.verify import make_checks, parse_expiration, read_credentials
from sso_sync.durations import parse_duration
from sso_sync.errors import UsageError
from tests.support.verify import (
    ARN_RE,
    MOTO_ROLE,
    Moto,
    assert_masked_first,
    iso_z,
    read_outputs,
    sandbox_credentials,
    start_moto,
)
from tests.support.world import ACCOUNT, ROLE, World

REPO = "octo-org/app"


@pytest.fixture
def live(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Live sandbox credentials in the environment, as a workflow step gets them."""
    creds = sandbox_credentials(world.sandbox, ACCOUNT, ROLE)
    for name, value in creds.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    return creds


def sts_calls(world: World) -> list[int]:
    return [r.status for r in world.sandbox.requests if r.operation == "GetCallerIdentity"]


def one_line(text: str) -> str:
    assert text.strip().count("\n") == 0, text
    return text.strip()


# --- the sandbox's STS -----------------------------------------------------------------------


def test_live_credentials_pass_and_say_who_and_how_long(world: World, verify, live) -> None:
    result = verify("--expected-account", ACCOUNT, "--expected-role", "*_ci_*")
    assert result.exit_code == 0, result.stderr
    line = one_line(result.stdout)
    assert line.startswith(f"valid: arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_ci_")
    assert f"expire at {live['AWS_CREDENTIAL_EXPIRATION']}" in line
    assert sts_calls(world) == [200]


def sts_regions(world: World) -> list[str]:
    return [r.region for r in world.sandbox.requests if r.operation == "GetCallerIdentity"]


@pytest.mark.parametrize(
    ("env", "region"),
    [
        ({"AWS_REGION": "eu-west-1"}, "eu-west-1"),
        ({"AWS_REGION": "", "AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ({"P_AWS_REGION": "sa-east-1"}, "sa-east-1"),
    ],
)
def test_sts_is_called_in_the_step_s_region(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], region: str
) -> None:
    """The region the request was signed for, as the sandbox's STS saw it."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    prefix = ["--prefix", "P_"] if "P_AWS_REGION" in env else []
    if prefix:
        for name, value in live.items():
            monkeypatch.setenv("P_" + name, value)
    result = verify(*prefix)
    assert result.exit_code == 0, result.stderr
    assert sts_regions(world) == [region]


def test_json_is_one_stable_object(world: World, verify, live) -> None:
    result = verify("--json", "--min-remaining", "30m")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {
        "valid",
        "problem",
        "message",
        "account",
        "arn",
        "expires_at",
        "remaining_minutes",
    }
    assert report["valid"] is True and report["problem"] is None
    assert report["account"] == ACCOUNT and ARN_RE.match(report["arn"])
    assert report["expires_at"] == live["AWS_CREDENTIAL_EXPIRATION"]
    assert 55 <= report["remaining_minutes"] <= 60


def test_expired_credentials_fail_with_how_long_ago_and_the_push_command(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.sandbox.expire_credentials()
    ended = datetime.now(timezone.utc) - timedelta(hours=2, minutes=1)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", iso_z(ended))
    result = verify()
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "expired 2 h 1 min ago" in line
    assert f"run `sso-sync push --repo {REPO} --profile PROFILE` where you can sign in" in line
    assert sts_calls(world) == [400]  # STS itself refused: ExpiredToken


def test_expired_by_sts_without_a_stored_expiration_still_says_expired(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.sandbox.expire_credentials()
    monkeypatch.delenv("AWS_CREDENTIAL_EXPIRATION")
    result = verify("--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["problem"] == "expired"
    assert "have expired (STS says ExpiredToken)" in report["message"]


def test_garbage_session_token_fails_as_unrecognised(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", live["AWS_SESSION_TOKEN"][:40])
    result = verify()
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "STS does not recognise these credentials (InvalidClientTokenId" in line
    assert "sso-sync push --repo octo-org/app" in line
    assert sts_calls(world) == [403]


def test_wrong_secret_key_fails_as_a_bad_signature(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x" * 40)
    result = verify()
    assert result.exit_code == 1
    assert "SignatureDoesNotMatch" in one_line(result.stderr)


def test_wrong_account_fails_naming_both_accounts(world: World, verify, live) -> None:
    result = verify("--expected-account", "444455556666", "--expected-account", "1" * 12)
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert f"for account {ACCOUNT}, expected 444455556666, 111111111111" in line
    assert "push the profile of the right account" in line


def test_expected_accounts_may_come_as_one_comma_separated_value(
    world: World, verify, live
) -> None:
    result = verify("--expected-account", f"444455556666, {ACCOUNT}")
    assert result.exit_code == 0, result.stderr


def test_wrong_role_fails_naming_the_caller_and_the_pattern(world: World, verify, live) -> None:
    result = verify("--expected-role", "*AWSReservedSSO_Deployer_*")
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "does not match the expected role '*AWSReservedSSO_Deployer_*'" in line
    assert "assumed-role/AWSReservedSSO_ci_" in line


def test_too_little_lifetime_left_fails_with_what_is_left(world: World, verify, live) -> None:
    result = verify("--min-remaining", "1h30m")
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert "left (until " + live["AWS_CREDENTIAL_EXPIRATION"] in line
    assert "less than the 1 h 30 min required" in line
    assert "schedule it more often" in line


def test_min_remaining_without_an_expiration_is_a_usage_error_before_any_call(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_CREDENTIAL_EXPIRATION")
    result = verify("--min-remaining", "30m")
    assert result.exit_code == 2
    assert "--min-remaining needs the expiration" in one_line(result.stderr)
    assert sts_calls(world) == []


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--min-remaining", "soon"], {}, "--min-remaining 'soon' is not a duration"),
        (["--expected-account", "12345"], {}, "'12345' is not a 12-digit AWS account ID"),
        ([], {"AWS_CREDENTIAL_EXPIRATION": "tomorrow"}, "not a UTC timestamp"),
        ([], {"AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID not set"),
        (["--prefix", "PROD_"], {}, "PROD_AWS_ACCESS_KEY_ID and PROD_AWS_SECRET_ACCESS_KEY"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_call(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch, args, env, message
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = verify(*args)
    assert result.exit_code == 2
    assert message in one_line(result.stderr)
    assert sts_calls(world) == []


def test_prefixed_names_are_read_with_prefix(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in live.items():
        monkeypatch.delenv(name)
        monkeypatch.setenv(f"PROD_{name}", value)
    result = verify("--prefix", "PROD_", "--min-remaining", "30m")
    assert result.exit_code == 0, result.stderr


def test_sts_unreachable_fails_with_the_endpoint_to_check(
    world: World, verify, live, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.verify import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{free_port()}")
    result = verify()
    assert result.exit_code == 1
    assert "cannot reach STS (EndpointConnectionError)" in one_line(result.stderr)
    assert "AWS_ENDPOINT_URL_STS" in result.stderr


# --- under GitHub Actions ----------------------------------------------------------------------


@pytest.fixture
def runner_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    output.touch()
    summary.touch()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return output, summary


def test_in_actions_masks_come_first_then_outputs_and_summary(
    world: World, merged, live, runner_files
) -> None:
    output, summary = runner_files
    result = merged("--expected-account", ACCOUNT, "--min-remaining", "30m")
    assert result.returncode == 0, result.lines
    secrets = {live[n] for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    assert_masked_first(result.lines, secrets)
    # The expiry is not masked: masking it would blank `expires-at` for later jobs.
    assert not any(live["AWS_CREDENTIAL_EXPIRATION"] in m for m in result.lines[:3])
    outputs = read_outputs(output)
    assert outputs["valid"] == "true"
    assert outputs["account"] == ACCOUNT
    assert ARN_RE.match(outputs["arn"])
    assert outputs["expires-at"] == live["AWS_CREDENTIAL_EXPIRATION"]
    assert 55 <= int(outputs["remaining-minutes"]) <= 60
    table = summary.read_text()
    assert "| verdict | valid |" in table
    assert f"| account | {ACCOUNT} |" in table
    assert "| minimum remaining | 30 min |" in table
    assert not any(line.startswith("::error") for line in result.lines)


def test_in_actions_a_failure_writes_valid_false_and_an_error_annotation(
    world: World, merged, live, runner_files
) -> None:
    output, summary = runner_files
    result = merged("--expected-account", "444455556666")
    assert result.returncode == 1
    secrets = {live[n] for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    assert_masked_first(result.lines, secrets)
    errors = [line for line in result.lines if line.startswith("::error title=AWS credentials::")]
    assert len(errors) == 1 and "expected 444455556666" in errors[0]
    outputs = read_outputs(output)
    assert outputs["valid"] == "false"
    assert outputs["account"] == ACCOUNT
    assert "expected 444455556666" in outputs["message"]
    assert "| what to do |" in summary.read_text()


def test_in_actions_bad_input_still_masks_and_reports(
    world: World, merged, live, runner_files, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, _ = runner_files
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", "not a date")
    result = merged()
    assert result.returncode == 2
    secrets = {live[n] for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    assert_masked_first(result.lines, secrets)
    assert any(line.startswith("::error title=AWS credentials::") for line in result.lines)
    assert read_outputs(output)["valid"] == "false"
    assert sts_calls(world) == []


def test_outside_actions_nothing_is_masked_and_no_file_is_needed(
    world: World, merged, live, tmp_path: Path
) -> None:
    result = merged()
    assert result.returncode == 0
    assert not any(line.startswith("::") for line in result.lines)


# --- moto's STS, auth mode -------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    server = Path(sys.executable).with_name("moto_server")
    if not server.exists():
        found = shutil.which("moto_server")
        assert found, "moto_server is a test dependency (moto[server])"
        server = Path(found)
    yield from start_moto(server)


@pytest.fixture
def moto_env(moto: Moto, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    creds = moto.assume_role(seconds=3600)
    for name, value in creds.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto.url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return creds


def test_moto_live_assumed_role_credentials_pass(moto_env, verify) -> None:
    result = verify(
        "--expected-account",
        "123456789012",
        "--expected-role",
        "*AWSReservedSSO_Deployer_*",
        "--min-remaining",
        "30m",
    )
    assert result.exit_code == 0, result.stderr
    assert f"assumed-role/{MOTO_ROLE}/gha" in result.stdout
    assert_no_secret(result, moto_env)


def assert_no_secret(result, creds: dict[str, str]) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert creds[name] not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "args", "problem", "message"),
    [
        ({"AWS_SESSION_TOKEN": "garbage"}, [], "invalid-token", "InvalidClientTokenId"),
        ({"AWS_SECRET_ACCESS_KEY": "y" * 40}, [], "bad-secret", "SignatureDoesNotMatch"),
        ({"AWS_ACCESS_KEY_ID": "ASIAMADEUPMADEUP0000"}, [], "invalid-token", "recognise"),
        # moto never expires temporary credentials; the stored expiry is what says so.
        ({"AWS_CREDENTIAL_EXPIRATION": "2020-01-01T00:00:00Z"}, [], "expired", "expired"),
        ({}, ["--expected-account", "111122223333"], "wrong-account", "account 123456789012"),
        ({}, ["--expected-role", "*_ci_*"], "wrong-role", "expected role '*_ci_*'"),
        ({}, ["--min-remaining", "2h"], "expiring", "less than the 2 h required"),
    ],
)
def test_moto_each_problem_has_its_own_verdict(
    moto_env, verify, monkeypatch: pytest.MonkeyPatch, change, args, problem, message
) -> None:
    for name, value in change.items():
        monkeypatch.setenv(name, value)
    result = verify("--json", *args)
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["problem"] == problem
    assert message in report["message"]
    assert one_line(result.stderr) == f"error: {report['message']}"
    assert_no_secret(result, moto_env)


# --- parsers -----------------------------------------------------------------------------------


@given(
    h=st.integers(min_value=0, max_value=99),
    m=st.integers(min_value=0, max_value=59),
)
def test_durations_parse_as_written(h: int, m: int) -> None:
    text = (f"{h}h" if h else "") + (f"{m}m" if m or not h else "")
    assert parse_duration(text) == timedelta(hours=h, minutes=m)


@pytest.mark.parametrize("text", ["", "h", "30x", "1m30h", "-5m", "1.5h", "m30"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


def test_expirations_accept_z_and_offsets_and_reject_naive() -> None:
    utc = datetime(2026, 11, 26, 5, tzinfo=timezone.utc)
    assert parse_expiration("2026-11-26T05:00:00Z", "X") == utc
    assert parse_expiration("2026-11-26T06:00:00+01:00", "X") == utc
    with pytest.raises(UsageError):
        parse_expiration("2026-11-26T05:00:00", "X")


def test_region_prefers_prefixed_then_aws_region_then_default_region() -> None:
    base = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
    assert read_credentials(base).region == "us-east-1"
    assert read_credentials({**base, "AWS_DEFAULT_REGION": "ap-south-1"}).region == "ap-south-1"
    both = {**base, "AWS_DEFAULT_REGION": "ap-south-1", "AWS_REGION": "eu-west-1"}
    assert read_credentials(both).region == "eu-west-1"
    prefixed = {f"P_{k}": v for k, v in base.items()} | {"P_AWS_REGION": "sa-east-1"}
    assert read_credentials(prefixed, "P_").region == "sa-east-1"


def test_checks_deduplicate_accounts_and_ignore_blank_inputs() -> None:
    checks = make_checks(["111122223333,111122223333", " "], "  ", "")
    assert checks.expected_accounts == ("111122223333",)
    assert checks.expected_role is None and checks.min_remaining is None
