"""Text from outside (config files, server messages, names) reaches the terminal without control
characters; names that are path segments are refused; credentials that would break a dotenv or
INI line are refused when IAM Identity Center issues them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.world import World

REPO = "octo-org/app"
# A window-title OSC, a clipboard-writing OSC 52, a CSI, and C1 forms of CSI and OSC.
HOSTILE = "\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x1b\\\x1b[2J\x9b31m\x9d8;;x\x9c\r\x08"


def _assert_clean(text: str) -> None:
    for char in ("\x1b", "\x07", "\x9b", "\x9d", "\x9c", "\r", "\x08"):
        assert char not in text, repr(text)


def test_clean_strips_c0_and_c1_but_keeps_newlines_and_tabs() -> None:
    from sso_sync.cli.ui import clean

    assert clean(f"a{HOSTILE}b\n\tc") == "a]0;owned]52;c;ZXZpbA==\\[2J31m8;;xb\n\tc"
    assert clean("plain, naïve ✓") == "plain, naïve ✓"


def test_osc_in_a_config_file_set_name_never_reaches_the_terminal(
    world: World, run, tmp_path: Path
) -> None:
    config = tmp_path / "sso-sync.toml"
    name = HOSTILE.encode("unicode_escape").decode().replace("\\x", "\\u00")
    config.write_text(f'[sets."evil{name}"]\ntargets = [{{ repo = "{REPO}" }}]\n')
    result = run("push", "nope", "--config", str(config), "--profile", "ci")
    assert result.exit_code == 2
    assert "evil" in result.stderr
    _assert_clean(result.stdout + result.stderr)


def test_osc_in_a_github_error_message_never_reaches_the_terminal(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github",
        "PUT",
        r"AWS_ACCESS_KEY_ID$",
        422,
        body={"message": f"Validation{HOSTILE} failed", "errors": [f"bad{HOSTILE}"]},
    )
    result = run("-v", "push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 1
    assert "Validation" in result.stdout + result.stderr
    _assert_clean(result.stdout + result.stderr)


@pytest.mark.parametrize("env", [".", "..", " .. "])
def test_dot_environment_names_are_refused(world: World, run, env: str) -> None:
    result = run("push", "--repo", REPO, "--env", env, "--profile", "ci")
    assert result.exit_code == 2
    assert "not an environment name" in result.stderr
    assert world.sandbox.requests == []


def _issue(world: World, **fields: str) -> None:
    role = {
        "accessKeyId": "ASIAEXAMPLE000000001",
        "secretAccessKey": "secret000000000000000000000000000000000",
        "sessionToken": "token0000000000000000000000000000",
        "expiration": int((time.time() + 3600) * 1000),
    } | fields
    world.sandbox.inject_fault(
        "sso", "GET", r"/federation/credentials", 200, body={"roleCredentials": role}, times=-1
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"sessionToken": "tok\nAWS_EVIL=1"},
        {"secretAccessKey": "a b"},
        {"accessKeyId": "ASIA\x1b]0;x\x07"},
        {"sessionToken": ""},
    ],
    ids=["newline", "space", "escape", "empty"],
)
def test_credentials_that_would_break_a_line_are_refused_when_issued(
    world: World, run, fields: dict[str, str]
) -> None:
    world.seed_token()
    _issue(world, **fields)
    result = run("export", "--profile", "ci", "--format", "dotenv")
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert "not a printable string without whitespace" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 1
    assert world.sandbox.secrets(f"repos/{REPO}/actions") == {}
    assert not list((world.home / ".aws" / "cli" / "cache").glob("*.json"))


def test_a_newline_in_the_config_path_cannot_fake_a_line_of_output(
    world: World, run, tmp_path: Path
) -> None:
    """`Using sets from PATH` quotes a path the user's directory names chose: a newline in it
    is shown escaped, so it cannot add a line that looks like the tool's own."""
    folder = tmp_path / "team\nerror: forged line"
    folder.mkdir()
    config = folder / "sso-sync.toml"
    config.write_text(f'[sets.app]\ntargets = [{{ repo = "{REPO}" }}]\nprofile = "ci"\n')
    world.seed_token()
    result = run("push", "app", "--config", str(config), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert not [line for line in result.stderr.splitlines() if line.startswith("error: forged")]
    assert "team\\nerror: forged line" in result.stderr
