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
