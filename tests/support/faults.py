"""One way to make the sandbox's AWS side fail as the real services do."""

from __future__ import annotations

from sso_sync.sandbox import Sandbox


def aws_fault(
    sandbox: Sandbox,
    service: str,
    method: str,
    path_regex: str,
    status: int,
    error_type: str,
    message: str = "",
    *,
    oauth_error: str | None = None,
    times: int = 1,
) -> None:
    """The next `times` matching requests get `error_type` as AWS's JSON protocols send it:
    the `x-amzn-ErrorType` header, and an OAuth body (`sso-oidc`) or a `message` body."""
    body = (
        {"error": oauth_error, "error_description": message}
        if oauth_error
        else {"message": message}
    )
    sandbox.inject_fault(
        service,
        method,
        path_regex,
        status,
        times=times,
        headers={"x-amzn-ErrorType": error_type},
        body=body,
    )


# The refusals tests need most, by what the user would see.


def device_code_expired(sandbox: Sandbox) -> None:
    """The next token poll says the device code expired before it was approved."""
    aws_fault(sandbox, "sso-oidc", "POST", r"^/token$", 400, "ExpiredTokenException", "expired",
              oauth_error="expired_token")  # fmt: skip


def slow_down(sandbox: Sandbox, message: str = "slow down") -> None:
    """The next token poll asks the client to poll less often (RFC 8628 `slow_down`)."""
    aws_fault(sandbox, "sso-oidc", "POST", r"^/token$", 400, "SlowDownException", message,
              oauth_error="slow_down")  # fmt: skip


def session_refused(sandbox: Sandbox, path_regex: str) -> None:
    """IAM Identity Center refuses the access token (revoked, session ended) on `path_regex`."""
    aws_fault(sandbox, "sso", "GET", path_regex, 401, "UnauthorizedException",
              "Session token not found or invalid")  # fmt: skip


def role_refused(sandbox: Sandbox) -> None:
    """The next GetRoleCredentials is refused: the user has no access to the role."""
    aws_fault(sandbox, "sso", "GET", r"^/federation/credentials$", 403, "ForbiddenException",
              "No access")  # fmt: skip


def sts_quoting_the_request(sandbox: Sandbox, access_key_id: str) -> None:
    """STS refuses with IncompleteSignature and quotes the Authorization header, access key ID
    included, over two lines, as the real one can."""
    aws_fault(
        sandbox,
        "sts",
        "POST",
        r"^/$",
        400,
        "IncompleteSignature",
        f"Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 "
        f"Credential={access_key_id}/20261130/us-east-1/sts/aws4_request\nsecond line",
        times=-1,
    )
