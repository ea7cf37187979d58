"""`sso-sync dependabot-config`: print a dependabot.yml whose registries use the ECR and
CodeArtifact secrets sso-sync keeps fresh. It never writes or edits a file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.cli.source_options import (
    CodeArtifactOption,
    CodeArtifactOwnerOption,
    EcrOption,
    RegionOption,
)
from sso_sync.clients import command_deadline
from sso_sync.errors import UsageError

if TYPE_CHECKING:
    from sso_sync.aws.session import AwsSession


def dependabot_config(
    profile: opt.ProfileOption = None,
    ecr: EcrOption = False,
    ecr_account: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--ecr-account",
            metavar="ACCOUNT",
            help="The account whose ECR registry Dependabot pulls from. Default: the profile's.",
            show_default=False,
        ),
    ] = None,
    codeartifact: CodeArtifactOption = None,
    codeartifact_owner: CodeArtifactOwnerOption = None,
    codeartifact_repository: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--codeartifact-repository",
            metavar="NAME",
            help="The --codeartifact repository Dependabot reads packages from.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--format",
            metavar="npm|pypi|maven",
            help="The --codeartifact-repository's package format.",
            show_default=False,
        ),
    ] = None,
    region: RegionOption = None,
    prefix: opt.PrefixOption = None,
    timeout: opt.TimeoutOption = opt.DEFAULT_TIMEOUT,
) -> None:
    """Print a dependabot.yml whose `registries:` use the ECR and CodeArtifact secrets sso-sync
    pushes (ECR_PASSWORD, CODEARTIFACT_AUTH_TOKEN, after --prefix), with an `updates` entry per
    registry carrying the `registries:` line it needs.

    The ECR registry URL is made from the account and region; the CodeArtifact URL comes from
    codeartifact:GetRepositoryEndpoint (needs codeartifact:ReadFromRepository), with the
    profile's role credentials. Prints to stdout only: it never writes or edits a
    dependabot.yml; copy what you need into yours.
    """
    # Imported here: the registry tokens' module (with the role credentials and sign-in it
    # imports) is not needed to build `--help`.
    from sso_sync.aws.registry_tokens import default_region
    from sso_sync.credential_kinds.registries import CODEARTIFACT_AUTH_TOKEN, ECR_PASSWORD
    from sso_sync.github import dependabot_yml
    from sso_sync.github.targets import validate_secret_names

    if not ecr and codeartifact is None:
        raise UsageError("nothing to configure: give --ecr, --codeartifact DOMAIN, or both")
    if codeartifact is None and (codeartifact_repository or fmt or codeartifact_owner):
        raise UsageError(
            "--codeartifact-repository, --format and --codeartifact-owner need "
            "--codeartifact DOMAIN"
        )
    kinds = dependabot_yml.CODEARTIFACT_KINDS
    repository = None
    if codeartifact is not None:
        if not codeartifact_repository or fmt not in kinds:
            raise UsageError(
                "--codeartifact needs --codeartifact-repository NAME and --format "
                f"({', '.join(kinds)}): Dependabot reads one repository per registry"
            )
        repository = _Repository(codeartifact, codeartifact_owner, codeartifact_repository, fmt)
    # Checked before any request: a bad prefix costs nothing.
    ecr_secret = (prefix or "") + ECR_PASSWORD
    codeartifact_secret = (prefix or "") + CODEARTIFACT_AUTH_TOKEN
    validate_secret_names([ecr_secret] * ecr + [codeartifact_secret] * bool(repository))
    with command_deadline(timeout) as deadline:
        aws = current().aws(profile, deadline=deadline)
        where = region or default_region(current().environ, aws.session.full_config, aws.profile)
        registries = []
        if ecr:
            account = ecr_account or aws.profile.account_id
            registries.append(dependabot_yml.ecr_registry(account, where, ecr_secret))
        if repository is not None:
            endpoint = _endpoint(aws, repository, where)
            registries.append(
                dependabot_yml.codeartifact_registry(endpoint, repository.fmt, codeartifact_secret)
            )
    ui.out(dependabot_yml.render(registries).rstrip("\n"))


@dataclass(frozen=True)
class _Repository:
    domain: str
    owner: str | None
    name: str
    fmt: str


def _endpoint(aws: AwsSession, repository: _Repository, region: str) -> str:
    """GetRepositoryEndpoint with the role credentials (a sign-in here only at a terminal)."""
    from sso_sync.aws.registry_tokens import codeartifact_endpoint

    credentials = aws.role_credentials(allow_sign_in=current().interactive())
    return codeartifact_endpoint(
        aws,
        credentials,
        region,
        domain=repository.domain,
        owner=repository.owner,
        repository=repository.name,
        format=repository.fmt,
    )
