"""The sandbox's ECR and CodeArtifact token calls, driven by boto3's own clients through
AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL_CODEARTIFACT (as Sandbox.env() sets them)."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from sso_sync.sandbox import Sandbox
from tests.support.verify import sandbox_credentials
from tests.support.world import ACCOUNT, ROLE

REGION = "eu-west-1"


@pytest.fixture
def sb(monkeypatch: pytest.MonkeyPatch) -> Any:
    with Sandbox() as sandbox:
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        yield sandbox


def client(service: str, env: dict[str, str]) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    )


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_env_points_both_services_at_the_aws_port() -> None:
    with Sandbox() as sandbox:
        env = sandbox.env()
        assert (
            env["AWS_ENDPOINT_URL_ECR"] == env["AWS_ENDPOINT_URL_CODEARTIFACT"] == sandbox.aws_url
        )


def test_the_printed_environment_reaches_both_services() -> None:
    """`python -m sso_sync.sandbox`'s JSON line: its env and credentials are enough for boto3."""
    import json
    import signal
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "sso_sync.sandbox", "--with-credentials", "--ecr-lifetime"]
    proc = subprocess.Popen([*command, "120"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        env = info["env"]
        assert (
            env["AWS_ENDPOINT_URL_ECR"] == env["AWS_ENDPOINT_URL_CODEARTIFACT"] == info["aws_url"]
        )
        creds = info["credentials"]["env"]
        ecr = boto3.client(
            "ecr",
            region_name=REGION,
            endpoint_url=env["AWS_ENDPOINT_URL_ECR"],
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=creds["AWS_SESSION_TOKEN"],
        )
        [data] = ecr.get_authorization_token()["authorizationData"]
        assert 0 < data["expiresAt"].timestamp() - time.time() <= 120
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_ecr_token_is_base64_of_aws_colon_password_and_recorded(sb: Sandbox) -> None:
    answer = client("ecr", sandbox_credentials(sb, ACCOUNT, ROLE)).get_authorization_token()
    [data] = answer["authorizationData"]
    [issued] = sb.issued_registry_tokens
    assert base64.b64decode(data["authorizationToken"]).decode() == f"AWS:{issued['value']}"
    assert data["proxyEndpoint"] == f"https://{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    assert (issued["account_id"], issued["role_name"]) == (ACCOUNT, ROLE)
    # A new token every time, as ECR issues them.
    client("ecr", sandbox_credentials(sb, ACCOUNT, ROLE)).get_authorization_token()
    assert len({t["value"] for t in sb.issued_registry_tokens}) == 2


@pytest.mark.parametrize("service", ["ecr", "codeartifact"])
def test_credentials_the_sandbox_did_not_issue_are_refused(sb: Sandbox, service: str) -> None:
    live = sandbox_credentials(sb, ACCOUNT, ROLE)
    made_up = {**live, "AWS_ACCESS_KEY_ID": "ASIAMADEUPMADEUP0000"}
    wrong_secret = {**live, "AWS_SECRET_ACCESS_KEY": "x" * 40}
    for env, expected in (
        (made_up, "UnrecognizedClientException"),
        (wrong_secret, "SignatureDoesNotMatch"),
    ):
        call = (
            client("ecr", env).get_authorization_token
            if service == "ecr"
            else lambda env=env: client("codeartifact", env).get_authorization_token(domain="corp")
        )
        with pytest.raises(ClientError) as caught:
            call()
        assert code(caught) == expected
    assert sb.issued_registry_tokens == []


def test_expired_credentials_are_refused(sb: Sandbox) -> None:
    env = sandbox_credentials(sb, ACCOUNT, ROLE)
    sb.expire_credentials()
    with pytest.raises(ClientError) as caught:
        client("ecr", env).get_authorization_token()
    assert code(caught) == "ExpiredToken"


def test_a_request_signed_for_another_service_is_refused(sb: Sandbox) -> None:
    env = sandbox_credentials(sb, ACCOUNT, ROLE)
    creds = Credentials(
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]
    )
    request = AWSRequest(
        "POST",
        sb.aws_url + "/",
        data=b"{}",
        headers={
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(creds, "sts", REGION).add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(http, timeout=10)
    assert caught.value.code == 403
    assert b"InvalidSignatureException" in caught.value.read()


def test_codeartifact_token_duration_and_domain(sb: Sandbox) -> None:
    ca = client("codeartifact", sandbox_credentials(sb, ACCOUNT, ROLE))
    answer = ca.get_authorization_token(domain="corp", domainOwner=ACCOUNT, durationSeconds=900)
    [issued] = sb.issued_registry_tokens
    assert answer["authorizationToken"] == issued["value"] == issued["wire"]
    assert issued["domain"] == "corp"
    with pytest.raises(ClientError) as caught:
        ca.get_authorization_token(domain="corp", durationSeconds=100)
    assert code(caught) == "ValidationException"
    with pytest.raises(ClientError) as caught:
        ca.get_authorization_token(domain="other")
    assert code(caught) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as caught:
        ca.get_authorization_token(domain="corp", domainOwner="444455556666")
    assert code(caught) == "ResourceNotFoundException"


def test_codeartifact_endpoint(sb: Sandbox) -> None:
    ca = client("codeartifact", sandbox_credentials(sb, ACCOUNT, ROLE))
    answer = ca.get_repository_endpoint(domain="corp", repository="internal", format="pypi")
    assert answer["repositoryEndpoint"] == (
        f"https://corp-{ACCOUNT}.d.codeartifact.{REGION}.amazonaws.com/pypi/internal/"
    )
    with pytest.raises(ClientError) as caught:
        ca.get_repository_endpoint(domain="corp", repository="nope", format="npm")
    assert code(caught) == "ResourceNotFoundException"


def test_denied_actions_are_refused_naming_the_action(sb: Sandbox) -> None:
    sb.deny_actions("ecr:GetAuthorizationToken", "sts:GetServiceBearerToken")
    env = sandbox_credentials(sb, ACCOUNT, ROLE)
    with pytest.raises(ClientError) as caught:
        client("ecr", env).get_authorization_token()
    assert code(caught) == "AccessDeniedException"
    assert "not authorized to perform: ecr:GetAuthorizationToken" in str(caught.value)
    with pytest.raises(ClientError) as caught:
        client("codeartifact", env).get_authorization_token(domain="corp")
    assert "not authorized to perform: sts:GetServiceBearerToken" in str(caught.value)
    # Reading the endpoint needs neither.
    client("codeartifact", env).get_repository_endpoint(
        domain="corp", repository="internal", format="npm"
    )
    assert sb.issued_registry_tokens == []
