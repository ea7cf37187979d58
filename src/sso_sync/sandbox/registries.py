"""Fake ECR (GetAuthorizationToken, JSON 1.1) and CodeArtifact (GetAuthorizationToken and
GetRepositoryEndpoint, REST-JSON), on the AWS port, following botocore's service models.

Every request must be SigV4-signed for its own service with role credentials the sandbox issued
and that have not expired (the same check as STS's). An action listed in
`SandboxConfig.denied_actions` is refused as IAM refuses it, naming the action. Every token is
recorded (`IssuedRegistryToken`), so tests can compare what GitHub decrypts with what was issued
and the leak canary knows every value, in every form it went over the wire.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .http import Request, Response, json_response

if TYPE_CHECKING:
    from .aws import AwsBackend, RoleCredential

ECR_TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/v1/authorization-token"): ("codeartifact", "GetAuthorizationToken"),
    ("GET", "/v1/repository/endpoint"): ("codeartifact", "GetRepositoryEndpoint"),
}
# CodeArtifact's bounds for durationSeconds; without one it issues the longest.
_MIN_DURATION, _MAX_DURATION = 900, 43200
# botocore's codeartifact model: the `format` enum.
_FORMATS = {"npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"}
_SCOPE_SERVICE = re.compile(r"Credential=[^/,]+/\d{8}/[^/,]+/([^/,]+)/")


@dataclass
class IssuedRegistryToken:
    kind: str  # "ecr" | "codeartifact"
    value: str  # the secret a push stores: ECR's password, CodeArtifact's token
    wire: str  # the form it was sent in (ECR: base64 of `AWS:password`)
    expires_at: float
    account_id: str
    role_name: str
    domain: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RegistryFault(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def classify(request: Request) -> tuple[str, str] | None:
    target = request.header("X-Amz-Target") or ""
    if request.method == "POST" and target.startswith(ECR_TARGET_PREFIX):
        return "ecr", target.removeprefix(ECR_TARGET_PREFIX)
    return ROUTES.get((request.method, request.path.rstrip("/")))


def handle(backend: AwsBackend, request: Request, service: str, operation: str) -> Response:
    try:
        handler = _HANDLERS.get((service, operation))
        if handler is None:
            raise RegistryFault(400, "UnknownOperationException", f"Unknown operation {operation}")
        cred = _signed(backend, request, service)
        return handler(backend, request, cred)
    except RegistryFault as fault:
        headers = {"x-amzn-ErrorType": fault.code}
        body: dict[str, Any] = {"message": fault.message}
        if service == "ecr":  # JSON 1.1 names the error in the body
            body["__type"] = fault.code
            headers["Content-Type"] = "application/x-amz-json-1.1"
        return json_response(fault.status, body, headers)


def _signed(backend: AwsBackend, request: Request, service: str) -> RoleCredential:
    from .aws import AwsFault

    try:
        cred = backend._verify_sigv4(request)
    except AwsFault as err:
        code = {"InvalidClientTokenId": "UnrecognizedClientException"}.get(err.code, err.code)
        raise RegistryFault(err.status, code, err.message) from None
    scope = _SCOPE_SERVICE.search(request.header("Authorization") or "")
    if scope is None or scope[1] != service:
        raise RegistryFault(
            403, "InvalidSignatureException", f"Credential should be scoped to service '{service}'"
        )
    return cred


def _allow(backend: AwsBackend, cred: RoleCredential, action: str, resource: str) -> None:
    if action in backend.config.denied_actions:
        from .aws import assumed_role_arn

        arn = assumed_role_arn(cred, backend.config.user_name)
        raise RegistryFault(
            400 if action.startswith("ecr:") else 403,
            "AccessDeniedException",
            f"User: {arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action",
        )


def _region(request: Request) -> str:
    match = re.search(r"Credential=[^/,]+/\d{8}/([^/,]+)/", request.header("Authorization") or "")
    return match[1] if match else "us-east-1"


def _record(backend: AwsBackend, token: IssuedRegistryToken) -> None:
    backend.state.registry_tokens.append(token)


# --- ECR ------------------------------------------------------------------------------------


def _ecr_get_authorization_token(
    backend: AwsBackend, request: Request, cred: RoleCredential
) -> Response:
    _allow(backend, cred, "ecr:GetAuthorizationToken", "*")
    password = base64.b64encode(os.urandom(288)).decode()
    wire = base64.b64encode(f"AWS:{password}".encode()).decode()
    expires = backend.config.now() + backend.config.ecr_token_lifetime
    region = _region(request)
    _record(
        backend,
        IssuedRegistryToken("ecr", password, wire, expires, cred.account_id, cred.role_name),
    )
    item = {
        "authorizationToken": wire,
        "expiresAt": expires,
        "proxyEndpoint": f"https://{cred.account_id}.dkr.ecr.{region}.amazonaws.com",
    }
    return json_response(
        200, {"authorizationData": [item]}, {"Content-Type": "application/x-amz-json-1.1"}
    )


# --- CodeArtifact ---------------------------------------------------------------------------


def _domain(backend: AwsBackend, request: Request, cred: RoleCredential) -> tuple[str, str]:
    domain = request.arg("domain") or ""
    owner = request.arg("domain-owner") or cred.account_id
    if not domain:
        raise RegistryFault(400, "ValidationException", "domain is required")
    config = backend.config
    if owner != config.codeartifact_owner or domain not in config.codeartifact_domains:
        raise RegistryFault(
            404, "ResourceNotFoundException", f"Domain '{domain}' not found in account {owner}"
        )
    return domain, owner


def _codeartifact_get_authorization_token(
    backend: AwsBackend, request: Request, cred: RoleCredential
) -> Response:
    domain, owner = _domain(backend, request, cred)
    region = _region(request)
    _allow(
        backend,
        cred,
        "codeartifact:GetAuthorizationToken",
        f"arn:aws:codeartifact:{region}:{owner}:domain/{domain}",
    )
    _allow(backend, cred, "sts:GetServiceBearerToken", f"arn:aws:sts::{cred.account_id}:*")
    raw = request.arg("duration")
    try:
        duration = _MAX_DURATION if raw is None else int(raw)
    except ValueError:
        raise RegistryFault(400, "ValidationException", "duration must be a number") from None
    if duration != 0 and not _MIN_DURATION <= duration <= _MAX_DURATION:
        raise RegistryFault(
            400,
            "ValidationException",
            f"durationSeconds must be 0 or between {_MIN_DURATION} and {_MAX_DURATION}",
        )
    # 0: as long as the credentials that asked.
    expires = cred.expiration_ms / 1000 if duration == 0 else backend.config.now() + duration
    token = secrets.token_urlsafe(384)
    _record(
        backend,
        IssuedRegistryToken(
            "codeartifact", token, token, expires, cred.account_id, cred.role_name, domain
        ),
    )
    return json_response(200, {"authorizationToken": token, "expiration": expires})


def _codeartifact_get_repository_endpoint(
    backend: AwsBackend, request: Request, cred: RoleCredential
) -> Response:
    domain, owner = _domain(backend, request, cred)
    region = _region(request)
    repository, fmt = request.arg("repository") or "", request.arg("format") or ""
    if fmt not in _FORMATS or not repository:
        raise RegistryFault(400, "ValidationException", "repository and a valid format required")
    _allow(
        backend,
        cred,
        "codeartifact:ReadFromRepository",
        f"arn:aws:codeartifact:{region}:{owner}:repository/{domain}/{repository}",
    )
    if repository not in backend.config.codeartifact_domains[domain]:
        raise RegistryFault(
            404, "ResourceNotFoundException", f"Repository '{repository}' not found"
        )
    endpoint = f"https://{domain}-{owner}.d.codeartifact.{region}.amazonaws.com/{fmt}/{repository}/"
    return json_response(200, {"repositoryEndpoint": endpoint})


_HANDLERS = {
    ("ecr", "GetAuthorizationToken"): _ecr_get_authorization_token,
    ("codeartifact", "GetAuthorizationToken"): _codeartifact_get_authorization_token,
    ("codeartifact", "GetRepositoryEndpoint"): _codeartifact_get_repository_endpoint,
}
