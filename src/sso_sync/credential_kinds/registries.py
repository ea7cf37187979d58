"""Registry tokens as rows of the credential-source table (sources.py): `ECR_PASSWORD` and
`CODEARTIFACT_AUTH_TOKEN`, each fetched with the profile's role credentials and pushed with its
own expiry, so the state file, `--min-remaining` and `watch` renew each when it runs short.

`EcrKind` and `CodeArtifactKind` declare their settings (`--ecr`; `--codeartifact`,
`--codeartifact-owner`, `--codeartifact-duration`; `--region` for both: each option's flag,
config key, type and help) and turn them into rows, for source_table.py's table; their errors
say what to change, worded as options or config keys. Every `--help` that shows the source
block imports this module, so the calls (aws/registry_tokens.py, botocore) are imported inside
the functions that make them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from sso_sync.errors import UsageError
from sso_sync.sources import CredentialSource, IssuedSecret, OptionSpec, SourceRow, Spelling

if TYPE_CHECKING:
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.aws.session import AwsSession

# An AWS account id, as CodeArtifact takes a domain owner.
_ACCOUNT_DIGITS = 12
# The secret names, as `aws ecr get-login-password` and `aws codeartifact login` users call them.
ECR_PASSWORD = "ECR_PASSWORD"
CODEARTIFACT_AUTH_TOKEN = "CODEARTIFACT_AUTH_TOKEN"
# As long as the role credentials (aws/registry_tokens.py CODEARTIFACT_DEFAULT_DURATION).
_AS_LONG_AS_THE_ROLE = 0


def _region(region: str | None, aws: AwsSession) -> str:
    """The region asked for, else the profile's, as the AWS CLI picks it."""
    from sso_sync.aws.registry_tokens import default_region

    return region or default_region(aws.environ, aws.session.full_config, aws.profile)


@dataclass(frozen=True)
class EcrSource(SourceRow):
    """`ECR_PASSWORD`: the password for `docker login --username AWS` in `region` (None: the
    profile's). ECR decides its life (12 hours), whatever the role session's."""

    region: str | None = None
    key: ClassVar[str] = "ecr"

    def secret_names(self) -> tuple[str, ...]:
        return (ECR_PASSWORD,)

    def fetch(self, credentials: Any, aws: Any) -> tuple[IssuedSecret, ...]:
        from sso_sync.aws.registry_tokens import ecr_password

        creds: RoleCredentials = credentials
        token = ecr_password(aws, creds, _region(self.region, aws))
        return (IssuedSecret(ECR_PASSWORD, token.value, token.expires_at),)

    def describe(self, aws: Any) -> str:
        return f"ECR password ({_region(self.region, aws)})"


@dataclass(frozen=True)
class CodeArtifactSource(SourceRow):
    """`CODEARTIFACT_AUTH_TOKEN` for `domain` (of account `owner`, None: the role's), lasting
    `duration_seconds` (0: as long as the role credentials that asked for it)."""

    domain: str
    owner: str | None = None
    duration_seconds: int = _AS_LONG_AS_THE_ROLE
    region: str | None = None
    key: ClassVar[str] = "codeartifact"

    def secret_names(self) -> tuple[str, ...]:
        return (CODEARTIFACT_AUTH_TOKEN,)

    def fetch(self, credentials: Any, aws: Any) -> tuple[IssuedSecret, ...]:
        from sso_sync.aws.registry_tokens import codeartifact_token

        token = codeartifact_token(
            aws,
            credentials,
            _region(self.region, aws),
            domain=self.domain,
            owner=self.owner,
            duration_seconds=self.duration_seconds,
        )
        return (IssuedSecret(CODEARTIFACT_AUTH_TOKEN, token.value, token.expires_at),)

    def describe(self, aws: Any) -> str:
        return f"CodeArtifact token ({self.domain}, {_region(self.region, aws)})"

    def for_a_check(self) -> CodeArtifactSource:
        """The shortest life CodeArtifact grants: a token `doctor` fetches is dropped at once."""
        from sso_sync.aws.registry_tokens import CODEARTIFACT_MIN_DURATION

        return replace(self, duration_seconds=CODEARTIFACT_MIN_DURATION)


REGION = OptionSpec(
    "region",
    "--region",
    "region",
    metavar="REGION",
    serves="the registries",
    help="Region of the ECR registry and CodeArtifact domain. Default: $AWS_REGION, "
    "$AWS_DEFAULT_REGION, the profile's region, its sso_region.",
)
ECR = OptionSpec(
    "ecr",
    "--ecr",
    "ecr",
    bool,
    help="ECR: the password for `docker login --username AWS` (secret ECR_PASSWORD; "
    "needs ecr:GetAuthorizationToken).",
)
CODEARTIFACT = OptionSpec(
    "codeartifact",
    "--codeartifact",
    "codeartifact",
    metavar="DOMAIN",
    help="CodeArtifact: a token for DOMAIN (secret CODEARTIFACT_AUTH_TOKEN; needs "
    "codeartifact:GetAuthorizationToken and sts:GetServiceBearerToken).",
)
CODEARTIFACT_OWNER = OptionSpec(
    "codeartifact_owner",
    "--codeartifact-owner",
    "codeartifact-owner",
    metavar="ACCOUNT",
    help="The account that owns the --codeartifact domain. Default: the profile's.",
)
CODEARTIFACT_DURATION = OptionSpec(
    "codeartifact_duration",
    "--codeartifact-duration",
    "codeartifact-duration",
    int,
    metavar="SECONDS",
    expected="a number of seconds",
    help="How long the --codeartifact token lasts: 900 to 43200, or 0 (the default) for as "
    "long as the role credentials.",
)


class EcrKind:
    """`--ecr` (in `--region`): one `EcrSource`."""

    options: tuple[OptionSpec, ...] = (ECR, REGION)

    def rows(self, values: Mapping[str, Any], spell: Spelling) -> tuple[CredentialSource, ...]:
        return (EcrSource(values.get("region")),) if values.get("ecr") else ()


class CodeArtifactKind:
    """`--codeartifact DOMAIN` (of `--codeartifact-owner`, lasting `--codeartifact-duration`,
    in `--region`): one `CodeArtifactSource`."""

    options: tuple[OptionSpec, ...] = (
        CODEARTIFACT,
        CODEARTIFACT_OWNER,
        CODEARTIFACT_DURATION,
        REGION,
    )

    def rows(self, values: Mapping[str, Any], spell: Spelling) -> tuple[CredentialSource, ...]:
        domain: str | None = values.get("codeartifact")
        owner: str | None = values.get("codeartifact_owner")
        duration: int | None = values.get("codeartifact_duration")
        if domain is None:
            given = next((s for s in (CODEARTIFACT_OWNER, CODEARTIFACT_DURATION)
                          if values.get(s.field) is not None), None)  # fmt: skip
            if given is not None:
                raise UsageError(
                    f"{spell.name(given)} needs {spell.given(CODEARTIFACT)}: name the domain"
                )
            return ()
        domain = domain.strip()
        if not domain:
            raise UsageError(
                f"{spell.name(CODEARTIFACT)} needs a domain name: give {spell.given(CODEARTIFACT)}"
            )
        if owner is not None and not (len(owner) == _ACCOUNT_DIGITS and owner.isdigit()):
            raise UsageError(
                f"{spell.name(CODEARTIFACT_OWNER)} '{owner}' is not an account id: give the 12 "
                "digits of the account that owns the domain"
            )
        if duration is not None:
            from sso_sync.aws.registry_tokens import check_duration

            check_duration(duration)
        return (
            CodeArtifactSource(
                domain,
                owner,
                _AS_LONG_AS_THE_ROLE if duration is None else duration,
                values.get("region"),
            ),
        )


KINDS = (EcrKind(), CodeArtifactKind())
