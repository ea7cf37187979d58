"""The target block, declared once for every command that takes targets: SET, --repo, --env,
--org, --visibility, --selected-repo, --user, --app, --config, --exclude, and the GitHub App
options (who writes to those targets). It reaches a command as one `TargetOptions` value through
`@target_options`, and writes itself back out as arguments (`to_argv`) for a scheduled job.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from sso_sync.cli import ui
from sso_sync.cli.completion import choices
from sso_sync.cli.context import current

if TYPE_CHECKING:
    from sso_sync.cli.groups import Sources
    from sso_sync.github.app_auth import AppSettings
    from sso_sync.github.targets import TargetSet


# Hidden from the Arguments section, where typer would print it as `SET <str>`: the usage line
# shows [SET] and each command's docstring says what it is.
SetArgument = Annotated[
    Optional[str],  # noqa: UP045
    typer.Argument(
        metavar="SET",
        help="A set from sso-sync.toml. Without it and without target options: every set.",
        show_default=False,
        hidden=True,
    ),
]
RepoOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--repo",
        "-R",
        metavar="OWNER/NAME",
        help="Target repository (repeatable). A shell-style pattern on the name (OWNER/svc-*) "
        "means every matching, unarchived repository of OWNER.",
    ),
]
ExcludeOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--exclude",
        metavar="GLOB",
        help="Leave out repositories a pattern --repo matches whose name matches GLOB "
        "(repeatable).",
    ),
]
EnvOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--env",
        "-e",
        metavar="NAME",
        help="Environment secrets of each --repo instead of its own (repeatable).",
    ),
]
OrgOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--org", "-o", metavar="ORG", help="Target organization (repeatable)."),
]


# The choices are read from github/targets.py when the shell asks: importing it (its target
# types, and the credential sources) only to declare the options would slow every --help.
def _complete_visibility(incomplete: str) -> list[str]:
    from sso_sync.github.targets import VISIBILITIES

    return choices(VISIBILITIES)(incomplete)


def _complete_app(incomplete: str) -> list[str]:
    from sso_sync.github.targets import APPS

    return choices(APPS)(incomplete)


VisibilityOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--visibility",
        metavar="all|private|selected",
        autocompletion=_complete_visibility,
        help="Which repositories of the --org may use the secrets: all, private, selected. "
        "Default: an existing secret keeps its own; a new one is private.",
        show_default=False,
    ),
]
SelectedRepoOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--selected-repo",
        metavar="OWNER/NAME",
        help="A repository that may use the --org secrets (repeatable; implies "
        "--visibility selected), or the --user secrets.",
    ),
]
UserOption = Annotated[
    bool,
    typer.Option(
        "--user",
        "-u",
        help="Your own Codespaces secrets (as gh secret set --user); --selected-repo names "
        "the repositories whose codespaces may use them.",
    ),
]
AppOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--app",
        "-a",
        metavar="actions|dependabot|codespaces",
        autocompletion=_complete_app,
        help="Whose secrets: GitHub Actions' (default), Dependabot's or Codespaces'.",
    ),
]
ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--config",
        metavar="FILE",
        help="Config file with named sets. Default: sso-sync.toml or [tool.sso-sync] in "
        "pyproject.toml, from this directory upward.",
    ),
]

GitHubAppIdOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--github-app-id",
        metavar="ID",
        help="Authenticate as this GitHub App (short-lived installation tokens) instead of a "
        "token. Default: $SSO_SYNC_GITHUB_APP_ID, else the set's github-app-id.",
        show_default=False,
    ),
]
GitHubAppKeyOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--github-app-key",
        metavar="FILE",
        help="The GitHub App's private key (PEM, mode 0600). Default: "
        "$SSO_SYNC_GITHUB_APP_KEY_FILE.",
        show_default=False,
    ),
]
GitHubAppInstallationOption = Annotated[
    Optional[int],  # noqa: UP045
    typer.Option(
        "--github-app-installation-id",
        metavar="ID",
        min=1,
        help="The App's installation to use (targets of one owner only). Default: found per owner.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class TargetOptions:
    """The target block as given on the command line: a set name, or target options."""

    set_name: str | None = None
    repo: list[str] | None = None
    env: list[str] | None = None
    org: list[str] | None = None
    visibility: str | None = None
    selected_repo: list[str] | None = None
    app_name: str | None = None
    config: Path | None = None
    exclude: list[str] | None = None
    user: bool = False
    github_app_id: str | None = None
    github_app_key: Path | None = None
    github_app_installation_id: int | None = None

    def to_argv(self, prefix: str | None, found: Path | None = None) -> list[str]:
        """The block written back as arguments, for a scheduled job; a config file found by
        searching (`found`) is named by its absolute path, since the job runs elsewhere. The
        App's options are written by `schedule` itself, which resolves the key's path."""
        args = [self.set_name] if self.set_name else []
        for option, values in (
            ("--repo", self.repo),
            ("--env", self.env),
            ("--org", self.org),
            ("--selected-repo", self.selected_repo),
            ("--exclude", self.exclude),
        ):
            for value in values or []:
                args += [option, value]
        if self.visibility:
            args += ["--visibility", self.visibility]
        if self.user:
            args.append("--user")
        if self.app_name:
            args += ["--app", self.app_name]
        config = self.config or (found if not (self.repo or self.org or self.user) else None)
        if config is not None:
            args += ["--config", str(config.resolve())]
        if prefix is not None:
            args += ["--prefix", prefix]
        return args

    def github_app(self, sets: tuple[TargetSet, ...]) -> AppSettings | None:
        """GitHub App settings: these options, else the environment, else the sets'."""

        from sso_sync.github.app_auth import app_settings, check_app_targets

        settings = app_settings(
            app_id=self.github_app_id,
            key_file=self.github_app_key,
            installation_id=self.github_app_installation_id,
            environ=current().environ,
            sets=sets,
        )
        if settings is not None:
            check_app_targets(settings, sets)
        return settings

    def sets(
        self,
        *,
        profile: str | None,
        prefix: str | None,
        confirm: bool = True,
        sources: Sources | None = None,
    ) -> tuple[TargetSet, ...]:
        """The sets to work on: from these options, else from the config file, which is then
        named on stderr (and a discovered one confirmed first, unless `confirm` is False, as
        for `doctor`, which only reports whether it was); `sources`, when given, say what
        each set pushes."""
        from sso_sync.cli.config_confirm import confirm_discovered
        from sso_sync.sets import choose_sets

        sets = choose_sets(
            self.set_name,
            cwd=Path.cwd(),
            home=Path(current().environ.get("HOME") or Path.home()),
            confirm=confirm_discovered if confirm else None,
            repo=self.repo,
            env=self.env,
            org=self.org,
            visibility=self.visibility,
            selected_repo=self.selected_repo,
            app_name=self.app_name,
            config=self.config,
            exclude=self.exclude,
            user=self.user,
            prefix=prefix,
            profile=profile,
        )
        source = config_file_of(sets)
        if source is not None:
            ui.err(f"Using sets from {ui.one_line(source)}")
        return sets if sources is None else sources.apply(sets)


def config_file_of(sets: Sequence[TargetSet]) -> str | None:
    """The config file the sets came from, for messages and `config_file` in --json."""
    return str(sets[0].source) if sets and sets[0].source is not None else None


_TARGET_ANNOTATIONS: dict[str, Any] = {
    "set_name": SetArgument,
    "repo": RepoOption,
    "env": EnvOption,
    "org": OrgOption,
    "visibility": VisibilityOption,
    "selected_repo": SelectedRepoOption,
    "app_name": AppOption,
    "config": ConfigOption,
    "exclude": ExcludeOption,
    "user": UserOption,
    "github_app_id": GitHubAppIdOption,
    "github_app_key": GitHubAppKeyOption,
    "github_app_installation_id": GitHubAppInstallationOption,
}
assert list(_TARGET_ANNOTATIONS) == [f.name for f in fields(TargetOptions)]

F = TypeVar("F", bound=Callable[..., Any])


def target_options(command: F) -> F:
    """Give `command` the target block: typer sees the block's parameters, declared here once;
    the command receives them as one `targets: TargetOptions` argument."""
    return _with_target_block(command, ())


def target_options_after(*leading: str) -> Callable[[F], F]:
    """`target_options`, with the command's own arguments `leading` before SET on the command
    line (`schedule install [SET]`)."""
    return lambda command: _with_target_block(command, leading)


def block_parameters(annotations: dict[str, Any], group: Any) -> list[inspect.Parameter]:
    """A block of options as typer sees them: keyword-only, each with its group's default."""
    defaults = {f.name: f.default for f in fields(group)}
    return [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name], annotation=hint
        )
        for name, hint in annotations.items()
    ]


def _with_target_block(command: F, leading: tuple[str, ...]) -> F:
    # Evaluated here: typer does not evaluate the string annotations of a given signature.
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "targets"]
    block = block_parameters(_TARGET_ANNOTATIONS, TargetOptions)
    first = [p for p in own if p.name in leading]
    rest = [p for p in own if p.name not in leading]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _TARGET_ANNOTATIONS}
        return command(targets=TargetOptions(**given), **kwargs)

    annotations = {p.name: p.annotation for p in own}
    wrapper.__annotations__ = {**_TARGET_ANNOTATIONS, **annotations, "return": None}
    # Keyword-only parameters may not precede positional ones: typer only needs the order.
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in first + block + rest]
    )
    return wrapper  # type: ignore[return-value]
