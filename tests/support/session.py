"""Helpers for the status / configure / export / role-cache tests.

`export` is the one command allowed to print credentials, and only on stdout, so its runner
checks stderr alone; every other command goes through conftest's `run`, which checks both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sso_sync.cli.app import app
from tests.support.world import World, assert_no_leak

AWS_CLI = Path(sys.executable).with_name("aws")
SSO_SYNC = Path(sys.executable).with_name("sso-sync")


@pytest.fixture
def run_export(world: World):
    """Invoke the CLI in-process; only stderr must be free of secrets."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        before = world.secret_values()  # a refresh replaces the cached token
        result = runner.invoke(app, list(args), input=input)
        assert_no_leak(result.stderr, before | world.secret_values())
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke


def operations(world: World, service: str | None = None) -> list[str]:
    return [r.operation for r in world.sandbox.requests if service is None or r.service == service]


def python(code: str, *, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    """Run `code` in a fresh interpreter (botocore fixes its cache dirs from HOME at import)
    and return the JSON it prints."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env if env is not None else dict(os.environ),
        input=stdin,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def aws(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The AWS CLI from this venv; returns its JSON answer."""
    result = subprocess.run(
        [str(AWS_CLI), *args, "--output", "json"],
        capture_output=True,
        text=True,
        env=env if env is not None else dict(os.environ),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# What AWS CLI v2 does at start-up (awscli/customizations/sso/__init__.py,
# `inject_json_file_cache`): give botocore's SSO provider a file cache on ~/.aws/cli/cache.
BOTOCORE_WITH_CLI_CACHE = """
import json, os, botocore.session
from botocore.credentials import JSONFileCache
session = botocore.session.Session(profile={profile!r})
provider = session.get_component('credential_provider').get_provider('sso')
provider.cache = JSONFileCache(os.path.expanduser('~/.aws/cli/cache'))
sts = session.create_client('sts', region_name='us-east-1')
print(json.dumps(sts.get_caller_identity()))
"""


def botocore_caller_identity(profile: str) -> dict[str, Any]:
    """botocore's own SSO provider, in a fresh interpreter, calling STS for `profile`."""
    code = (
        "import boto3, json; "
        f"print(json.dumps(boto3.Session(profile_name={profile!r})"
        ".client('sts').get_caller_identity()))"
    )
    result: dict[str, Any] = python(code)
    return result
