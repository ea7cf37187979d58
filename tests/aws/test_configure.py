"""`configure`: scripted menus and flags; a config that botocore and the AWS CLI both use."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from tests.support.faults import session_refused
from tests.support.session import aws, botocore_caller_identity, operations
from tests.support.world import ACCOUNT, World

PROD = "444455556666"


def _config(world: World):
    return world.home / ".aws" / "config"


def _answers(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


def test_menus_driven_by_scripted_input(world: World, run) -> None:
    config = _config(world)
    original = config.read_bytes()
    start = world.sandbox.config.start_url
    # session name, start URL, region, scopes (default), account 2, role 1, region, name
    answers = _answers("work", start, "us-east-1", "", "2", "1", "eu-west-1", "")
    result = run("configure", input=answers)
    assert result.exit_code == 0, result.stderr
    # The profile is named only later: the sign-in names no profile that does not exist.
    assert "Signed in to sso-session 'work', valid until" in result.stderr
    assert "There are 2 AWS accounts available to you." in result.stderr
    assert f"2. sandbox-prod ({PROD}, sandbox-prod@example.com)" in result.stderr
    assert "1. Deployer" in result.stderr
    assert result.stdout.splitlines()[-1] == f"Deployer-{PROD}"
    new = config.read_bytes()
    # Every earlier byte is still there, in place; the new sections follow.
    assert new.startswith(original)
    assert new[len(original) :].decode() == (
        "\n[sso-session work]\n"
        f"sso_start_url = {start}\n"
        "sso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n"
        "\n"
        f"[profile Deployer-{PROD}]\n"
        "sso_session = work\n"
        f"sso_account_id = {PROD}\n"
        "sso_role_name = Deployer\n"
        "region = eu-west-1\n"
    )
    backup = config.with_name("config.bak")
    assert backup.read_bytes() == original
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    # The sign-in was a device-code flow, then the listings.
    assert operations(world, "sso-oidc")[:2] == ["RegisterClient", "StartDeviceAuthorization"]
    assert "ListAccounts" in operations(world) and "ListAccountRoles" in operations(world)
    # What the answers produced works for botocore and for the AWS CLI as it stands.
    profile = f"Deployer-{PROD}"
    assert botocore_caller_identity(profile)["Account"] == PROD
    identity = aws("sts", "get-caller-identity", "--profile", profile)
    assert identity["Account"] == PROD and "AWSReservedSSO_Deployer_" in identity["Arn"]


def test_a_wrong_menu_answer_is_asked_again(world: World, run) -> None:
    world.seed_token()
    answers = _answers("9", "x", "1", "2", "", "picked")
    result = run("configure", "--session-name", "corp", input=answers)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("Enter a number from 1 to 2.") == 2
    assert "[profile picked]\nsso_session = corp\nsso_account_id = 111122223333\n" in (
        _config(world).read_text()
    )


def test_flags_only_reuse_the_existing_session_and_a_live_token(world: World, run) -> None:
    world.seed_token()
    result = run(
        "configure",
        "--session-name",
        "corp",
        "--account-id",
        PROD,
        "--role-name",
        "ReadOnly",
        "--profile",
        "prod-ro",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "prod-ro\n"
    assert operations(world, "sso-oidc") == []  # the cached sign-in was enough
    text = _config(world).read_text()
    assert text.count("[sso-session corp]") == 1
    assert text.endswith(
        "\n[profile prod-ro]\nsso_session = corp\n"
        f"sso_account_id = {PROD}\nsso_role_name = ReadOnly\nregion = us-east-1\n"
    )


def test_all_pages_are_listed(world: World, run) -> None:
    world.seed_token()
    world.sandbox.config.page_size = 1
    result = run(
        "configure", "--session-name", "corp", "--profile", "p1", input=_answers("2", "2", "")
    )
    assert result.exit_code == 0, result.stderr
    assert "There are 2 AWS accounts" in result.stderr
    assert f"There are 2 roles available to you in {PROD}" in result.stderr
    ops = operations(world)
    assert ops.count("ListAccounts") == 2 and ops.count("ListAccountRoles") == 2
    assert "sso_role_name = ReadOnly" in _config(world).read_text()


def test_a_single_choice_is_taken_without_asking(world: World, run) -> None:
    world.sandbox.config.accounts = {ACCOUNT: ("only", ["ci"])}
    world.seed_token()
    result = run("configure", "--session-name", "corp", "--profile", "solo", input="\n")
    assert result.exit_code == 0, result.stderr
    assert "The only AWS account available to you is: only" in result.stderr
    assert f"The only role available to you in {ACCOUNT} is: ci" in result.stderr


def test_the_written_profile_works_for_botocore_and_the_aws_cli(world: World, run) -> None:
    args = ("--account-id", PROD, "--role-name", "Deployer", "--profile", "deploy")
    result = run(
        "configure",
        "--session-name",
        "new",
        "--start-url",
        world.sandbox.config.start_url,
        "--region",
        "us-east-1",
        *args,
    )
    assert result.exit_code == 0, result.stderr
    assert botocore_caller_identity("deploy")["Account"] == PROD
    identity = aws("sts", "get-caller-identity", "--profile", "deploy")
    assert identity["Account"] == PROD
    assert "AWSReservedSSO_Deployer_" in identity["Arn"]


def test_an_existing_profile_is_refused_without_overwrite(world: World, run) -> None:
    config = _config(world)
    original = config.read_bytes()
    result = run(
        "configure", "--session-name", "corp", "--account-id", PROD,
        "--role-name", "Deployer", "--profile", "ci",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "profile 'ci' already exists: pass --overwrite" in result.stderr
    assert config.read_bytes() == original
    assert not config.with_name("config.bak").exists()
    assert operations(world) == []  # refused before signing in


def test_a_menu_chosen_name_that_exists_is_asked_again(world: World, run) -> None:
    world.seed_token()
    original = _config(world).read_text()
    # account 2, role 1 (Deployer), default region, "ci" (taken with other settings), "fresh"
    result = run("configure", "--session-name", "corp", input=_answers("2", "1", "", "ci", "fresh"))
    assert result.exit_code == 0, result.stderr
    assert "profile 'ci' already exists: pass --overwrite" in result.stderr
    assert "try again" in result.stderr
    text = _config(world).read_text()
    assert text.startswith(original)  # [profile ci] untouched
    assert f"[profile fresh]\nsso_session = corp\nsso_account_id = {PROD}\n" in text


def test_a_typo_is_asked_again_and_keeps_the_choices(world: World, run) -> None:
    world.seed_token()
    # account 2, role 1; the region and the profile name are mistyped once each.
    answers = _answers("2", "1", "eu-wst", "eu-west-1", "bad name", "good")
    result = run("configure", "--session-name", "corp", input=answers)
    assert result.exit_code == 0, result.stderr
    assert (
        "invalid region 'eu-wst': expected a name like eu-west-1 (--profile-region); try again"
        in (result.stderr)
    )
    assert "invalid profile name" in result.stderr
    assert result.stderr.count("There are 2 AWS accounts") == 1  # nothing chosen twice
    assert (
        f"[profile good]\nsso_session = corp\nsso_account_id = {PROD}\n"
        "sso_role_name = Deployer\nregion = eu-west-1\n"
    ) in _config(world).read_text()


def test_a_mistyped_start_url_is_asked_again(world: World, run) -> None:
    world.seed_token(key="new")
    start = world.sandbox.config.start_url
    answers = _answers("start.example", start, "us-east-1", "", "1", "1", "", "p")
    result = run("configure", "--session-name", "new", input=answers)
    assert result.exit_code == 0, result.stderr
    assert "invalid start URL 'start.example'" in result.stderr
    assert f"[sso-session new]\nsso_start_url = {start}\n" in _config(world).read_text()


def test_the_same_flags_twice_change_nothing_and_exit_0(world: World, run) -> None:
    world.seed_token()
    args = ("configure", "--session-name", "corp", "--account-id", PROD,
            "--role-name", "Deployer", "--profile", "twice")  # fmt: skip
    first = run(*args)
    assert first.exit_code == 0, first.stderr
    # Only the new profile was written: the sso-session was there already.
    assert (
        "wrote [profile twice] to" in first.stderr
        and "sso-session" not in (first.stderr.split("wrote", 1)[1])
    )
    written = _config(world).read_bytes()
    world.sandbox.clear_requests()
    second = run(*args)
    assert second.exit_code == 0, second.stderr
    assert "nothing written" in second.stderr
    assert second.stdout == "twice\n"
    assert _config(world).read_bytes() == written
    assert operations(world) == []  # no sign-in, no listing


def test_end_of_input_takes_the_defaults_where_there_are_some(world: World, run) -> None:
    world.sandbox.config.accounts = {ACCOUNT: ("only", ["ci"])}
    world.seed_token()
    result = run("configure", "--session-name", "corp", input="")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"ci-{ACCOUNT}\n"  # the default name, the default region
    assert f"[profile ci-{ACCOUNT}]" in _config(world).read_text()


def test_end_of_input_without_a_default_names_the_flag(world: World, run) -> None:
    world.seed_token()
    original = _config(world).read_bytes()
    result = run("configure", "--session-name", "corp", input="")
    assert result.exit_code == 2
    assert "no account (--account-id) chosen (end of input): pass the flag" in result.stderr
    assert _config(world).read_bytes() == original


def test_overwrite_changes_only_that_profile(world: World, run) -> None:
    world.seed_token()
    config = _config(world)
    original = config.read_text()
    result = run(
        "configure", "--session-name", "corp", "--account-id", PROD,
        "--role-name", "Deployer", "--profile", "ci", "--overwrite",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    expected = original.replace(
        f"sso_account_id = {ACCOUNT}\nsso_role_name = ci\n",
        f"sso_account_id = {PROD}\nsso_role_name = Deployer\n",
        1,
    )
    assert config.read_text() == expected
    assert config.with_name("config.bak").read_text() == original


def test_overwrite_turns_a_legacy_profile_into_an_sso_session_one(world: World, run) -> None:
    world.seed_token()
    result = run(
        "configure", "--session-name", "corp", "--account-id", ACCOUNT,
        "--role-name", "ci", "--profile", "legacy", "--overwrite",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = _config(world).read_text()
    section = text.split("[profile legacy]\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        f"sso_account_id = {ACCOUNT}",
        "sso_role_name = ci",
        f"region = {world.sandbox.config.region}",
        "sso_session = corp",
    ]


def test_same_values_again_writes_nothing(world: World, run) -> None:
    world.seed_token()
    args = ("configure", "--session-name", "corp", "--account-id", ACCOUNT,
            "--role-name", "ci", "--profile", "again")  # fmt: skip
    assert run(*args).exit_code == 0
    written = _config(world).read_bytes()
    backup = _config(world).with_name("config.bak").read_bytes()
    result = run(*args, "--overwrite")
    assert result.exit_code == 0
    assert "nothing written" in result.stderr
    assert _config(world).read_bytes() == written
    assert _config(world).with_name("config.bak").read_bytes() == backup


def test_a_conflicting_session_is_refused(world: World, run) -> None:
    original = _config(world).read_bytes()
    result = run(
        "configure", "--session-name", "corp", "--start-url", "https://other.example/start",
        "--account-id", ACCOUNT, "--role-name", "ci", "--profile", "x",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "[sso-session corp] already exists with other settings (sso_start_url)" in (
        result.stderr
    )
    assert _config(world).read_bytes() == original
    assert operations(world) == []


def test_crlf_and_odd_spacing_survive(world: World, run) -> None:
    world.seed_token()
    config = _config(world)
    original = config.read_text().replace("\n", "\r\n").replace("[profile ci]", "[ profile   ci ]")
    config.write_bytes(original.encode())
    result = run(
        "configure", "--session-name", "corp", "--account-id", ACCOUNT,
        "--role-name", "ci", "--profile", "ci", "--overwrite", "--profile-region", "eu-west-1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (
        config.read_bytes()
        == original.replace("region = us-east-1\r\n", "region = eu-west-1\r\n", 1).encode()
    )


def test_a_new_config_file_is_created(world: World, run) -> None:
    world.seed_token()
    _config(world).unlink()
    result = run(
        "configure", "--session-name", "corp", "--start-url", world.sandbox.config.start_url,
        "--region", "us-east-1", "--account-id", ACCOUNT, "--role-name", "ci", "--profile", "ci",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _config(world).read_text().startswith("[sso-session corp]\n")
    assert not _config(world).with_name("config.bak").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--account-id", "12"), "invalid account id '12': 12 digits (--account-id)"),
        (("--region", "Mars"), "invalid region 'Mars'"),
        (("--start-url", "ftp://x"), "invalid start URL"),
        (("--profile", "a b"), "invalid profile name"),
        (("--session-name", "bad]"), "invalid session name"),
        (("--scopes", " , "), "invalid scopes"),
    ],
)
def test_bad_flags_exit_2_before_anything(world: World, run, args, message) -> None:
    base = {
        "--session-name": "s",
        "--start-url": world.sandbox.config.start_url,
        "--region": "us-east-1",
        "--account-id": ACCOUNT,
        "--role-name": "ci",
        "--profile": "p",
    }
    base[args[0]] = args[1]
    flat = [x for kv in base.items() for x in kv]
    if args[0] == "--scopes":
        flat += list(args)
    result = run("configure", *flat)
    assert result.exit_code == 2
    assert message in result.stderr
    assert operations(world) == []


def test_unavailable_account_or_role_exit_2_and_write_nothing(world: World, run) -> None:
    world.seed_token()
    original = _config(world).read_bytes()
    result = run(
        "configure", "--session-name", "corp", "--account-id", "999999999999",
        "--role-name", "ci", "--profile", "p",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "account 999999999999 is not available to you" in result.stderr
    result = run(
        "configure", "--session-name", "corp", "--account-id", ACCOUNT,
        "--role-name", "Admin", "--profile", "p",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "role 'Admin' is not assigned to you" in result.stderr
    assert _config(world).read_bytes() == original


def test_no_answers_exit_2(world: World, run) -> None:
    result = run("configure", input="")
    assert result.exit_code == 2
    assert "no answer for SSO session name (--session-name) (end of input)" in result.stderr


def test_ci_requires_the_selection_flags(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = run("configure", "--session-name", "corp")
    assert result.exit_code == 2
    assert "--account-id, --role-name and --profile" in result.stderr


def test_a_refused_listing_is_a_sign_in_problem(world: World, run) -> None:
    world.seed_token()
    session_refused(world.sandbox, r"^/assignment/accounts$")
    result = run(
        "configure", "--session-name", "corp", "--account-id", ACCOUNT,
        "--role-name", "ci", "--profile", "p",
    )  # fmt: skip
    assert result.exit_code == 3
    assert "refused the sign-in while listing accounts" in result.stderr


@pytest.mark.slow
def test_configure_as_a_real_process_with_piped_answers(world: World) -> None:
    """The installed entry point, prompts on a pipe, as a user scripting it would."""
    world.seed_token()
    sso_sync = os.path.join(os.path.dirname(sys.executable), "sso-sync")
    result = subprocess.run(
        [sso_sync, "configure", "--session-name", "corp"],
        input=_answers("2", "1", "", "piped"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "piped\n"
    assert "[profile piped]" in _config(world).read_text()


def test_the_default_profile_is_written_as_default(world: World, run) -> None:
    world.seed_token()
    result = run(
        "configure", "--session-name", "corp", "--account-id", ACCOUNT,
        "--role-name", "ci", "--profile", "default",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = _config(world).read_text()
    assert "\n[default]\nsso_session = corp\n" in text and "[profile default]" not in text
    assert botocore_caller_identity("default")["Account"] == ACCOUNT


def test_configure_takes_use_auth_code_as_its_hint_says(world: World, run) -> None:
    """The container hint says "pass --use-auth-code to try anyway": configure takes it too,
    and hands it to the sign-in (which refuses it beside --use-device-code)."""
    start = world.sandbox.config.start_url
    result = run(
        "configure", "--session-name", "work", "--start-url", start, "--region", "us-east-1",
        "--use-auth-code", "--use-device-code", input="",
    )  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "--use-device-code and --use-auth-code exclude each other" in result.stderr
