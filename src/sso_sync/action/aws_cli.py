"""GetCallerIdentity through the AWS CLI (`aws sts get-caller-identity`): the action's fast path,
with nothing to install and no request signing of our own.

The credentials travel only in the child's environment, never on its command line (which any
process on the runner can read), and what the AWS CLI prints is parsed, never echoed: its error
text goes through `judge`, which redacts it. The region is passed as `--region` (AWS CLI v1
ignores AWS_REGION), and an `AWS_ENDPOINT_URL_STS` as `--endpoint-url` (AWS CLI v2 before 2.13
and old v1 releases ignore that variable), after the same https-or-loopback check as botocore's
path. Standard library only.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from sso_sync.action.verify import EnvCredentials, StsAnswer
from sso_sync.errors import ConfigError
from sso_sync.transport import require_safe_transport

# What else could pick the child's identity, or a profile that does not exist on this runner:
# the three credentials come from the step's inputs alone, as in `sso-sync verify`.
_IDENTITY_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)
# botocore's own check, which the AWS CLI applies with a message of its own.
_REGION_RE = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$")
_REFUSAL_RE = re.compile(
    r"An error occurred \(([^)]*)\) when calling the GetCallerIdentity operation(?:: ?(.*))?"
)
# The AWS CLI's wording of botocore's connection failures, named as `sso-sync verify` names them.
_NO_ANSWER = (
    ("Could not connect to the endpoint URL", "EndpointConnectionError"),
    ("Connect timeout on endpoint URL", "ConnectTimeoutError"),
    ("Read timeout on endpoint URL", "ReadTimeoutError"),
    ("Connection was closed before we received a valid response", "ConnectionClosedError"),
    ("SSL validation failed", "SSLError"),
    ("Failed to connect to proxy URL", "ProxyConnectionError"),
)


def child_environment(environ: Mapping[str, str], credentials: EnvCredentials) -> dict[str, str]:
    """The runner's environment without other identities, plus these credentials. Without
    PYTHON* variables too: AWS CLI v1 is a Python program, and a workflow's PYTHONPATH (often
    the workspace) must not put a pull request's modules into it."""
    dropped = {*_IDENTITY_VARIABLES, *(credentials.prefix + n for n in _IDENTITY_VARIABLES)}
    env = {k: v for k, v in environ.items() if k not in dropped and not k.startswith("PYTHON")}
    env["AWS_ACCESS_KEY_ID"] = credentials.access_key_id
    env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_access_key
    if credentials.session_token:
        env["AWS_SESSION_TOKEN"] = credentials.session_token
    env["AWS_PAGER"] = ""  # v2 would page its answer when stdout is a terminal
    return env


def command(
    aws: str, environ: Mapping[str, str], credentials: EnvCredentials, timeout: float
) -> list[str]:
    """The AWS CLI's argv: no credential in it. Refuses (exit 2) what botocore's path refuses
    before any request: a malformed region, a plain-http endpoint that is not loopback."""
    region = credentials.region
    if not _REGION_RE.fullmatch(region):
        raise ConfigError(
            f"'{region}' is not an AWS region name (such as eu-west-1): check the aws-region "
            "input, and AWS_REGION / AWS_DEFAULT_REGION"
        )
    seconds = str(max(1, int(timeout)))
    argv = [aws, "sts", "get-caller-identity", "--output", "json", "--region", region]
    argv += ["--cli-connect-timeout", seconds, "--cli-read-timeout", seconds]
    for variable in ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"):
        url = environ.get(variable, "").strip()
        if url:
            require_safe_transport(url, what="sts", setting=f"{variable} (for STS)")
            argv += ["--endpoint-url", url]
            break
    return argv


def get_caller_identity(
    aws: str, environ: Mapping[str, str], credentials: EnvCredentials, timeout: float
) -> StsAnswer:
    argv = command(aws, environ, credentials, timeout)
    try:
        done = subprocess.run(
            argv,
            env=child_environment(environ, credentials),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return StsAnswer(unreachable=f"no answer within {timeout:g} s")
    except OSError as exc:
        return StsAnswer(unreachable=f"cannot run {Path(aws).name}: {exc.strerror}")
    if done.returncode == 0:
        return _identity(done.stdout)
    return read_failure(done.stderr, done.returncode)


def _identity(stdout: str) -> StsAnswer:
    try:
        found = json.loads(stdout)
        return StsAnswer(account=str(found["Account"]), arn=str(found["Arn"]))
    except (ValueError, KeyError, TypeError):
        return StsAnswer(unreachable="the AWS CLI printed no identity")


def read_failure(stderr: str, returncode: int) -> StsAnswer:
    """The AWS CLI's stderr as STS's refusal (`An error occurred (CODE) when calling ...`) or as
    the connection failure it names; anything else says only how the AWS CLI exited."""
    refusal = _REFUSAL_RE.search(stderr)
    if refusal:
        return StsAnswer(error_code=refusal[1], error_message=(refusal[2] or "").strip())
    for phrase, name in _NO_ANSWER:
        if phrase in stderr:
            return StsAnswer(unreachable=name)
    return StsAnswer(unreachable=f"the AWS CLI exited {returncode}")
