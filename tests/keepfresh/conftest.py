"""Scheduler fixtures shared by the schedule tests: fake tools on PATH, and a token file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.schedule import FAKE_LAUNCHCTL, install_fakes, write_sso_profile


@pytest.fixture
def schedulers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`crontab`, `systemctl` and `launchctl` fakes first on PATH; their directory."""
    bin_dir = install_fakes(tmp_path / "bin", launchctl=FAKE_LAUNCHCTL)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


@pytest.fixture
def job_token_file(tmp_path: Path, isolated_env: Path) -> Path:
    """A 0600 token file for the job, and the profile `ci` the jobs name."""
    write_sso_profile(Path(os.environ["AWS_CONFIG_FILE"]))
    path = tmp_path / "gh-token"
    path.write_text("ghp_not_a_real_token_for_schedule_tests_0\n")
    path.chmod(0o600)
    return path
