"""Registry tokens the profile's role credentials can get, each with its own expiry: ECR's
password for `docker login --username AWS` and CodeArtifact's authorization token; and a
CodeArtifact repository's endpoint, for `dependabot.yml`.

What `aws ecr get-login-password`, `aws codeartifact get-authorization-token` and `aws
codeartifact get-repository-endpoint` do, through the clients the AWS facade builds: so
AWS_ENDPOINT_URL_ECR and AWS_ENDPOINT_URL_CODEARTIFACT are honoured, plain http goes only to
loopback, and every call stays within the command's deadline. A refusal becomes one line that
names the IAM action to grant (`PermissionMissing`); no message ever quotes a token.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sso_sync.aws.role_credentials import is_credential_text
from sso_sync.aws.sts_errors import sts_refusal
from sso_sync.errors import AwsError, PermissionMissing, UsageError
from sso_sync.files import utc_timestamp

if TYPE_CHECKING:
    from sso_sync.aws.profiles import SsoProfile
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.aws.session import AwsClients
    from sso_sync.deadline import Deadline


# What each call needs in the role's permission set (AWS's service authorization reference).
ECR_ACTIONS = ("ecr:GetAuthorizationToken",)
CODEARTIFACT_TOKEN_ACTIONS = ("codeartifact:GetAuthorizationToken", "sts:GetServiceBearerToken")
CODEARTIFACT_ENDPOINT_ACTIONS = ("codeartifact:ReadFromRepository",)

# CodeArtifact's own bounds for durationSeconds (15 minutes to 12 hours, its default the most);
# 0 asks for a token that expires with the credentials that asked for it.
CODEARTIFACT_MIN_DURATION = 900
CODEARTIFACT_MAX_DURATION = 43200
# Ours is 0: a token never outlives the role session that minted it (the bound the permission
# set's session duration already sets), and one renewal keeps the credentials and the token
# fresh together. A longer or shorter life is a choice the user makes, in seconds.
CODEARTIFACT_DEFAULT_DURATION = 0

# An answer's expiry further off than this is not a registry token's (both last 12 h at most).
_LONGEST_LIFE = timedelta(hours=36)
# "...is not authorized to perform: sts:GetServiceBearerToken on resource: ...": the action AWS
# names is safe to repeat (it never holds a credential) and more precise than our guess.
_NAMED_ACTION = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9]+)")
_REFUSED_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "IncompleteSignature",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
# An endpoint we print into dependabot.yml: https, a host name, a plain path.
_ENDPOINT = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[A-Za-z0-9._~/-]*")


@dataclass(frozen=True)
class RegistryToken:
    """A registry secret's value and when it stops working."""

    value: str = field(repr=False)
    expires_at: datetime

    @property
    def expiration_text(self) -> str:
        return utc_timestamp(self.expires_at)


def default_region(
    environ: Mapping[str, str], full_config: Mapping[str, Any], profile: SsoProfile
) -> str:
    """Where the profile's registries are asked, as the AWS CLI v2 picks a region: AWS_REGION,
    AWS_DEFAULT_REGION, the profile's `region`, its `sso_region`."""
    from sso_sync.aws.profiles import profile_region
    from sso_sync.aws.status import sts_region

    return sts_region(environ, profile_region(full_config, profile.name), profile.sso_region)


def ecr_password(aws: AwsClients, credentials: RoleCredentials, region: str) -> RegistryToken:
    """ecr:GetAuthorizationToken: the password part of its base64 `AWS:password` token, for
    `docker login --username AWS` to any registry the role may pull from in `region`."""
    ecr = aws.ecr_client(credentials, region)
    with _calling(_ECR, "GetAuthorizationToken", credentials, aws.deadline):
        response = ecr.get_authorization_token()
    data = response.get("authorizationData") or [{}]
    item: Any = data[0]
    password = _ecr_password_of(item.get("authorizationToken"))
    return RegistryToken(password, _expiry(item.get("expiresAt"), _ECR))


def codeartifact_token(
    aws: AwsClients,
    credentials: RoleCredentials,
    region: str,
    *,
    domain: str,
    owner: str | None = None,
    duration_seconds: int = CODEARTIFACT_DEFAULT_DURATION,
) -> RegistryToken:
    """codeartifact:GetAuthorizationToken for `domain` (of account `owner`, default the role's),
    lasting `duration_seconds` (0: as long as the credentials)."""
    check_duration(duration_seconds)
    client = aws.codeartifact_client(credentials, region)
    owner = owner or credentials.account_id
    where = f"domain '{domain}' of account {owner} in {region}"
    with _calling(_CODEARTIFACT, "GetAuthorizationToken", credentials, aws.deadline, where):
        response = client.get_authorization_token(
            domain=domain, domainOwner=owner, durationSeconds=duration_seconds
        )
    token = response.get("authorizationToken")
    if not is_credential_text(token):
        raise AwsError(
            "CodeArtifact's answer to GetAuthorizationToken holds no usable token: check "
            f"{_CODEARTIFACT.variable} points at the real service"
        )
    return RegistryToken(str(token), _expiry(response.get("expiration"), _CODEARTIFACT))


def codeartifact_endpoint(
    aws: AwsClients,
    credentials: RoleCredentials,
    region: str,
    *,
    domain: str,
    owner: str | None,
    repository: str,
    format: str,
) -> str:
    """codeartifact:GetRepositoryEndpoint: the URL package managers use for `repository`."""
    client = aws.codeartifact_client(credentials, region)
    owner = owner or credentials.account_id
    where = f"repository '{repository}' in domain '{domain}' of account {owner} in {region}"
    with _calling(_CODEARTIFACT, "GetRepositoryEndpoint", credentials, aws.deadline, where):
        response = client.get_repository_endpoint(
            domain=domain,
            domainOwner=owner,
            repository=repository,
            format=format,  # type: ignore[arg-type]
        )
    url = response.get("repositoryEndpoint")
    if not isinstance(url, str) or not _ENDPOINT.fullmatch(url):
        raise AwsError(
            "CodeArtifact's answer to GetRepositoryEndpoint holds no https URL: check "
            f"{_CODEARTIFACT.variable} points at the real service"
        )
    return url


def check_duration(seconds: int) -> None:
    if seconds != 0 and not CODEARTIFACT_MIN_DURATION <= seconds <= CODEARTIFACT_MAX_DURATION:
        raise UsageError(
            f"a CodeArtifact token lasts {CODEARTIFACT_MIN_DURATION} to "
            f"{CODEARTIFACT_MAX_DURATION} seconds (or 0: as long as the role credentials), not "
            f"{seconds}: give a duration in that range"
        )


# --- the shared refusal handling ------------------------------------------------------------


@dataclass(frozen=True)
class _Service:
    label: str
    variable: str
    needs: dict[str, tuple[str, ...]]  # operation -> the IAM actions it needs


_ECR = _Service("ECR", "AWS_ENDPOINT_URL_ECR", {"GetAuthorizationToken": ECR_ACTIONS})
_CODEARTIFACT = _Service(
    "CodeArtifact",
    "AWS_ENDPOINT_URL_CODEARTIFACT",
    {
        "GetAuthorizationToken": CODEARTIFACT_TOKEN_ACTIONS,
        "GetRepositoryEndpoint": CODEARTIFACT_ENDPOINT_ACTIONS,
    },
)


@contextmanager
def _calling(
    service: _Service,
    operation: str,
    credentials: RoleCredentials,
    deadline: Deadline | None,
    where: str = "",
) -> Iterator[None]:
    """One call: network failures and the deadline as `clients` words them; AWS's refusals as
    one line naming what to fix; an unreadable answer as such."""
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    from sso_sync.clients import aws_network_errors

    with aws_network_errors(service.label, service.variable, deadline):
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise _refusal(error, service, operation, credentials, where) from None
        except (ResponseParserError, ValueError, TypeError, KeyError, AttributeError):
            raise AwsError(
                f"{service.label}'s answer to {operation} could not be read (not its JSON: a "
                f"proxy's page?): check {service.variable} and the network"
            ) from None


def _refusal(
    error: Any,
    service: _Service,
    operation: str,
    credentials: RoleCredentials,
    where: str,
) -> AwsError | UsageError:
    secrets = (credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    code, message = sts_refusal(error, secrets)
    role = f"role {credentials.role_name} in account {credentials.account_id}"
    if code in ("AccessDeniedException", "AccessDenied"):
        named = _NAMED_ACTION.search(message)
        actions = (named[1],) if named else service.needs[operation]
        return PermissionMissing(
            f"{service.label} refused {operation} ({code}): {role} may not call it; add "
            f"{' and '.join(actions)} to its permission set" + (f" (for {where})" if where else ""),
            actions=actions,
        )
    if code == "ResourceNotFoundException":
        return UsageError(f"{service.label} has no {where or 'such resource'}: check the names")
    if code in _REFUSED_CREDENTIALS:
        return AwsError(
            f"{service.label} refused the role credentials ({code}): retry for fresh ones; if it "
            "persists, check this computer's clock"
        )
    if code == "ValidationException":
        return UsageError(f"{service.label} refused {operation} as invalid: {message}")
    return AwsError(f"{service.label}: {operation} failed ({code or 'no code'}): {message}")


def _ecr_password_of(encoded: object) -> str:
    """`password` from base64 of `AWS:password`; never says what the value was."""
    try:
        if not isinstance(encoded, str):
            raise TypeError
        user, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (TypeError, ValueError, binascii.Error, UnicodeDecodeError):
        user, colon, password = "", "", ""
    if user != "AWS" or not colon or not is_credential_text(password):
        raise AwsError(
            "ECR's answer to GetAuthorizationToken holds no base64 `AWS:password` token: check "
            f"{_ECR.variable} points at the real service"
        )
    return password


def _expiry(
    value: object,
    service: _Service,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> datetime:
    """A token's expiry from botocore (a datetime), checked: in the future and within a
    registry token's longest life."""
    moment = now()
    if not isinstance(value, datetime) or value.tzinfo is None:
        when = None
    else:
        when = value.astimezone(timezone.utc)
    if when is None or when - moment > _LONGEST_LIFE:
        raise AwsError(
            f"{service.label}'s token came with no usable expiry: check {service.variable} "
            "points at the real service"
        )
    if when <= moment:
        raise AwsError(
            f"{service.label} issued a token that expired at {utc_timestamp(when)}, before it "
            "could be used: check this computer's clock, then retry"
        )
    return when
