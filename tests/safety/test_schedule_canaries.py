"""No GitHub token from the environment reaches a scheduled job (issue #23, section 4): with
GH_TOKEN, GITHUB_TOKEN and the Enterprise tokens set to canaries, neither `schedule install
--dry-run` nor a real install, for cron, systemd or launchd, writes one into any file or line:
every file under the test's directory (HOME, the crontab, units, plists, state) is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sso_sync.cli.app import app
from tests.support.schedule import FAKE_LAUNCHCTL, install_fakes, write_sso_profile

REPO = "octo-org/app"
CANARIES = {
    "GH_TOKEN": "ghp_CANARYschedGH00000000000000000000001",
    "GITHUB_TOKEN": "ghs_CANARYschedGITHUB0000000000000000002",
    "GH_ENTERPRISE_TOKEN": "ghp_CANARYschedGHE000000000000000000003",
    "GITHUB_ENTERPRISE_TOKEN": "ghp_CANARYschedGITHUBE0000000000000004",
}


def _every_written_text(root: Path) -> dict[Path, str]:
    texts = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            texts[path] = path.read_bytes().decode("utf-8", "replace")
    return texts


@pytest.mark.parametrize("backend", ["cron", "systemd", "launchd"])
def test_no_github_token_reaches_any_file_or_line_a_job_writes(
    backend: str, isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = install_fakes(tmp_path / "bin", launchctl=FAKE_LAUNCHCTL)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    write_sso_profile(Path(os.environ["AWS_CONFIG_FILE"]))
    token = tmp_path / "gh-token"
    token.write_text("ghp_the_token_file_is_named_not_copied_00\n")
    token.chmod(0o600)
    argv = ["schedule", "install", "--repo", REPO, "-p", "ci", "--backend", backend,
            "--github-token-file", str(token)]  # fmt: skip
    outputs = []
    for extra in (["--dry-run"], []):
        result = CliRunner().invoke(app, [*argv, *extra])
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    listed = CliRunner().invoke(app, ["schedule", "list", "--backend", backend])
    outputs.append(listed.stdout + listed.stderr)
    written = _every_written_text(tmp_path)
    jobs = [
        p for p in written if p.name in (".fake-crontab",) or p.suffix in (".service", ".plist")
    ]
    assert jobs, "the install wrote no job file"
    assert "--github-token-file" in outputs[0] and str(token) in outputs[0]
    for value in CANARIES.values():
        for text in outputs:
            assert value not in text
        leaked = [str(p) for p, text in written.items() if value in text]
        assert leaked == [], f"a token from the environment was written into {leaked}"
        for line in (ln for text in written.values() for ln in text.splitlines()):
            assert value not in line
    for name in CANARIES:
        assert f"{name}=" not in "".join(written[p] for p in jobs)
