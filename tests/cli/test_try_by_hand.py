"""The README's "Try it by hand" block, run as written by bash against the sandbox it starts:
every command in it must succeed (the block runs under `set -e`), and the sandbox must leave
nothing behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _block() -> str:
    section = README.split("### Try it by hand\n", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_try_it_by_hand_block_runs_as_written(tmp_path: Path) -> None:
    venv_bin = str(Path(sys.executable).parent)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "GH_", "GITHUB_", "SSO_SYNC_"))
    }
    env |= {"PATH": f"{venv_bin}:{env['PATH']}", "TMPDIR": str(tmp_path), "CI": ""}
    result = subprocess.run(
        ["bash", "-e", "-c", _block() + "wait\n"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.count("AWS_ACCESS_KEY_ID created") == 2  # the token's push and the App's
    assert "✔ octo-org/app env production: exists" in out
    assert re.search(r"^octo-org/app env production\tAWS_SESSION_TOKEN\t", out, re.MULTILINE)
    # The sandbox stopped, and took its environment file and App key with it.
    assert not list(tmp_path.glob("*/sandbox.env")) and not list(tmp_path.glob("*/app.pem"))
