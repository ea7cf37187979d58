"""The action's fast path as action.yml starts it: isolated from the workspace, the credentials
kept off the AWS CLI's command line, and nothing but the standard library imported."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.verify import (
    FAST_PATH,
    FAST_PATH_COMMAND,
    ROOT,
    aws_cli_dir,
    run_fast_path_merged,
    sandbox_credentials,
)
from tests.support.world import ACCOUNT, ROLE, World


@pytest.fixture
def live(world: World, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    creds = sandbox_credentials(world.sandbox, ACCOUNT, ROLE)
    for name, value in creds.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", world.sandbox.aws_url)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("PATH", f"{aws_cli_dir()}{os.pathsep}{os.environ['PATH']}")
    return creds


def test_action_yml_starts_the_fast_path_isolated_from_its_own_files() -> None:
    assert FAST_PATH_COMMAND in (ROOT / "action.yml").read_text()


def test_the_workspace_cannot_shadow_a_module(
    live: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request's checkout with its own `sso_sync` and `json`, in the current directory
    and on PYTHONPATH: the isolated start never imports them."""
    hostile = tmp_path / "workspace"
    (hostile / "sso_sync").mkdir(parents=True)
    canary = tmp_path / "imported"
    payload = f"open({str(canary)!r}, 'w').write('x')\n"
    (hostile / "sso_sync" / "__init__.py").write_text(payload)
    (hostile / "json.py").write_text(payload)
    monkeypatch.chdir(hostile)
    monkeypatch.setenv("PYTHONPATH", str(hostile))
    result = run_fast_path_merged("--expected-account", ACCOUNT)
    assert result.returncode == 0, result.lines
    assert result.lines[-1].startswith(f"valid: arn:aws:sts::{ACCOUNT}:assumed-role/")
    assert not canary.exists(), "the fast path imported a module from the workspace"


def test_credentials_reach_the_aws_cli_in_its_environment_only(
    live: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `aws` action.yml found (`--aws`, here one not on PATH) records how it was called, then
    hands over to the real one."""
    record = tmp_path / "call.json"
    real = aws_cli_dir() / "aws"
    spy = tmp_path / "bin" / "aws"
    spy.parent.mkdir()
    spy.write_text(
        f"#!{os.sys.executable}\n"
        "import json, os, sys\n"
        "call = {'argv': sys.argv[1:], 'env': dict(os.environ)}\n"
        f"json.dump(call, open({str(record)!r}, 'w'))\n"
        f"os.execv({str(real)!r}, [{str(real)!r}, *sys.argv[1:]])\n"
    )
    spy.chmod(0o755)
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")  # would break the call if passed on
    result = run_fast_path_merged("--aws", str(spy))
    assert result.returncode == 0, result.lines
    call = json.loads(record.read_text())
    argv = " ".join(call["argv"])
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert live[name] not in argv
        assert call["env"][name] == live[name]
    # AWS CLI v1 ignores AWS_REGION, v2 before 2.13 AWS_ENDPOINT_URL_STS: both given explicitly.
    assert call["argv"][:3] == ["sts", "get-caller-identity", "--output"]
    assert "--region eu-west-1" in argv
    assert f"--endpoint-url {os.environ['AWS_ENDPOINT_URL_STS']}" in argv
    assert "AWS_PROFILE" not in call["env"]


def test_a_plain_http_endpoint_off_this_machine_is_refused_before_any_call(
    live: dict[str, str], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://sts.example.com")
    result = run_fast_path_merged()
    assert result.returncode == 2
    assert "over plain http://" in result.lines[-1]
    assert not [r for r in world.sandbox.requests if r.operation == "GetCallerIdentity"]


def test_nothing_but_the_standard_library_and_our_own_files_is_imported(tmp_path: Path) -> None:
    probe = (
        "import runpy, sys; sys.argv = ['fast_path.py', '--help']\n"
        "try:\n"
        f"    runpy.run_path({str(FAST_PATH)!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m.split('.')[0] for m in sys.modules))\n"
    )
    done = subprocess.run(
        ["python3", "-I", "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    top_level = set(eval(done.stdout.strip().splitlines()[-1]))  # our own output
    heavy = {"botocore", "boto3", "github", "nacl", "typer", "click", "rich", "filelock", "yaml"}
    assert not top_level & heavy
    assert "sso_sync" in top_level


def test_what_sts_quotes_through_the_aws_cli_is_redacted(
    live: dict[str, str], world: World
) -> None:
    """IncompleteSignature quotes the Authorization header: the AWS CLI prints it to its stderr,
    which the fast path reads and never echoes; the verdict keeps the first line, redacted."""
    from tests.support.faults import sts_quoting_the_request

    key_id = live["AWS_ACCESS_KEY_ID"]
    sts_quoting_the_request(world.sandbox, key_id)
    result = run_fast_path_merged("--json")
    assert result.returncode == 1
    text = "\n".join(result.lines)
    assert key_id not in text
    report = json.loads("\n".join(result.lines[:-1]))  # the verdict, then the error line
    assert report["problem"] == "sts-error"
    assert "(IncompleteSignature: Authorization header requires" in report["message"]
    assert "Credential=***/" in report["message"]
    assert "second line" not in text
