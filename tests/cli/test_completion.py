"""Shell completion (typer's): the scripts `--show-completion` prints, and the completion
protocol those scripts speak, answered by a fresh `sso-sync` process as a shell would ask."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SSO_SYNC = str(Path(sys.executable).with_name("sso-sync"))


def sso_sync(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SSO_SYNC, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o default -F"), ("zsh", "#compdef sso-sync"), ("fish", "complete")],
)
def test_show_completion_prints_the_script_for_each_shell(shell: str, marker: str) -> None:
    result = sso_sync("--show-completion", shell, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout
    assert "_SSO_SYNC_COMPLETE" in result.stdout  # the variable the script sets to ask sso-sync


def test_bash_completion_offers_commands_and_options() -> None:
    def complete(line: str) -> list[str]:
        words = line.split(" ")
        result = sso_sync(
            _SSO_SYNC_COMPLETE="complete_bash",
            COMP_WORDS=line,
            COMP_CWORD=str(len(words) - 1),
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert complete("sso-sync pu") == ["push"]
    assert {"login", "logout", "list"} <= set(complete("sso-sync l"))
    assert "--expiration-variable" in complete("sso-sync push --exp")
    assert complete("sso-sync export --format ini --sec") == ["--section"]


def test_install_completion_writes_the_shell_startup_file(tmp_path: Path) -> None:
    result = sso_sync(
        "--install-completion",
        "bash",
        HOME=str(tmp_path),
        _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1",
    )
    assert result.returncode == 0, result.stderr
    assert "completion installed" in result.stdout
    assert "sso-sync" in (tmp_path / ".bashrc").read_text()


def _complete(line: str, **env: str) -> list[str]:
    result = sso_sync(
        _SSO_SYNC_COMPLETE="complete_bash",
        COMP_WORDS=line,
        COMP_CWORD=str(len(line.split(" ")) - 1),
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("sso-sync export --format cr", ["credential-process"]),
        ("sso-sync export -f ", ["env", "dotenv", "json", "credential-process", "ini"]),
        ("sso-sync schedule ", ["install", "status", "remove", "list"]),
        ("sso-sync schedule st", ["status"]),
        ("sso-sync schedule install --backend sy", ["systemd"]),
        ("sso-sync push --visibility ", ["all", "private", "selected"]),
        ("sso-sync remove --app d", ["dependabot"]),
    ],
)
def test_completion_offers_an_options_choices_and_schedules_actions(line, offered) -> None:
    assert _complete(line) == offered


def test_completion_offers_the_profiles_of_the_aws_config_file(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere"
    config.write_text(
        "[default]\nregion = eu-west-1\n[profile ci]\nsso_session = corp\n"
        "[sso-session corp]\nsso_region = eu-west-1\n[profile  ci-prod ]\n"
    )
    env = {"AWS_CONFIG_FILE": str(config)}
    assert _complete("sso-sync push --profile ci", **env) == ["ci", "ci-prod"]
    assert _complete("sso-sync list -p ", **env) == ["default", "ci", "ci-prod"]
    assert _complete("sso-sync status --profile x", **env) == []
    env["AWS_CONFIG_FILE"] = str(tmp_path / "missing")
    assert _complete("sso-sync push --profile ", **env) == []


def test_the_completion_functions_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same answers without a shell (the subprocess tests above never see a mutant)."""
    from sso_sync.cli.completion import choices, profile_names

    assert choices(("env", "dotenv", "json"))("") == ["env", "dotenv", "json"]
    assert choices(("env", "dotenv", "json"))("d") == ["dotenv"]
    config = tmp_path / "config"
    config.write_text("[default]\n[profile ci]\n[sso-session corp]\n[ profile  ci ]\n[profile x]\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert profile_names("") == ["default", "ci", "x"]
    assert profile_names("c") == ["ci"]
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing"))
    assert profile_names("") == []
