"""ECR passwords, CodeArtifact tokens and endpoints (aws/registry_tokens.py), fetched by
botocore's own ECR and CodeArtifact clients from the sandbox through AWS_ENDPOINT_URL_ECR and
AWS_ENDPOINT_URL_CODEARTIFACT, signed with role credentials the sandbox issued."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta, timezone

import pytest

from sso_sync.aws.registry_tokens import (
    codeartifact_endpoint,
    codeartifact_token,
    ecr_password,
)
from sso_sync.deadline import Deadline
from sso_sync.errors import AwsError, DeadlineReached, PermissionMissing, UsageError
from tests.support.registries import facade, role_credentials
from tests.support.world import World, assert_no_leak

REGION = "us-east-1"


def _leaks(world: World, text: str) -> None:
    assert_no_leak(text, world.secret_values())


def test_ecr_password_is_the_part_after_aws_colon_and_expires_when_ecr_says(world: World) -> None:
    creds = role_credentials(world.sandbox)
    token = ecr_password(facade(), creds, REGION)
    [issued] = world.sandbox.issued_registry_tokens
    assert issued["kind"] == "ecr" and token.value == issued["value"]
    assert token.value != issued["wire"]  # not the base64 `AWS:...` form
    assert abs(token.expires_at.timestamp() - issued["expires_at"]) < 1
    assert token.value not in repr(token)
    # The `run` fixture's leak check knows it, in both forms.
    assert {token.value, issued["wire"]} <= world.secret_values()
    # Signed in the region asked for, and only the ECR call was made.
    [request] = [r for r in world.sandbox.requests if r.service == "ecr"]
    assert (request.operation, request.region, request.status) == (
        "GetAuthorizationToken",
        REGION,
        200,
    )


def test_a_denied_ecr_call_names_the_iam_action_and_nothing_secret(world: World) -> None:
    world.sandbox.deny_actions("ecr:GetAuthorizationToken")
    creds = role_credentials(world.sandbox)
    with pytest.raises(PermissionMissing) as caught:
        ecr_password(facade(), creds, REGION)
    assert caught.value.actions == ("ecr:GetAuthorizationToken",)
    message = str(caught.value)
    assert message.startswith(
        "ECR refused GetAuthorizationToken (AccessDeniedException): role ci in account "
        "111122223333 may not call it; add ecr:GetAuthorizationToken to its permission set"
    )
    assert "\n" not in message
    _leaks(world, message)


def test_codeartifact_token_lasts_as_long_as_the_credentials_by_default(world: World) -> None:
    creds = role_credentials(world.sandbox)
    token = codeartifact_token(facade(), creds, REGION, domain="corp")
    [issued] = world.sandbox.issued_registry_tokens
    assert issued["kind"] == "codeartifact" and token.value == issued["value"]
    assert issued["domain"] == "corp"
    assert abs((token.expires_at - creds.expiration).total_seconds()) < 1
    assert token.value not in repr(token)
    assert token.value in world.secret_values()


@pytest.mark.parametrize("seconds", [900, 43200])
def test_codeartifact_token_lasts_the_duration_asked_for(world: World, seconds: int) -> None:
    creds = role_credentials(world.sandbox)
    token = codeartifact_token(facade(), creds, REGION, domain="corp", duration_seconds=seconds)
    left = token.expires_at - datetime.now(timezone.utc)
    assert timedelta(seconds=seconds - 60) < left <= timedelta(seconds=seconds)


@pytest.mark.parametrize("seconds", [1, 899, 43201, -1])
def test_a_duration_codeartifact_refuses_is_refused_before_any_request(
    world: World, seconds: int
) -> None:
    creds = role_credentials(world.sandbox)
    world.sandbox.clear_requests()
    with pytest.raises(UsageError, match="900 to 43200 seconds"):
        codeartifact_token(facade(), creds, REGION, domain="corp", duration_seconds=seconds)
    assert world.sandbox.requests == []


@pytest.mark.parametrize(
    "denied", ["codeartifact:GetAuthorizationToken", "sts:GetServiceBearerToken"]
)
def test_a_denied_codeartifact_token_names_the_action_aws_named(world: World, denied: str) -> None:
    world.sandbox.deny_actions(denied)
    creds = role_credentials(world.sandbox)
    with pytest.raises(PermissionMissing) as caught:
        codeartifact_token(facade(), creds, REGION, domain="corp")
    assert caught.value.actions == (denied,)
    assert f"add {denied} to its permission set" in str(caught.value)
    _leaks(world, str(caught.value))


def test_a_refusal_naming_no_action_names_every_action_the_call_needs(world: World) -> None:
    creds = role_credentials(world.sandbox)
    world.sandbox.inject_fault(
        "codeartifact",
        "POST",
        "authorization-token",
        403,
        headers={"x-amzn-ErrorType": "AccessDeniedException"},
        body={"message": "Access denied"},
    )
    with pytest.raises(PermissionMissing) as caught:
        codeartifact_token(facade(), creds, REGION, domain="corp")
    assert caught.value.actions == (
        "codeartifact:GetAuthorizationToken",
        "sts:GetServiceBearerToken",
    )
    assert str(caught.value).startswith("CodeArtifact refused GetAuthorizationToken")
    assert "add codeartifact:GetAuthorizationToken and sts:GetServiceBearerToken to its" in str(
        caught.value
    )


@pytest.mark.parametrize("call", ["ecr", "token", "endpoint"])
def test_each_client_waits_no_longer_than_the_deadline(world: World, call: str) -> None:
    """A facade bound to the deadline, as a command's is, and no watchdog: only the client's
    own timeouts, taken from the deadline, stop a slow answer from being waited for."""
    creds = role_credentials(world.sandbox)
    deadline = Deadline(1)
    aws = facade(deadline)
    world.sandbox.set_latency(3)
    fetch = {
        "ecr": lambda: ecr_password(aws, creds, REGION),
        "token": lambda: codeartifact_token(aws, creds, REGION, domain="corp"),
        "endpoint": lambda: codeartifact_endpoint(
            aws,
            creds,
            REGION,
            domain="corp",
            owner=None,
            repository="internal",
            format="npm",
        ),
    }[call]
    with pytest.raises(DeadlineReached):
        fetch()


def test_an_unknown_domain_is_a_usage_error_naming_it(world: World) -> None:
    creds = role_credentials(world.sandbox)
    with pytest.raises(UsageError, match="domain 'nope' of account 111122223333"):
        codeartifact_token(facade(), creds, REGION, domain="nope")


def test_expired_credentials_are_refused_by_both_services(world: World) -> None:
    creds = role_credentials(world.sandbox)
    world.sandbox.expire_credentials()
    aws = facade()
    for fetch in (
        lambda: ecr_password(aws, creds, REGION),
        lambda: codeartifact_token(aws, creds, REGION, domain="corp"),
    ):
        with pytest.raises(AwsError, match=r"refused the role credentials \(ExpiredToken"):
            fetch()
    assert world.sandbox.issued_registry_tokens == []


def endpoint(world: World, repository: str, fmt: str) -> str:
    return codeartifact_endpoint(
        facade(),
        role_credentials(world.sandbox),
        REGION,
        domain="corp",
        owner=None,
        repository=repository,
        format=fmt,
    )


@pytest.mark.parametrize(
    ("fmt", "repository"), [("npm", "internal"), ("pypi", "internal"), ("maven", "upstream")]
)
def test_codeartifact_endpoint(world: World, fmt: str, repository: str) -> None:
    assert endpoint(world, repository, fmt) == (
        f"https://corp-111122223333.d.codeartifact.{REGION}.amazonaws.com/{fmt}/{repository}/"
    )


def test_an_endpoint_read_denied_names_read_from_repository(world: World) -> None:
    world.sandbox.deny_actions("codeartifact:ReadFromRepository")
    with pytest.raises(PermissionMissing, match="add codeartifact:ReadFromRepository"):
        endpoint(world, "internal", "npm")


@pytest.mark.parametrize(
    "body",
    [
        {"authorizationData": [{"authorizationToken": "bm90LWF3cw==", "expiresAt": 4102444800}]},
        {"authorizationData": [{"authorizationToken": "%%%", "expiresAt": 4102444800}]},
        {"authorizationData": [{"authorizationToken": "WFlaOnBhc3M=", "expiresAt": 4102444800}]},
        {"authorizationData": []},
    ],
    ids=["not AWS:", "not base64", "XYZ:pass", "empty"],
)
def test_an_ecr_answer_without_an_aws_password_is_refused(world: World, body: dict) -> None:
    creds = role_credentials(world.sandbox)
    world.sandbox.inject_fault("ecr", "POST", "^/$", 200, body=body)
    with pytest.raises(AwsError, match="no base64 `AWS:password` token"):
        ecr_password(facade(), creds, REGION)


def test_an_answer_botocore_cannot_parse_is_one_line(world: World) -> None:
    creds = role_credentials(world.sandbox)
    body = {"authorizationData": ["not an object"]}
    world.sandbox.inject_fault("ecr", "POST", "^/$", 200, body=body)
    with pytest.raises(AwsError, match=r"could not be read .*AWS_ENDPOINT_URL_ECR"):
        ecr_password(facade(), creds, REGION)


def test_an_ecr_password_may_hold_a_colon(world: World) -> None:
    creds = role_credentials(world.sandbox)
    token = base64.b64encode(b"AWS:pass:word").decode()
    item = {"authorizationToken": token, "expiresAt": time.time() + 600}
    world.sandbox.inject_fault("ecr", "POST", "^/$", 200, body={"authorizationData": [item]})
    assert ecr_password(facade(), creds, REGION).value == "pass:word"


@pytest.mark.parametrize(
    "body",
    [
        {"authorizationToken": "CANARYtoken"},
        {"authorizationToken": "CANARYtoken", "expiration": 4102444800},
    ],
    ids=["no expiry", "too far off"],
)
def test_a_token_without_a_usable_expiry_is_refused(world: World, body: dict) -> None:
    creds = role_credentials(world.sandbox)
    world.sandbox.inject_fault("codeartifact", "POST", "authorization-token", 200, body=body)
    with pytest.raises(AwsError, match="came with no usable expiry"):
        codeartifact_token(facade(), creds, REGION, domain="corp")


@pytest.mark.parametrize(
    "url", ["http://corp.example/npm/internal/", "https://h/p\nx: y", "ftp://h/"]
)
def test_an_endpoint_that_is_not_a_plain_https_url_is_refused(world: World, url: str) -> None:
    world.sandbox.inject_fault(
        "codeartifact", "GET", "repository/endpoint", 200, body={"repositoryEndpoint": url}
    )
    with pytest.raises(AwsError, match="holds no https URL"):
        endpoint(world, "internal", "npm")


def test_an_already_expired_token_is_refused(world: World) -> None:
    creds = role_credentials(world.sandbox)
    body = {"authorizationToken": "CANARYtoken", "expiration": 1_000_000_000}
    world.sandbox.inject_fault("codeartifact", "POST", "authorization-token", 200, body=body)
    with pytest.raises(AwsError, match="expired at 2001-09-09") as caught:
        codeartifact_token(facade(), creds, REGION, domain="corp")
    assert "CANARYtoken" not in str(caught.value)


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_CODEARTIFACT"])
def test_plain_http_off_loopback_is_refused_before_sending(
    world: World, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    creds = role_credentials(world.sandbox)
    monkeypatch.setenv(variable, "http://192.0.2.10:8080")
    aws = facade()
    fetch = {
        "AWS_ENDPOINT_URL_ECR": lambda: ecr_password(aws, creds, REGION),
        "AWS_ENDPOINT_URL_CODEARTIFACT": lambda: codeartifact_token(
            aws, creds, REGION, domain="corp"
        ),
    }[variable]
    with pytest.raises(UsageError, match=f"{variable}.*plain http://"):
        fetch()


def test_an_unreachable_endpoint_is_one_line_naming_the_variable(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.verify import free_port

    creds = role_credentials(world.sandbox)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEARTIFACT", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(
        AwsError, match=r"^cannot reach CodeArtifact .*AWS_ENDPOINT_URL_CODEARTIFACT"
    ):
        codeartifact_token(facade(), creds, REGION, domain="corp")


def test_the_deadline_bounds_the_call(world: World) -> None:
    creds = role_credentials(world.sandbox)
    world.sandbox.set_latency(3)
    deadline = Deadline(1)
    with (
        deadline.guard(),
        pytest.raises(DeadlineReached, match=r"^ECR: (calling AWS: )?the --timeout deadline"),
    ):
        ecr_password(facade(deadline), creds, REGION)
