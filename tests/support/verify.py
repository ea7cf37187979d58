"""Helpers for the verify and action tests: live credentials from real peers, and reading what
a step wrote for the GitHub Actions runner."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sso_sync.sandbox import Sandbox

CREDENTIAL_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def iso_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sandbox_credentials(sandbox: Sandbox, account: str, role: str) -> dict[str, str]:
    """Role credentials as a client gets them: botocore's own sso client, over HTTP."""
    import botocore.session

    token = sandbox.mint_token(refreshable=False)["accessToken"]
    sso = botocore.session.get_session().create_client(
        "sso", region_name=sandbox.config.region, endpoint_url=sandbox.aws_url
    )
    role_creds = sso.get_role_credentials(roleName=role, accountId=account, accessToken=token)[
        "roleCredentials"
    ]
    expires = datetime.fromtimestamp(role_creds["expiration"] / 1000, timezone.utc)
    return {
        "AWS_ACCESS_KEY_ID": role_creds["accessKeyId"],
        "AWS_SECRET_ACCESS_KEY": role_creds["secretAccessKey"],
        "AWS_SESSION_TOKEN": role_creds["sessionToken"],
        "AWS_CREDENTIAL_EXPIRATION": iso_z(expires),
    }


def read_outputs(path: Path) -> dict[str, str]:
    """Parse `$GITHUB_OUTPUT` as the runner does: `name=value` and `name<<DELIM` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
            i += 1
        else:
            i += 1
    return outputs


@dataclass
class Run:
    returncode: int
    lines: list[str]  # stdout and stderr merged, in the order written


def run_merged(argv: list[str], env: Mapping[str, str]) -> Run:
    """A child process with stderr merged into stdout, as a runner's log sees it."""
    merged = subprocess.run(
        argv,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
    )
    return Run(merged.returncode, merged.stdout.splitlines())


def run_cli_merged(*args: str, env: Mapping[str, str] | None = None) -> Run:
    """The CLI in a child process, its output as a runner's log sees it."""
    code = "from sso_sync.cli import main; main()"
    return run_merged([sys.executable, "-c", code, *args], env or os.environ)


def assert_masked_first(lines: list[str], secrets: set[str]) -> None:
    """Every secret is masked before any other line, and appears nowhere but in its mask."""
    masks = [line for line in lines if line.startswith("::add-mask::")]
    assert {m.removeprefix("::add-mask::") for m in masks} == secrets
    assert lines[: len(masks)] == masks, "something was printed before the masks"
    for line in lines[len(masks) :]:
        leaked = [s[:4] + "..." for s in secrets if s in line]
        assert not leaked, f"secret printed outside its mask line: {leaked}"


# --- moto's STS in auth mode ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Moto:
    url: str
    role_arn: str
    user_keys: tuple[str, str]

    def assume_role(self, seconds: int = 3600) -> dict[str, str]:
        """Real temporary credentials from moto's AssumeRole, signed by the user's keys."""
        import botocore.session

        sts = botocore.session.get_session().create_client(
            "sts",
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id=self.user_keys[0],
            aws_secret_access_key=self.user_keys[1],
        )
        creds = sts.assume_role(
            RoleArn=self.role_arn, RoleSessionName="gha", DurationSeconds=seconds
        )["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
            "AWS_CREDENTIAL_EXPIRATION": iso_z(creds["Expiration"]),
        }


MOTO_ROLE = "AWSReservedSSO_Deployer_0123456789abcdef"


def start_moto(moto_server: Path) -> Iterator[Moto]:
    """moto_server in a child process; a user and a role that trusts it; then auth turned on."""
    import botocore.session

    port = free_port()
    proc = subprocess.Popen(
        [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        iam = botocore.session.get_session().create_client(
            "iam",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
        )
        user = iam.create_user(UserName="sso-sync-ci")["User"]
        key = iam.create_access_key(UserName="sso-sync-ci")["AccessKey"]
        allow_all = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        )
        iam.put_user_policy(UserName="sso-sync-ci", PolicyName="all", PolicyDocument=allow_all)
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": user["Arn"]},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        role = iam.create_role(RoleName=MOTO_ROLE, AssumeRolePolicyDocument=trust)["Role"]
        iam.put_role_policy(RoleName=MOTO_ROLE, PolicyName="all", PolicyDocument=allow_all)
        # From here on moto checks every signature and token (text/plain, or Flask eats the body).
        request = urllib.request.Request(
            f"{url}/moto-api/reset-auth",
            data=b"0",
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        urllib.request.urlopen(request, timeout=10).close()
        yield Moto(url, role["Arn"], (key["AccessKeyId"], key["SecretAccessKey"]))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


ARN_RE = re.compile(r"^arn:aws:sts::\d{12}:assumed-role/")


# --- both ways: `sso-sync verify` (botocore) and the action's fast path (the AWS CLI) ----------

ROOT = Path(__file__).resolve().parents[2]
FAST_PATH = ROOT / "src" / "sso_sync" / "action" / "fast_path.py"
# The action's own command line for the fast path; a test checks action.yml runs exactly this.
FAST_PATH_COMMAND = 'python3 -I "$GITHUB_ACTION_PATH/src/sso_sync/action/fast_path.py"'


def aws_cli_dir() -> Path:
    """The directory of the test extras' AWS CLI (v1, next to this interpreter)."""
    here = Path(sys.executable).parent
    assert (here / "aws").exists(), "the AWS CLI (awscli) comes with the test extras"
    return here


def path_without_aws(path: str, scratch: Path) -> str:
    """`path` with every `aws` hidden: a directory holding one is replaced by a copy made of
    symlinks to all its other entries (python3 and aws may share a directory)."""
    parts = []
    for index, entry in enumerate(path.split(os.pathsep)):
        folder = Path(entry)
        if not (folder / "aws").exists():
            parts.append(entry)
            continue
        shadow = scratch / f"no-aws-{index}"
        shadow.mkdir(parents=True, exist_ok=True)
        for item in folder.iterdir():
            if item.name != "aws" and not (shadow / item.name).exists():
                (shadow / item.name).symlink_to(item)
        parts.append(str(shadow))
    return os.pathsep.join(parts)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_fast_path(*args: str, env: Mapping[str, str] | None = None) -> Result:
    """The fast path in this process (so mutants are seen), the real AWS CLI as its peer."""
    import contextlib
    import io

    from sso_sync.action import fast_path

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = fast_path.main(list(args), dict(env or os.environ))
    return Result(code, out.getvalue(), err.getvalue())


def run_fast_path_merged(*args: str, env: Mapping[str, str] | None = None) -> Run:
    """The fast path as action.yml starts it, stderr merged into stdout as a runner's log."""
    environ = {**(env or os.environ), "GITHUB_ACTION_PATH": str(ROOT)}
    return run_merged(["bash", "-c", f'{FAST_PATH_COMMAND} "$@"', "fast-path", *args], environ)
