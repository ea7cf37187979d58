"""`sso-sync --help` must stay fast: the CLI module may not import boto3 or PyGithub."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from sso_sync import __version__
from sso_sync.cli import app
from sso_sync.errors import EXIT_CODES


def test_importing_the_cli_loads_neither_boto3_nor_pygithub() -> None:
    code = (
        "import sys, sso_sync.cli; "
        "heavy = [m for m in ('boto3', 'botocore', 'github', 'nacl') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_the_exit_codes_and_version_prints() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for code in EXIT_CODES:
        assert f"{code}:" in result.stdout
    version = runner.invoke(app, ["--version"])
    assert version.stdout.strip() == f"sso-sync {__version__}"
