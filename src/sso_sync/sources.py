"""What gets pushed: a table of credential sources.

A source names the secrets it writes, fetches their values with a profile's role credentials
(and, when it needs more, that profile's AWS side), and says when each value expires. The role
credentials are the first row; a new kind of short-lived secret is a new row here, not a branch
in the push. The state file, `--min-remaining`, `watch` and `list` work from each secret's own
expiry: a target is due when any of its secrets is.

A kind of source (`SourceKind`) also declares its settings (`OptionSpec`: the command-line
option, the `sso-sync.toml` key, the type, its help) and turns them into rows; source_table.py
lists the kinds (these role credentials first, then each module of credential_kinds/), and the
CLI's source block, the config file and `doctor` iterate that table.

Shared vocabulary at the bottom: it imports nothing of ours, so `github/` can name the secrets a
set writes without depending on `aws/`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

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

    def describe(self, aws: Any) -> str:
        """What `doctor` calls its check of this row: what it fetches, and where."""
        ...

    def for_a_check(self) -> CredentialSource:
        """The row `doctor` fetches with, the value dropped at once (the shortest-lived)."""
        ...


_Row = TypeVar("_Row")


class SourceRow:
    """Defaults a row may take: `doctor` names it by its secrets and fetches it as it is."""

    def secret_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def describe(self, aws: Any) -> str:
        return ", ".join(self.secret_names())

    def for_a_check(self: _Row) -> _Row:
        return self


@dataclass(frozen=True)
class OptionSpec:
    """One setting of a kind of source, as the command line and `sso-sync.toml` spell it.

    `field` is its name in Python (the typer parameter of the source block, cli/source_options.py,
    and the key of the values a kind's `rows` gets); `flag` the option; `key` the config key.
    A `kind` of bool is a switch; `inverted` turns something off (`--no-role-credentials` is
    `role-credentials = false`). `metavar` is how a message and `--help` show its value
    ("DOMAIN"), `serves` what a setting shared by several kinds is for ("the registries"),
    `expected` how a config error describes a good value. `help`, `hidden` and `completion` (a
    function of the text typed so far, as typer's `autocompletion`) are for the typer option
    cli/source_options.py builds from this: a kind's settings are declared nowhere else."""

    field: str
    flag: str
    key: str
    kind: type = str
    metavar: str = ""
    inverted: bool = False
    serves: str = ""
    expected: str = ""
    help: str = ""
    hidden: bool = False
    completion: Callable[[str], list[str]] | None = None

    @property
    def default(self) -> Any:
        return False if self.kind is bool else None

    def to_argv(self, value: Any) -> list[str]:
        """The words that give `value` back to the option (none for the default)."""
        if value is None or value is False:
            return []
        return [self.flag] if self.kind is bool else [self.flag, str(value)]

    def from_config(self, value: Any) -> Any:
        """The option's value for the config key's (`role-credentials = false` is the switch
        `--no-role-credentials` given)."""
        return (not value) if self.inverted else value


@dataclass(frozen=True)
class Spelling:
    """How a message names a setting: as an option, or (`config`) as a key of sso-sync.toml,
    so one rule has one wording in both places."""

    config: bool = False

    def name(self, spec: OptionSpec) -> str:
        if self.config:
            return f"{spec.key} = false" if spec.inverted else spec.key
        return spec.flag

    def given(self, spec: OptionSpec) -> str:
        """The setting as someone would add it: `--codeartifact DOMAIN`, `ecr = true`."""
        if spec.kind is bool:
            if self.config:
                return f"{spec.key} = {'false' if spec.inverted else 'true'}"
            return spec.flag
        if self.config:
            return f'{spec.key} = "{spec.metavar}"'
        return f"{spec.flag} {spec.metavar}"


class SourceKind(Protocol):
    """A kind of source: its settings, and the rows they ask for (source_table.py lists them)."""

    @property
    def options(self) -> tuple[OptionSpec, ...]:
        """Every setting it reads; the first is the one that asks for it."""
        ...

    def rows(self, values: Mapping[str, Any], spell: Spelling) -> tuple[CredentialSource, ...]:
        """The rows `values` (every setting's value by `field`, the default when not given)
        ask for, none when not asked; UsageError, worded with `spell`, for a bad value."""
        ...


@dataclass(frozen=True)
class RoleCredentialsSource(SourceRow):
    """The four AWS secrets: the role credentials themselves, and their expiry."""

    key: ClassVar[str] = "role-credentials"

    def secret_names(self) -> tuple[str, ...]:
        return ROLE_SECRET_NAMES

    def fetch(self, credentials: Credentials, aws: Any) -> tuple[IssuedSecret, ...]:
        values = credentials.as_secrets()
        return tuple(IssuedSecret(n, values[n], credentials.expiration) for n in ROLE_SECRET_NAMES)


ROLE_CREDENTIALS = RoleCredentialsSource()
DEFAULT_SOURCES: tuple[CredentialSource, ...] = (ROLE_CREDENTIALS,)

NO_ROLE_CREDENTIALS = OptionSpec(
    "no_role_credentials",
    "--no-role-credentials",
    "role-credentials",
    bool,
    inverted=True,
    help="Leave out the four AWS_* secrets: push only the registry tokens (--ecr, "
    "--codeartifact), as Dependabot needs.",
)


class RoleCredentialsKind:
    """The role credentials are pushed unless `--no-role-credentials` leaves them out."""

    options: tuple[OptionSpec, ...] = (NO_ROLE_CREDENTIALS,)

    def rows(self, values: Mapping[str, Any], spell: Spelling) -> tuple[CredentialSource, ...]:
        return () if values.get(NO_ROLE_CREDENTIALS.field) else (ROLE_CREDENTIALS,)


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
