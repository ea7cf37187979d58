"""Registry tokens as rows of the credential-source table (sources.py): `ECR_PASSWORD` and
`CODEARTIFACT_AUTH_TOKEN`, each fetched with the profile's role credentials and pushed with its
own expiry, so the state file, `--min-remaining` and `watch` renew each when it runs short.

`build_sources` turns the settings a set carries (command-line options or `sso-sync.toml`) into
the set's rows; its errors say what to change, and the caller names where (option or key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sso_sync.aws.registry_tokens import (
    CODEARTIFACT_AUTH_TOKEN,
    CODEARTIFACT_DEFAULT_DURATION,
    ECR_PASSWORD,
    check_duration,
    codeartifact_token,
    default_region,
    ecr_password,
)
from sso_sync.errors import UsageError
from sso_sync.sources import ROLE_CREDENTIALS, CredentialSource, IssuedSecret

if TYPE_CHECKING:
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.aws.session import AwsSession

# An AWS account id, as CodeArtifact takes a domain owner.
_ACCOUNT_DIGITS = 12


def _region(region: str | None, aws: AwsSession) -> str:
    """The region asked for, else the profile's, as the AWS CLI picks it."""
    return region or default_region(aws.environ, aws.session.full_config, aws.profile)


@dataclass(frozen=True)
class EcrSource:
    """`ECR_PASSWORD`: the password for `docker login --username AWS` in `region` (None: the
    profile's). ECR decides its life (12 hours), whatever the role session's."""

    region: str | None = None
    key: ClassVar[str] = "ecr"

    def secret_names(self) -> tuple[str, ...]:
        return (ECR_PASSWORD,)

    def fetch(self, credentials: Any, aws: Any) -> tuple[IssuedSecret, ...]:
        creds: RoleCredentials = credentials
        token = ecr_password(aws.session, creds, _region(self.region, aws), aws.deadline)
        return (IssuedSecret(ECR_PASSWORD, token.value, token.expires_at),)


@dataclass(frozen=True)
class CodeArtifactSource:
    """`CODEARTIFACT_AUTH_TOKEN` for `domain` (of account `owner`, None: the role's), lasting
    `duration_seconds` (0: as long as the role credentials that asked for it)."""

    domain: str
    owner: str | None = None
    duration_seconds: int = CODEARTIFACT_DEFAULT_DURATION
    region: str | None = None
    key: ClassVar[str] = "codeartifact"

    def secret_names(self) -> tuple[str, ...]:
        return (CODEARTIFACT_AUTH_TOKEN,)

    def fetch(self, credentials: Any, aws: Any) -> tuple[IssuedSecret, ...]:
        token = codeartifact_token(
            aws.session,
            credentials,
            _region(self.region, aws),
            aws.deadline,
            domain=self.domain,
            owner=self.owner,
            duration_seconds=self.duration_seconds,
        )
        return (IssuedSecret(CODEARTIFACT_AUTH_TOKEN, token.value, token.expires_at),)


def build_sources(
    *,
    ecr: bool = False,
    codeartifact: str | None = None,
    codeartifact_owner: str | None = None,
    codeartifact_duration: int | None = None,
    region: str | None = None,
    role_credentials: bool = True,
) -> tuple[CredentialSource, ...]:
    """A set's rows, in the order its secrets are written: the role credentials (unless left
    out), then ECR, then CodeArtifact. Raises UsageError naming the option to change."""
    if codeartifact is not None:
        codeartifact = codeartifact.strip()
        if not codeartifact:
            raise UsageError("--codeartifact needs a domain name: give --codeartifact DOMAIN")
    elif codeartifact_owner is not None or codeartifact_duration is not None:
        given = (
            "--codeartifact-owner" if codeartifact_owner is not None else "--codeartifact-duration"
        )
        raise UsageError(f"{given} needs --codeartifact DOMAIN: name the domain")
    if codeartifact_owner is not None and not (
        len(codeartifact_owner) == _ACCOUNT_DIGITS and codeartifact_owner.isdigit()
    ):
        raise UsageError(
            f"--codeartifact-owner '{codeartifact_owner}' is not an account id: give the 12 "
            "digits of the account that owns the domain"
        )
    if codeartifact_duration is not None:
        check_duration(codeartifact_duration)
    rows: list[CredentialSource] = [ROLE_CREDENTIALS] if role_credentials else []
    if ecr:
        rows.append(EcrSource(region))
    if codeartifact is not None:
        duration = (
            CODEARTIFACT_DEFAULT_DURATION
            if codeartifact_duration is None
            else codeartifact_duration
        )
        rows.append(CodeArtifactSource(codeartifact, codeartifact_owner, duration, region))
    if not rows:
        raise UsageError(
            "--no-role-credentials leaves nothing to push: add --ecr or --codeartifact DOMAIN"
        )
    if region is not None and not (ecr or codeartifact is not None):
        raise UsageError("--region is for the registries: add --ecr or --codeartifact DOMAIN")
    return tuple(rows)
