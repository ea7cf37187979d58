"""The action's tests run `verify` both ways: `sso-sync verify` (botocore) and the action's fast
path (`action/fast_path.py`, the test extras' AWS CLI asking STS)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.support.verify import (
    Result,
    Run,
    aws_cli_dir,
    run_cli_merged,
    run_fast_path,
    run_fast_path_merged,
)
from tests.support.world import assert_no_leak

WAYS = ["sso-sync", "aws-cli"]


def credential_values() -> set[str]:
    """Every credential value in the environment, prefixed or not: none may be printed."""
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    return {v for k, v in os.environ.items() if k.endswith(names) and v}


@pytest.fixture(params=WAYS)
def verify(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """`sso-sync verify ARGS` in process, or the fast path with the AWS CLI on PATH."""
    from typer.testing import CliRunner

    from sso_sync.cli.app import app

    if request.param == "aws-cli":
        monkeypatch.setenv("PATH", f"{aws_cli_dir()}{os.pathsep}{os.environ['PATH']}")

    def call(*args: str) -> Result:
        secrets = credential_values()
        if request.param == "aws-cli":
            result = run_fast_path(*args)
        else:
            done = CliRunner().invoke(app, ["verify", *args])
            result = Result(done.exit_code, done.stdout, done.stderr)
        assert_no_leak(result.stdout + result.stderr, secrets | credential_values())
        return result

    return call


@pytest.fixture(params=WAYS)
def merged(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """A child process as a runner's log sees it: `sso-sync verify`, or the fast path started
    exactly as action.yml starts it."""
    if request.param == "aws-cli":
        monkeypatch.setenv("PATH", f"{aws_cli_dir()}{os.pathsep}{os.environ['PATH']}")
        return run_fast_path_merged
    return lambda *args: run_cli_merged("verify", *args)
