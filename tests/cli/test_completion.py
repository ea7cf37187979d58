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
