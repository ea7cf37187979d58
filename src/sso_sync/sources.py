"""What gets pushed: a table of credential sources.

A source names the secrets it writes, fetches their values with a profile's role credentials
(and, when it needs more, that profile's AWS side), and says when each value expires. The role
credentials are the first row; a new kind of short-lived secret is a new row here, not a branch
in the push. The state file, `--min-remaining`, `watch` and `list` work from each secret's own
expiry: a target is due when any of its secrets is.

Shared vocabulary at the bottom: it imports nothing of ours, so `github/` can name the secrets a
set writes without depending on `aws/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

# The names AWS CLI v2's `configure export-credentials --format env` uses.
ROLE_SECRET_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)


@dataclass(frozen=True)
class IssuedSecret:
    """One value to push: its name without the set's prefix, and when it stops working."""

    name: str
    value: str = field(repr=False)
    expires_at: datetime


class Credentials(Protocol):
    """A profile's role credentials, as a source sees them (aws/role_credentials)."""

    @property
    def expiration(self) -> datetime: ...

    def as_secrets(self) -> dict[str, str]: ...


class CredentialSource(Protocol):
    """One row of the table. `key` names it in the state file and in `--json`."""

    @property
    def key(self) -> str: ...

    def secret_names(self) -> tuple[str, ...]: ...

    def fetch(self, credentials: Credentials, aws: Any) -> tuple[IssuedSecret, ...]:
        """The values, fetched with `credentials`; `aws` is the profile's AWS side
        (aws/session.AwsSession) for a source that calls another AWS service."""
        ...


@dataclass(frozen=True)
class RoleCredentialsSource:
    """The four AWS secrets: the role credentials themselves, and their expiry."""

    key: ClassVar[str] = "role-credentials"

    def secret_names(self) -> tuple[str, ...]:
        return ROLE_SECRET_NAMES

    def fetch(self, credentials: Credentials, aws: Any) -> tuple[IssuedSecret, ...]:
        values = credentials.as_secrets()
        return tuple(IssuedSecret(n, values[n], credentials.expiration) for n in ROLE_SECRET_NAMES)


ROLE_CREDENTIALS = RoleCredentialsSource()
DEFAULT_SOURCES: tuple[CredentialSource, ...] = (ROLE_CREDENTIALS,)


def secret_names(prefix: str, sources: tuple[CredentialSource, ...]) -> list[str]:
    """Every secret a set writes, as stored on GitHub (prefix included), in table order."""
    return [prefix + name for source in sources for name in source.secret_names()]


def source_key(source: CredentialSource, name: str) -> str:
    """A value's key among one profile's: its source (with the source's own settings) and its
    name, so two sets of one profile asking for one name from two sources (two CodeArtifact
    domains, each set with its own prefix) each get their own value."""
    return f"{source!r}:{name}"


def name_of(key: str) -> str:
    """The secret's name (unprefixed) in a `source_key`."""
    return key.rsplit(":", 1)[-1]


def fetch_all(
    sources: tuple[CredentialSource, ...], credentials: Credentials, aws: Any
) -> dict[str, IssuedSecret]:
    """Every source's values for one profile, by `source_key`."""
    issued: dict[str, IssuedSecret] = {}
    for source in sources:
        issued.update((source_key(source, s.name), s) for s in source.fetch(credentials, aws))
    return issued


def values_of(issued: Mapping[str, IssuedSecret]) -> dict[str, str]:
    return {name: secret.value for name, secret in issued.items()}
