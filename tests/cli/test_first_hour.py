"""A newcomer's first hour: hints that name `sso-sync configure`, messages that say what is
wrong, `--profile` taken by `list` and `remove`, long waits announced, and `--json` errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.session import operations
from tests.support.world import World

APP = "octo-org/app"


def _config(world: World) -> Path:
    return world.home / ".aws" / "config"


# --- hints and names ---------------------------------------------------------------------


def test_a_missing_profile_hints_sso_sync_configure(world: World, run) -> None:
    result = run("status", "--profile", "nope")
    assert result.exit_code == 2
    assert "create it with `sso-sync configure --profile nope`" in result.stderr


def test_no_profile_at_all_hints_sso_sync_configure(world: World, run) -> None:
    result = run("status")
    assert result.exit_code == 2
    assert "`sso-sync configure` creates one" in result.stderr


def test_a_missing_sso_session_hints_sso_sync_configure(world: World, run) -> None:
    config = _config(world)
    config.write_text(config.read_text().replace("[sso-session corp]", "[sso-session gone]"))
    result = run("status", "--profile", "ci")
    assert result.exit_code == 2
    assert "`sso-sync configure --session-name corp --profile ci --overwrite`" in result.stderr


def test_a_directory_where_the_config_should_be_is_named(world: World, run) -> None:
    config = _config(world)
    config.unlink()
    config.mkdir()
    result = run("status", "--profile", "ci")
    assert result.exit_code == 2
    assert f"{config} is a directory, not the AWS config file" in result.stderr
    assert "Traceback" not in result.stderr


def test_credentials_file_sections_are_not_listed_as_profiles(world: World, run) -> None:
    credentials = world.home / ".aws" / "credentials"
    credentials.write_text("[keys-only]\naws_access_key_id = AKIAX\naws_secret_access_key = y\n")
    result = run("status", "--profile", "nope")
    assert result.exit_code == 2
    assert "(known: ci, legacy, static)" in result.stderr
    assert "keys-only" not in result.stderr


def test_a_set_without_a_config_file_says_no_config_file_was_found(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "project"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = run("push", "ci", "--profile", "ci")
    assert result.exit_code == 2
    assert "set 'ci' asked for, but no config file was found" in result.stderr
    assert str(empty) in result.stderr and "--config" in result.stderr


# --- a push line with another verb --------------------------------------------------------


@pytest.mark.parametrize("verb", ["list", "remove"])
def test_a_push_line_works_with_list_or_remove(world: World, run, verb: str) -> None:
    world.seed_token()
    assert run("push", "--repo", APP, "--profile", "ci").exit_code == 0
    world.sandbox.clear_requests()
    extra = ("--yes",) if verb == "remove" else ()
    result = run(verb, "--repo", APP, "--profile", "ci", *extra)
    assert result.exit_code == 0, result.stderr
    assert "AWS_ACCESS_KEY_ID" in result.stdout
    assert [r for r in world.sandbox.requests if r.service != "github"] == []  # no AWS at all


# --- failure lines ------------------------------------------------------------------------


def test_a_failure_line_names_its_target_once_and_counts_in_english(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", "nobody/none", "--profile", "ci")
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("nobody/none"))
    assert line.count("nobody/none") == 2  # the label, and the "repository ... not found" hint
    assert line.startswith("nobody/none: failed: fetching the public key: repository nobody/none")
    assert "error: 1 of 1 target failed: nobody/none\n" in result.stderr


# --- long waits ---------------------------------------------------------------------------


def test_a_long_retry_wait_is_announced_without_verbose(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github", "PUT", r"AWS_SECRET_ACCESS_KEY$", 429, times=1, headers={"Retry-After": "3"}
    )
    world.sandbox.inject_fault(
        "github", "PUT", r"AWS_SESSION_TOKEN$", 429, times=1, headers={"Retry-After": "1"}
    )
    result = run("push", "--repo", APP, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert (
        "GitHub answered 429 and asked to wait: waiting 3 s before retrying PUT "
        f"/repos/{APP}/actions/secrets/AWS_SECRET_ACCESS_KEY"
    ) in result.stderr
    assert "AWS_SESSION_TOKEN" not in result.stderr  # a 1 s wait passes silently
    # The other writes held by the same pause say nothing more: one line per wait.
    assert result.stderr.count("waiting") == 1, result.stderr


def test_a_used_up_rate_limit_is_announced_once_while_every_worker_waits(world: World, run) -> None:
    import time

    world.seed_token()
    reset = int(time.time()) + 5
    world.sandbox.inject_fault(
        "github",
        "PUT",
        r"AWS_ACCESS_KEY_ID$",
        201,
        times=1,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    result = run("push", "--repo", APP, "--profile", "ci", "--concurrency", "1")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "rate limit" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("GitHub's rate limit for this token is used up: waiting ")
    assert lines[0].endswith(" s before sending more")
    assert time.time() >= reset - 1  # and the others did wait for the reset


# --- after logout -------------------------------------------------------------------------


def test_status_after_logout_says_the_registration_is_still_cached(world: World, run) -> None:
    assert run("login", "--profile", "ci", "--use-device-code", "--no-browser").exit_code == 0
    assert run("logout", "--profile", "ci").exit_code == 0
    result = run("status", "--profile", "ci", "--json")
    verdict = json.loads(result.stdout)["registration"]["verdict"]
    assert verdict.startswith("valid ")
    assert "still cached after sign-out" in verdict
    assert operations(world, "sso-oidc").count("RegisterClient") == 1


# --- the sandbox's own --help -------------------------------------------------------------


def test_the_sandbox_help_describes_every_option() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sso_sync.sandbox", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "loopback IAM Identity Center" in out
    options = out.split("options:", 1)[1]
    for option in (
        "--aws-port PORT",
        "--github-port PORT",
        "--role-lifetime SECONDS",
        "--ecr-lifetime SECONDS",
    ):
        described = options.split(option, 1)[1].split("--", 1)[0]
        assert len(described.split()) >= 4, option


# --- --json errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("status", "--json", "--profile", "nope"), 2, "profile 'nope' not found"),
        (("push", "--json", "--no-such-flag"), 2, "no such option: --no-such-flag"),
        (("status", "--json", "--profile"), 2, "--profile needs a value"),
        (("push", "--json", "--repo", "o/r", "--timeout", "x"), 2, "--timeout"),
    ],
)
def test_json_errors_are_one_object_on_stdout(world: World, run, args, code, message) -> None:
    result = run(*args)
    assert result.exit_code == code
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["error"]["exit_code"] == code
    assert message in report["error"]["message"]
    assert message in result.stderr  # the person at the terminal still reads it there


def test_a_json_result_is_not_followed_by_a_second_object(world: World, run) -> None:
    result = run("status", "--profile", "ci", "--json")  # no sign-in: the report, then exit 3
    assert result.exit_code != 0
    report = json.loads(result.stdout)  # exactly one object
    assert report["sign_in_needed"] is True


def test_without_json_errors_leave_stdout_empty(world: World, run) -> None:
    result = run("status", "--profile", "nope")
    assert result.exit_code == 2
    assert result.stdout == ""
