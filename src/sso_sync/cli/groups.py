"""Option groups as data: what `push`, `watch` and `schedule` share, merged once into frozen
values that validate themselves and write themselves back out as arguments (`to_argv`), so the
command line a scheduled job runs is never typed twice (cibuildwheel's `BuildOptions`).

- `GitHubAuth`: where GitHub is and who writes (`--api-url`, `--github-token-file`; the App's
  options travel with the target block, `TargetOptions`);
- `Writing`: what a push writes beside the secrets and how (`--concurrency`, `--timeout`,
  `--expiration-variable`, `--record-variable`, `--record-who`);
- `Notifying`: who hears when something needs a person (`--notify-url-file`, `--notify-issue`).
- `Sources`: what a push writes besides (or instead of) the role credentials: the settings of
  the source kinds in source_table.py (registry tokens: `--ecr`, `--codeartifact`,
  `--codeartifact-owner`, `--codeartifact-duration`, `--region`; `--no-role-credentials`),
  validated and written back by iterating that table. `list` and `remove` take it too, to
  know those secrets' names.

A new push option a scheduled job must carry is a field here and a line in its `to_argv`;
tests/cli/test_option_groups.py fails for an option of `push` that no group carries and that is
not named as one a job sets itself.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sso_sync.cli.options import DEFAULT_TIMEOUT, ApiUrlOption, GitHubTokenFileOption
from sso_sync.errors import UsageError
from sso_sync.github.fanout import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sso_sync.github.targets import TargetSet
    from sso_sync.sources import CredentialSource


@dataclass(frozen=True)
class GitHubAuth:
    api_url: str | None = None
    token_file: Path | None = None

    def to_argv(self) -> list[str]:
        argv = ["--api-url", self.api_url] if self.api_url else []
        if self.token_file is not None:
            argv += ["--github-token-file", str(self.token_file.resolve())]
        return argv


F = TypeVar("F", bound=Callable[..., Any])

_AUTH_ANNOTATIONS: dict[str, Any] = {
    "api_url": ApiUrlOption,
    "github_token_file": GitHubTokenFileOption,
}


def github_auth_options(command: F) -> F:
    """Give `command` --api-url and --github-token-file where it declares `auth: GitHubAuth`
    (so `--help` lists them in that place); it receives them as that one value."""
    return options_in_place(command, "auth", _AUTH_ANNOTATIONS, GitHubAuth)


def options_in_place(
    command: F, name: str, annotations: dict[str, Any], build: Callable[..., Any]
) -> F:
    """typer sees the options `annotations` (each defaulting to None) where `command` declares
    its parameter `name`; the command receives `build(*values)` there, in their order."""
    signature = inspect.signature(command, eval_str=True)
    block = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hint)
        for n, hint in annotations.items()
    ]
    parameters: list[inspect.Parameter] = []
    for p in signature.parameters.values():
        parameters += block if p.name == name else [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = [kwargs.pop(n) for n in annotations]
        return command(*args, **{name: build(*values)}, **kwargs)

    wrapper.__annotations__ = {**{p.name: p.annotation for p in parameters}, "return": None}
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Writing:
    concurrency: int
    timeout: float = DEFAULT_TIMEOUT
    expiration_variable: str | None = None
    record_variable: str | None = None
    record_who: bool = False

    @property
    def variables(self) -> bool:
        """Whether a push also writes Actions variables (the App's tokens need the right)."""
        return bool(self.expiration_variable or self.record_variable)

    def validate(self, sets: Sequence[TargetSet]) -> None:
        """Before any request: variable names GitHub takes, on targets that have variables."""
        from sso_sync.github.variables import validate_variable

        targets = [t for s in sets for t in s.targets]
        for name, option in (
            (self.expiration_variable, "--expiration-variable"),
            (self.record_variable, "--record-variable"),
        ):
            if name:
                validate_variable(name, targets, option=option)
        if self.expiration_variable:
            _check_role_credentials(sets)
        if self.record_who and not self.record_variable:
            raise UsageError(
                "--record-who needs --record-variable NAME: name the variable to write"
            )

    def to_argv(self) -> list[str]:
        """The options as given; the defaults left out, so a job reads as it was asked for."""
        argv = (
            []
            if self.concurrency == DEFAULT_CONCURRENCY
            else ["--concurrency", str(self.concurrency)]
        )
        if self.timeout != DEFAULT_TIMEOUT:
            argv += ["--timeout", f"{self.timeout:g}"]
        if self.expiration_variable:
            argv += ["--expiration-variable", self.expiration_variable]
        if self.record_variable:
            argv += ["--record-variable", self.record_variable]
        if self.record_who:
            argv.append("--record-who")
        return argv


@dataclass(frozen=True)
class Notifying:
    """Who hears when something needs a person: a webhook (its URL from a 0600 file, or from
    `SSO_SYNC_NOTIFY_URL`; never on a command line, since whoever holds it can post) and a GitHub
    issue in a repository; the desktop always, where there is one."""

    url_file: Path | None = None
    issue: str | None = None  # OWNER/REPO

    def merged(self, sets: Sequence[TargetSet]) -> Notifying:
        """These options, else the first set that names each."""
        url_file = self.url_file or next(
            (s.notify_url_file for s in sets if s.notify_url_file), None
        )
        issue = self.issue or next((s.notify_issue for s in sets if s.notify_issue), None)
        return Notifying(url_file, issue)

    def validate(self, environ: Mapping[str, str]) -> str | None:
        """Before any request: the webhook URL (returned; None without one) is readable, only
        by its owner, and https:// (or loopback); the issue's repository is OWNER/REPO."""
        from sso_sync.github.targets import parse_repo
        from sso_sync.keepfresh.channels import webhook_url

        if self.issue is not None:
            parse_repo(self.issue, what="--notify-issue")
        return webhook_url(environ, self.url_file)

    def to_argv(self) -> list[str]:
        """The file's path, never the URL."""
        argv = ["--notify-url-file", str(self.url_file.resolve())] if self.url_file else []
        return argv + (["--notify-issue", self.issue] if self.issue else [])


def _check_role_credentials(sets: Sequence[TargetSet]) -> None:
    """--expiration-variable is the role credentials' expiry (AWS_CREDENTIAL_EXPIRATION's value):
    a set that pushes no role credentials has none to write."""
    from sso_sync.sources import ROLE_CREDENTIALS

    for target_set in sets:
        if ROLE_CREDENTIALS not in target_set.sources:
            where = f"set '{target_set.name}'" if target_set.name else "--no-role-credentials"
            raise UsageError(
                "--expiration-variable writes the role credentials' expiry, and "
                f"{where} pushes none: drop one of them"
            )


@dataclass(frozen=True)
class Sources:
    """What each set pushes: the settings of the source kinds (source_table.py) given on the
    command line, by field, those left at their default left out. Given, these replace a config
    set's own source settings (as --profile and --prefix beat the file's)."""

    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, **given: Any) -> Sources:
        """From the source block's parameters (each a field of a kind's `OptionSpec`)."""
        from sso_sync.source_table import defaults

        known = defaults()
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise TypeError(f"no source kind declares {', '.join(unknown)}")
        # In the table's order, so two values given in another order are equal.
        return cls(tuple((k, given[k]) for k in known if k in given and given[k] != known[k]))

    def get(self, name: str) -> Any:
        from sso_sync.source_table import defaults

        return dict(self.values).get(name, defaults()[name])

    @property
    def given(self) -> bool:
        return bool(self.values)

    def rows(self) -> tuple[CredentialSource, ...]:
        """The sources these options ask for; UsageError names the option to change."""
        from sso_sync.source_table import build
        from sso_sync.sources import Spelling

        return build(dict(self.values), Spelling())

    def validate(self) -> None:
        """Before any request (and before a set is read)."""
        if self.given:
            self.rows()

    def apply(self, sets: Sequence[TargetSet]) -> tuple[TargetSet, ...]:
        """Every set with these sources; the sets unchanged when no option was given."""
        if not self.given:
            return tuple(sets)
        rows = self.rows()
        return tuple(dataclasses.replace(s, sources=rows) for s in sets)

    def to_argv(self) -> list[str]:
        from sso_sync.source_table import options

        return [word for spec in options() for word in spec.to_argv(self.get(spec.field))]
