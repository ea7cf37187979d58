"""`push --record-variable NAME`: an audit note at the target, as a plain Actions variable.

JSON `{"pushed_at", "expires_at", "version"}`; with `--record-who` also `role_arn`, `pushed_by`
(the STS caller's session name, often an email) and `host`: who keeps this repository's
credentials alive. It is a variable, not a secret: anyone who can read the repository's
variables (and its workflow logs) sees it. No credential goes into it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sso_sync import __version__
from sso_sync.files import utc_timestamp

if TYPE_CHECKING:
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.aws.session import AwsSession
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.variables import VariableResult
    from sso_sync.push_run import PushRun


@dataclass(frozen=True)
class Caller:
    role_arn: str  # the assumed role, without the session name
    session_name: str


def caller_of(arn: str) -> Caller:
    """`arn:aws:sts::1:assumed-role/ROLE/SESSION` -> the role part and the session name."""
    head, _, session = arn.rpartition("/")
    if ":assumed-role/" not in head:
        return Caller(arn, "")
    return Caller(head, session)


def record_value(
    credentials: RoleCredentials, at: datetime, caller: Caller | None, host: str | None
) -> str:
    value: dict[str, str] = {
        "pushed_at": utc_timestamp(at),
        "expires_at": credentials.expiration_text,
        "version": __version__,
    }
    if caller is not None:
        value["role_arn"] = caller.role_arn
        value["pushed_by"] = caller.session_name
    if host is not None:
        value["host"] = host
    return json.dumps(value, separators=(",", ":"))


def record_pushes(
    api: GitHubApi,
    run: PushRun,
    name: str,
    *,
    who: bool,
    aws: Mapping[str | None, AwsSession],
    identify: Callable[[AwsSession, RoleCredentials], Caller] | None = None,
) -> list[VariableResult]:
    """The variable on every target whose secrets landed, describing its own credentials."""
    import dataclasses

    from sso_sync.github.variables import set_variable

    identify = identify or sts_caller
    at = datetime.now(timezone.utc)
    host = socket.gethostname() if who else None
    done: list[VariableResult] = []
    for profile, (_label, credentials) in zip(run.profiles, run.credentials, strict=True):
        caller = identify(aws[profile], credentials) if who else None
        value = record_value(credentials, at, caller, host)
        landed = dict.fromkeys(r.target for r in run.results if r.ok and r.profile == profile)
        for target in landed:
            result = set_variable(api, target, name, value)
            done.append(dataclasses.replace(result, value=value))
    return done


def sts_caller(session: AwsSession, credentials: RoleCredentials) -> Caller:
    """STS GetCallerIdentity with the pushed credentials: which role, which person."""
    from sso_sync import clients
    from sso_sync.errors import AwsError

    sts = session.sts_client(credentials)
    with clients.aws_network_errors("STS", "AWS_ENDPOINT_URL_STS", session.deadline):
        from botocore.exceptions import ClientError

        try:
            arn = sts.get_caller_identity()["Arn"]
        except ClientError as exc:
            from sso_sync.server_clock import skew_hint

            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            # Only the hint, never STS's message: it can quote the request's signature.
            hint = skew_hint(f"{code} {error.get('Message', '')}")
            raise AwsError(
                f"--record-who: STS GetCallerIdentity failed ({code})"
                + (f": {hint}" if hint else "")
            ) from None
    return caller_of(arn)
