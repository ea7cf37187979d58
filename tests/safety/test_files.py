"""Hostile files where ours should be: FIFOs, huge files and symlinks give one line and an exit
code, fast; a symlinked AWS config keeps its link and its target gets the change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.world import ACCOUNT, World

MAX_FILE_BYTES = 1024 * 1024

REPO = "octo-org/app"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """In a subprocess with a 10 s limit: a hang is a failure, not a stuck test run."""
    return subprocess.run(
        [sys.executable, "-c", "from sso_sync.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=10,
        env=dict(os.environ),
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def _fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def test_fifo_as_token_file_is_refused_not_waited_on(world: World) -> None:
    _fifo(world.token_file())
    _one_line(_cli("push", "--repo", REPO, "--profile", "ci"), "not a regular file")


def test_huge_token_file_is_refused(world: World) -> None:
    path = world.token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:  # sparse: no disk used, but 400 MB to a naive reader
        handle.truncate(400 * 1024 * 1024)
    _one_line(_cli("push", "--repo", REPO, "--profile", "ci"), "over 1024 KiB")


def test_file_just_over_the_cap_is_refused_and_one_at_the_cap_read(world: World) -> None:
    world.seed_token()
    path = world.token_file()
    text = path.read_text()
    path.write_text(text + " " * (MAX_FILE_BYTES - len(text.encode())))
    assert _cli("push", "--repo", REPO, "--profile", "ci").returncode == 0
    path.write_text(text + " " * (MAX_FILE_BYTES + 1 - len(text.encode())))
    _one_line(_cli("push", "--repo", REPO, "--profile", "ci"), "over 1024 KiB")


def test_symlinked_token_file_is_refused(world: World, tmp_path: Path) -> None:
    world.seed_token()
    path = world.token_file()
    elsewhere = tmp_path / "elsewhere.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    _one_line(_cli("push", "--repo", REPO, "--profile", "ci"), "symbolic link")


@pytest.mark.parametrize("command", [["push", "--repo", REPO, "--profile", "ci"], ["status"]])
def test_fifo_as_aws_config_is_refused_not_waited_on(world: World, command: list[str]) -> None:
    _fifo(world.home / ".aws" / "config")
    _one_line(_cli(*command), "not a regular file")


def test_symlinked_config_keeps_its_link_and_gets_the_new_profile(
    world: World, run, tmp_path: Path
) -> None:
    world.seed_token()
    config = world.home / ".aws" / "config"
    real = tmp_path / "dotfiles" / "aws-config"
    real.parent.mkdir()
    config.rename(real)
    config.symlink_to(real)
    result = run(
        "configure",
        "--session-name",
        "corp",
        "--account-id",
        ACCOUNT,
        "--role-name",
        "Deployer",
        "--profile",
        "linked",
    )
    assert result.exit_code == 0, result.stderr
    assert config.is_symlink()
    assert Path(os.readlink(config)) == real
    assert "[profile linked]" in real.read_text()


def test_symlinked_credentials_file_keeps_its_link(world: World, run, tmp_path: Path) -> None:
    world.seed_token()
    credentials = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    real = tmp_path / "dotfiles" / "aws-credentials"
    real.parent.mkdir()
    real.write_text("[other]\naws_access_key_id = AKIAOTHER\n")
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.symlink_to(real)
    result = run("export", "--profile", "ci", "--format", "ini", "--section", "ci-keys")
    assert result.exit_code == 0, result.stderr
    assert credentials.is_symlink()
    assert "[ci-keys]" in real.read_text() and "[other]" in real.read_text()


def test_fifo_or_symlink_as_a_lock_file_is_refused_not_waited_on(world: World) -> None:
    """A lock file is opened non-blocking and without following links: a FIFO planted there
    cannot hang the push, a link cannot have us create or chmod its target."""
    world.seed_token()
    lock = world.home / ".local" / "state" / "sso-sync" / "targets.json.lock"
    _fifo(lock)
    _one_line(_cli("push", "--repo", REPO, "--profile", "ci"), f"{lock} is a FIFO")
    lock.unlink()
    victim = world.home / "victim"
    lock.symlink_to(victim)
    _one_line(_cli("push", "--repo", REPO, "--profile", "ci"), f"{lock} is a symbolic link")
    assert not victim.exists()
