"""The sandbox, driven by the real clients the project uses: boto3, the AWS CLI and PyGithub."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import botocore
import botocore.config
import pytest
from botocore.exceptions import ClientError
from nacl.public import PublicKey, SealedBox

import github
from sso_sync.sandbox import Sandbox, SandboxConfig, StoredSecret
from tests.support.faults import aws_fault, slow_down

UNSIGNED = botocore.config.Config(
    signature_version=botocore.UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}
)
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(page_size=1)) as sandbox:
        yield sandbox


def client(sb: Sandbox, service: Any) -> Any:
    return boto3.client(service, endpoint_url=sb.aws_url, region_name="us-east-1", config=UNSIGNED)


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def sts_for(sb: Sandbox, creds: dict[str, Any], **overrides: str) -> Any:
    keys = {
        "aws_access_key_id": creds["accessKeyId"],
        "aws_secret_access_key": creds["secretAccessKey"],
        "aws_session_token": creds["sessionToken"],
        **overrides,
    }
    return boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=sb.aws_url,
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
        **keys,
    )


def role_credentials(sb: Sandbox, account: str = "111122223333", role: str = "ci") -> Any:
    token = sb.mint_token()["accessToken"]
    sso = client(sb, "sso")
    return sso.get_role_credentials(roleName=role, accountId=account, accessToken=token)[
        "roleCredentials"
    ]


# --- sso-oidc -----------------------------------------------------------------------------


def test_device_flow_pending_then_token_then_refresh(sb: Sandbox) -> None:
    oidc = client(sb, "sso-oidc")
    reg = oidc.register_client(
        clientName="test", clientType="public", scopes=["sso:account:access"]
    )
    assert reg["clientSecretExpiresAt"] > time.time() + 80 * 86400
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=sb.config.start_url
    )
    assert auth["interval"] == 1
    assert auth["expiresIn"] == 600
    assert len(auth["userCode"]) == 9
    assert auth["userCode"][4] == "-"
    assert auth["userCode"] in auth["verificationUriComplete"]
    grant = {
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "grantType": DEVICE_GRANT,
        "deviceCode": auth["deviceCode"],
    }
    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as pending:
        oidc.create_token(**grant)
    assert pending.value.response["error"] == "authorization_pending"
    token = oidc.create_token(**grant)
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == sb.config.access_token_lifetime
    assert token["refreshToken"]

    # The device code is single use.
    with pytest.raises(ClientError) as reused:
        oidc.create_token(**grant)
    assert error_code(reused) == "InvalidGrantException"

    refreshed = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType="refresh_token",
        refreshToken=token["refreshToken"],
    )
    assert refreshed["refreshToken"] != token["refreshToken"]
    # Rotation: the old refresh token is spent.
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(
            clientId=reg["clientId"],
            clientSecret=reg["clientSecret"],
            grantType="refresh_token",
            refreshToken=token["refreshToken"],
        )

    ops = [r.operation for r in sb.requests if r.service == "sso-oidc"]
    assert ops[:4] == [
        "RegisterClient",
        "StartDeviceAuthorization",
        "CreateToken",
        "CreateToken",
    ]
    assert [r.status for r in sb.requests][:4] == [200, 200, 400, 200]


def test_legacy_registration_gets_no_refresh_token(sb: Sandbox) -> None:
    oidc = client(sb, "sso-oidc")
    reg = oidc.register_client(clientName="legacy", clientType="public")
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=sb.config.start_url
    )
    grant = {
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "grantType": DEVICE_GRANT,
        "deviceCode": auth["deviceCode"],
    }
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        oidc.create_token(**grant)
    assert "refreshToken" not in oidc.create_token(**grant)


def test_oidc_errors(sb: Sandbox) -> None:
    oidc = client(sb, "sso-oidc")
    with pytest.raises(oidc.exceptions.InvalidClientException) as bad_client:
        oidc.start_device_authorization(clientId="nope", clientSecret="nope", startUrl="x")
    assert bad_client.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    assert bad_client.value.response["error"] == "invalid_client"

    cached = sb.mint_token()
    sb.revoke_refresh_tokens()
    with pytest.raises(oidc.exceptions.InvalidGrantException) as revoked:
        oidc.create_token(
            clientId=cached["clientId"],
            clientSecret=cached["clientSecret"],
            grantType="refresh_token",
            refreshToken=cached["refreshToken"],
        )
    assert revoked.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert revoked.value.response["error"] == "invalid_grant"

    # Expired device codes: age one server-side rather than waiting ten minutes.
    reg = oidc.register_client(clientName="t", clientType="public")
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=sb.config.start_url
    )
    sb._aws.state.devices[auth["deviceCode"]].expires_at = time.time() - 1
    with pytest.raises(oidc.exceptions.ExpiredTokenException) as expired:
        oidc.create_token(
            clientId=reg["clientId"],
            clientSecret=reg["clientSecret"],
            grantType=DEVICE_GRANT,
            deviceCode=auth["deviceCode"],
        )
    assert expired.value.response["error"] == "expired_token"


def test_slow_down_only_via_fault(sb: Sandbox) -> None:
    oidc = client(sb, "sso-oidc")
    slow_down(sb, "Slow down")
    with pytest.raises(oidc.exceptions.SlowDownException):
        oidc.create_token(clientId="a", clientSecret="b", grantType=DEVICE_GRANT, deviceCode="c")
    assert sb.requests[-1].status == 400
    assert sb.requests[-1].operation == "CreateToken"


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _authorize(sb: Sandbox, client_id: str, redirect_uri: str, challenge: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": "st4te",
            "code_challenge_method": "S256",
            "scopes": "sso:account:access",
            "code_challenge": challenge,
        }
    )
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(f"{sb.aws_url}/authorize?{query}")
    assert redirect.value.code == 302
    location = urlsplit(redirect.value.headers["Location"])
    assert location.path == "/oauth/callback"
    params = parse_qs(location.query)
    assert params["state"] == ["st4te"]
    return params["code"][0]


def test_pkce_authorization_code(sb: Sandbox) -> None:
    oidc = client(sb, "sso-oidc")
    reg = oidc.register_client(
        clientName="pkce",
        clientType="public",
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://127.0.0.1/oauth/callback"],
        issuerUrl=sb.config.start_url,
        scopes=["sso:account:access"],
    )
    redirect_uri = "http://127.0.0.1:54321/oauth/callback"
    verifier, challenge = _pkce_pair()
    code = _authorize(sb, reg["clientId"], redirect_uri, challenge)
    common = {
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "grantType": "authorization_code",
        "redirectUri": redirect_uri,
    }
    token = oidc.create_token(code=code, codeVerifier=verifier, **common)
    assert token["accessToken"]
    assert token["refreshToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):  # single use
        oidc.create_token(code=code, codeVerifier=verifier, **common)

    code = _authorize(sb, reg["clientId"], redirect_uri, challenge)
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(code=code, codeVerifier=verifier + "x", **common)

    code = _authorize(sb, reg["clientId"], redirect_uri, challenge)
    wrong_redirect = {**common, "redirectUri": "http://127.0.0.1:1/oauth/callback"}
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(code=code, codeVerifier=verifier, **wrong_redirect)


# --- sso ----------------------------------------------------------------------------------


def test_sso_listing_pages_and_credentials(sb: Sandbox) -> None:
    token = sb.mint_token()["accessToken"]
    sso = client(sb, "sso")
    first = sso.list_accounts(accessToken=token)
    assert len(first["accountList"]) == 1
    assert first["nextToken"]
    accounts = [
        a
        for page in sso.get_paginator("list_accounts").paginate(accessToken=token)
        for a in page["accountList"]
    ]
    assert [(a["accountId"], a["accountName"]) for a in accounts] == [
        ("111122223333", "sandbox-ci"),
        ("444455556666", "sandbox-prod"),
    ]
    roles = [
        r["roleName"]
        for page in sso.get_paginator("list_account_roles").paginate(
            accessToken=token, accountId="444455556666"
        )
        for r in page["roleList"]
    ]
    assert roles == ["Deployer", "ReadOnly"]

    creds = sso.get_role_credentials(roleName="ci", accountId="111122223333", accessToken=token)[
        "roleCredentials"
    ]
    assert creds["accessKeyId"].startswith("ASIA")
    assert len(creds["accessKeyId"]) == 20
    assert abs(creds["expiration"] / 1000 - (time.time() + 3600)) < 10
    issued = sb.issued_credentials
    assert issued[0]["accessKeyId"] == creds["accessKeyId"]
    assert issued[0]["roleName"] == "ci"
    assert issued[0]["accountId"] == "111122223333"

    with pytest.raises(ClientError) as forbidden:
        sso.get_role_credentials(roleName="ReadOnly", accountId="111122223333", accessToken=token)
    assert error_code(forbidden) == "ForbiddenException"
    assert forbidden.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    sso.logout(accessToken=token)
    with pytest.raises(sso.exceptions.UnauthorizedException) as unauthorized:
        sso.list_accounts(accessToken=token)
    assert unauthorized.value.response["Error"]["Message"]


def test_expired_access_token_rejected_but_refreshable(sb: Sandbox) -> None:
    cached = sb.mint_token(expires_in=-60)
    assert set(cached) == {
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    }
    assert cached["expiresAt"].endswith("Z")
    sso = client(sb, "sso")
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken=cached["accessToken"])
    oidc = client(sb, "sso-oidc")
    fresh = oidc.create_token(
        clientId=cached["clientId"],
        clientSecret=cached["clientSecret"],
        grantType="refresh_token",
        refreshToken=cached["refreshToken"],
    )
    assert sso.list_accounts(accessToken=fresh["accessToken"])["accountList"]

    legacy = sb.mint_token(refreshable=False)
    assert set(legacy) == {"startUrl", "region", "accessToken", "expiresAt"}


# --- sts ----------------------------------------------------------------------------------


def test_sts_get_caller_identity(sb: Sandbox) -> None:
    creds = role_credentials(sb, role="Deployer")
    identity = sts_for(sb, creds).get_caller_identity()
    assert identity["Account"] == "111122223333"
    assert identity["Arn"].startswith(
        "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Deployer_"
    )
    assert identity["Arn"].endswith("/sandbox-user")
    assert identity["UserId"].startswith("AROA")
    assert identity["UserId"].endswith(":sandbox-user")
    # Stable per account and role.
    again = sts_for(sb, role_credentials(sb, role="Deployer")).get_caller_identity()
    assert again["Arn"] == identity["Arn"]
    assert sb.requests[-1].operation == "GetCallerIdentity"
    assert sb.requests[-1].service == "sts"


def test_sts_rejections(sb: Sandbox) -> None:
    creds = role_credentials(sb)
    bogus = {**creds, "accessKeyId": "ASIAAAAAAAAAAAAAAAAA"}
    with pytest.raises(ClientError) as unknown:
        sts_for(sb, bogus).get_caller_identity()
    assert error_code(unknown) == "InvalidClientTokenId"
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    with pytest.raises(ClientError) as bad_token:
        sts_for(sb, {**creds, "sessionToken": "forged"}).get_caller_identity()
    assert error_code(bad_token) == "InvalidClientTokenId"

    with pytest.raises(ClientError) as bad_sig:
        sts_for(sb, {**creds, "secretAccessKey": "x" * 40}).get_caller_identity()
    assert error_code(bad_sig) == "SignatureDoesNotMatch"

    sts_for(sb, creds).get_caller_identity()
    sb.expire_credentials()
    assert all(c["expiration"] < time.time() * 1000 for c in sb.issued_credentials)
    with pytest.raises(ClientError) as expired:
        sts_for(sb, creds).get_caller_identity()
    assert error_code(expired) == "ExpiredToken"
    assert expired.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_aws_cli_v1_sts(sb: Sandbox, tmp_path: Path) -> None:
    creds = role_credentials(sb)
    aws = Path(sys.executable).parent / "aws"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_ACCESS_KEY_ID": creds["accessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["secretAccessKey"],
        "AWS_SESSION_TOKEN": creds["sessionToken"],
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    out = subprocess.run(
        [str(aws), "sts", "get-caller-identity", "--endpoint-url", sb.aws_url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Account"] == "111122223333"


# --- GitHub -------------------------------------------------------------------------------


def gh_for(sb: Sandbox, token: str | None = None) -> github.Github:
    # PyGithub throttles itself (1 s between writes) unless told otherwise.
    return github.Github(
        auth=github.Auth.Token(token or sb.github_token),
        base_url=sb.github_url,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def seal(public_key_b64: str, value: str) -> str:
    box = SealedBox(PublicKey(base64.b64decode(public_key_b64)))
    return base64.b64encode(box.encrypt(value.encode())).decode()


def test_github_repo_secret_roundtrip(sb: Sandbox) -> None:
    req = gh_for(sb).requester
    base = f"{sb.github_url}/repos/octo-org/app/actions/secrets"
    status, headers, body = req.requestJson("GET", f"{base}/public-key")
    assert status == 200
    assert headers["x-ratelimit-limit"] == "5000"
    assert headers["x-ratelimit-resource"] == "core"
    assert headers["content-type"] == "application/json; charset=utf-8"
    key = json.loads(body)
    put = {"encrypted_value": seal(key["key"], "s3cr3t"), "key_id": key["key_id"]}
    assert req.requestJson("PUT", f"{base}/AWS_SECRET", input=put)[0] == 201
    put2 = {"encrypted_value": seal(key["key"], "rotated"), "key_id": key["key_id"]}
    assert req.requestJson("PUT", f"{base}/aws_secret", input=put2)[0] == 204

    stored = sb.secrets("repos/octo-org/app/actions")
    assert list(stored) == ["AWS_SECRET"]
    assert isinstance(stored["AWS_SECRET"], StoredSecret)
    assert stored["AWS_SECRET"].value == "rotated"
    assert stored["AWS_SECRET"].key_id == key["key_id"]

    listing = json.loads(req.requestJson("GET", base)[2])
    assert listing["total_count"] == 1
    assert listing["secrets"][0]["name"] == "AWS_SECRET"

    bad = {"encrypted_value": put["encrypted_value"], "key_id": "123"}
    status, _, body = req.requestJson("PUT", f"{base}/OTHER", input=bad)
    assert status == 422
    assert "errors" in json.loads(body)
    reserved = {**put, "key_id": key["key_id"]}
    assert req.requestJson("PUT", f"{base}/github_token", input=reserved)[0] == 422
    assert req.requestJson("PUT", f"{base}/1BAD", input=reserved)[0] == 422
    garbage = {"encrypted_value": base64.b64encode(b"nope").decode(), "key_id": key["key_id"]}
    assert req.requestJson("PUT", f"{base}/OTHER", input=garbage)[0] == 422

    assert req.requestJson("DELETE", f"{base}/AWS_SECRET")[0] == 204
    assert req.requestJson("DELETE", f"{base}/AWS_SECRET")[0] == 404
    assert sb.secrets("repos/octo-org/app/actions") == {}
    assert all(r.service == "github" and r.operation == "" for r in sb.requests)


def test_github_pygithub_high_level_and_paging(sb: Sandbox) -> None:
    gh = gh_for(sb)
    repo = gh.get_repo("octo-org/app")
    assert repo.id == 1001
    for i in range(5):
        repo.create_secret(f"S{i}", f"v{i}")
    env = repo.get_environment("production")
    env.create_secret("ENV_SECRET", "env-value")
    assert sb.secrets("repos/octo-org/app/environments/production")["ENV_SECRET"].value == (
        "env-value"
    )
    repo.create_secret("DEP", "d", secret_type="dependabot")
    assert sb.secrets("repos/octo-org/app/dependabot")["DEP"].value == "d"

    req = gh.requester
    status, headers, body = req.requestJson(
        "GET", f"{sb.github_url}/repos/octo-org/app/actions/secrets?per_page=2"
    )
    assert status == 200
    assert json.loads(body)["total_count"] == 5
    assert 'rel="next"' in headers["link"]
    assert sorted(s.name for s in repo.get_secrets()) == [f"S{i}" for i in range(5)]

    status, _, _ = req.requestJson(
        "GET", f"{sb.github_url}/repos/octo-org/app/environments/nope/secrets/public-key"
    )
    assert status == 404


def test_github_org_secrets_and_variables(sb: Sandbox) -> None:
    req = gh_for(sb).requester
    base = f"{sb.github_url}/orgs/octo-org/actions/secrets"
    key = json.loads(req.requestJson("GET", f"{base}/public-key")[2])
    sealed = seal(key["key"], "org-value")
    put = {"encrypted_value": sealed, "key_id": key["key_id"]}
    assert req.requestJson("PUT", f"{base}/ORG_S", input=put)[0] == 422  # visibility missing
    selected = {**put, "visibility": "selected", "selected_repository_ids": [1001, 9999]}
    assert req.requestJson("PUT", f"{base}/ORG_S", input=selected)[0] == 422
    selected["selected_repository_ids"] = [1001]
    assert req.requestJson("PUT", f"{base}/ORG_S", input=selected)[0] == 201
    stored = sb.secrets("orgs/octo-org/actions")["ORG_S"]
    assert (stored.value, stored.visibility, stored.selected_repository_ids) == (
        "org-value",
        "selected",
        [1001],
    )
    repos_url = f"{base}/ORG_S/repositories"
    new_ids = {"selected_repository_ids": [1002, 1003]}
    assert req.requestJson("PUT", repos_url, input=new_ids)[0] == 204
    listed = json.loads(req.requestJson("GET", repos_url)[2])
    assert [r["full_name"] for r in listed["repositories"]] == ["octo-org/api", "octo-org/web"]
    item = json.loads(req.requestJson("GET", f"{base}/ORG_S")[2])
    assert item["visibility"] == "selected"
    assert item["selected_repositories_url"].endswith(
        "/orgs/octo-org/actions/secrets/ORG_S/repositories"
    )

    vbase = f"{sb.github_url}/repos/octo-org/app/actions/variables"
    assert req.requestJson("POST", vbase, input={"name": "REGION", "value": "us-east-1"})[0] == 201
    assert req.requestJson("POST", vbase, input={"name": "REGION", "value": "x"})[0] == 409
    assert req.requestJson("PATCH", f"{vbase}/REGION", input={"value": "eu-west-1"})[0] == 204
    assert sb.variables("repos/octo-org/app/actions") == {"REGION": "eu-west-1"}
    listed = json.loads(req.requestJson("GET", vbase)[2])
    assert listed["variables"][0]["value"] == "eu-west-1"
    assert req.requestJson("DELETE", f"{vbase}/REGION")[0] == 204
    assert req.requestJson("GET", f"{vbase}/REGION")[0] == 404


def test_github_auth_and_not_found(sb: Sandbox) -> None:
    bad = gh_for(sb, "ghp_wrong").requester
    status, _, body = bad.requestJson("GET", f"{sb.github_url}/repos/octo-org/app")
    assert status == 401
    assert json.loads(body)["message"] == "Bad credentials"
    with pytest.raises(github.BadCredentialsException):
        gh_for(sb, "ghp_wrong").get_repo("octo-org/app")

    req = gh_for(sb).requester
    status, _, body = req.requestJson("GET", f"{sb.github_url}/repos/octo-org/missing")
    assert status == 404
    assert json.loads(body) == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }
    assert req.requestJson("GET", f"{sb.github_url}/orgs/nobody/actions/secrets")[0] == 404
    assert req.requestJson("GET", f"{sb.github_url}/nothing/here")[0] == 404


# --- faults, latency, lifecycle -----------------------------------------------------------


def test_fault_injection(sb: Sandbox) -> None:
    req = gh_for(sb).requester
    url = f"{sb.github_url}/repos/octo-org/app/actions/secrets/public-key"
    sb.inject_fault("github", "GET", r"/public-key$", 502)
    status, headers, _ = req.requestJson("GET", url)
    # PyGithub retries 5xx itself, so the second attempt sees the normal answer.
    assert status == 200
    assert [r.status for r in sb.requests] == [502, 200]
    assert headers["x-ratelimit-remaining"]

    sb.clear_requests()
    sb.inject_fault("sso", "GET", "/assignment/accounts", 200, reset_connection=True)
    token = sb.mint_token()["accessToken"]
    sso = boto3.client(
        "sso",
        endpoint_url=sb.aws_url,
        region_name="us-east-1",
        config=botocore.config.Config(
            signature_version=botocore.UNSIGNED, retries={"max_attempts": 2, "mode": "standard"}
        ),
    )
    assert sso.list_accounts(accessToken=token)["accountList"]
    assert [(r.status, r.operation) for r in sb.requests] == [
        (0, "ListAccounts"),
        (200, "ListAccounts"),
    ]

    aws_fault(
        sb, "sso", "GET", "/assignment/accounts", 429, "TooManyRequestsException", "x", times=-1
    )
    with pytest.raises(ClientError) as throttled:
        client(sb, "sso").list_accounts(accessToken=token)
    assert error_code(throttled) == "TooManyRequestsException"


def test_latency(sb: Sandbox) -> None:
    sb.set_latency(0.2)
    started = time.monotonic()
    gh_for(sb).requester.requestJson("GET", f"{sb.github_url}/repos/octo-org/app")
    assert time.monotonic() - started >= 0.2


def test_env_and_stop_is_quick() -> None:
    sandbox = Sandbox().start()
    env = sandbox.env()
    assert env["AWS_ENDPOINT_URL_SSO"] == env["AWS_ENDPOINT_URL_STS"] == sandbox.aws_url
    assert env["GITHUB_API_URL"] == sandbox.github_url
    assert env["GH_TOKEN"] == sandbox.github_token
    assert sandbox.github_token.startswith("ghp_sandbox")
    assert len(sandbox.github_token) == len("ghp_sandbox") + 36
    # A kept-alive connection must not outlive stop(): its handler thread would sit in a read
    # for the 60 s idle timeout. Hang detection with a generous bound, not a timing check.
    gh = gh_for(sandbox)
    gh.get_repo("octo-org/app")  # `gh` keeps its pooled connection open to the end
    # Only this sandbox's own handlers: another test's sandbox (Prism's, kept for the session)
    # may have live ones of its own.
    handlers = sandbox.handler_threads()
    assert handlers, "no handler thread is serving the kept-alive connection"
    stopper = threading.Thread(target=sandbox.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=30)
    assert not stopper.is_alive(), "stop() hangs on a kept-alive connection"
    for thread in handlers:
        thread.join(timeout=10)
    assert not [t for t in handlers if t.is_alive()], "stop() left a kept-alive handler running"
    gh.close()


def test_module_entry_point() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sso_sync.sandbox", "--role-lifetime", "900"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["env"]["AWS_ENDPOINT_URL_SSO"] == info["aws_url"]
        assert info["start_url"] == "https://d-sandbox0001.awsapps.com/start"
        with pytest.raises(urllib.error.HTTPError) as unauthenticated:
            urllib.request.urlopen(f"{info['github_url']}/repos/octo-org/app")
        assert unauthenticated.value.code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
