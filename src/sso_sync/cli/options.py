"""Every option that more than one command takes, declared once.

The target block (SET, --repo, --env, --org, --visibility, --selected-repo, --app, --config,
--exclude, and the GitHub App options, which say who writes to those targets)
reaches a command as one `TargetOptions` value through `@target_options`; the sign-in flags are
shared by `login` and `configure`, as AWS CLI v2 shares `LOGIN_ARGS` between `sso login` and
`configure sso`.
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
from sso_sync.cli.completion import choices, profile_names
from sso_sync.cli.context import current
from sso_sync.cli.groups import DEFAULT_TIMEOUT
from sso_sync.github.fanout import DEFAULT_CONCURRENCY
from sso_sync.github.targets import APPS, VISIBILITIES

if TYPE_CHECKING:
    from sso_sync.github.app_auth import AppSettings
    from sso_sync.github.targets import TargetSet

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_TIMEOUT"]

ProfileOption = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional on 3.10
    typer.Option(
        "--profile",
        "-p",
        metavar="NAME",
        help="AWS CLI profile (IAM Identity Center). Default: $AWS_PROFILE.",
        autocompletion=profile_names,
    ),
]
# `list` and `remove` need no AWS access: `--profile` is taken and ignored there, so a `push`
# line still works with only its verb changed.
IgnoredProfileOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--profile",
        "-p",
        metavar="NAME",
        help="Accepted and ignored (no AWS access needed), so a push line works as it is.",
        autocompletion=profile_names,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")]
NoBrowserOption = Annotated[
    bool,
    typer.Option("--no-browser", help="Print the sign-in URL instead of opening a browser."),
]
UseDeviceCodeOption = Annotated[
    bool,
    typer.Option(
        "--use-device-code",
        help="Sign in with a device code (for a browser on another device) instead of the "
        "browser flow.",
    ),
]
UseAuthCodeOption = Annotated[
    bool,
    typer.Option(
        "--use-auth-code",
        help="Use the browser flow (PKCE, callback on 127.0.0.1) even where it looks "
        "unreachable (SSH, container, no display, CI).",
    ),
]
PrefixOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--prefix",
        metavar="PREFIX",
        help="Prepended to every secret name (overrides the sets').",
    ),
]
ApiUrlOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--api-url",
        metavar="URL",
        help="GitHub API URL. Default: $GITHUB_API_URL, else https://api.github.com "
        "(GHES: https://HOST/api/v3).",
    ),
]
ConcurrencyOption = Annotated[
    int,
    typer.Option(
        "--concurrency",
        min=1,
        max=100,
        metavar="N",
        help="GitHub requests in flight at most (1-100).",
    ),
]


def _timeout_option(help_text: str) -> Any:
    return typer.Option("--timeout", min=1, metavar="SECONDS", help=help_text)


_WHOLE_COMMAND = (
    "Seconds for the whole command, every AWS and GitHub call included (a sign-in's wait for "
    "you has its own 10 minutes)"
)
TimeoutOption = Annotated[float, _timeout_option(f"{_WHOLE_COMMAND}.")]
# push, list and remove: the same deadline, and what it means for the targets.
TargetsTimeoutOption = Annotated[
    float,
    _timeout_option(
        f"{_WHOLE_COMMAND}; targets not reached by then are reported as not attempted."
    ),
]
CycleTimeoutOption = Annotated[
    float,
    _timeout_option(
        "Seconds for each cycle, every AWS and GitHub call included; targets not reached by "
        "then are reported as not attempted, and tried again next cycle."
    ),
]

GitHubTokenFileOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--github-token-file",
        metavar="FILE",
        help="Read the GitHub token from FILE (mode 0600; for scheduled jobs). Default: "
        "$SSO_SYNC_GITHUB_TOKEN_FILE, else GH_TOKEN, GITHUB_TOKEN, `gh auth token`.",
    ),
]

ExpirationVariableOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--expiration-variable",
        metavar="NAME",
        help="Also store the expiry as this plain Actions variable, readable as vars.NAME.",
    ),
]
RecordVariableOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--record-variable",
        metavar="NAME",
        help="Also write this plain Actions variable: JSON pushed_at, expires_at, version. "
        "Anyone who can read the repository's variables (and workflow logs) sees it.",
    ),
]
RecordWhoOption = Annotated[
    bool,
    typer.Option(
        "--record-who",
        help="With --record-variable: also role_arn, pushed_by (the STS session name, often "
        "an email) and host.",
    ),
]

# --- the target block --------------------------------------------------------------------

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
VisibilityOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--visibility",
        metavar="all|private|selected",
        autocompletion=choices(VISIBILITIES),
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
        autocompletion=choices(APPS),
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
        self, *, profile: str | None, prefix: str | None, confirm: bool = True
    ) -> tuple[TargetSet, ...]:
        """The sets to work on: from these options, else from the config file, which is then
        named on stderr (and a discovered one confirmed first, unless `confirm` is False, as
        for `doctor`, which only reports whether it was)."""
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
            ui.err(f"Using sets from {source}")
        return sets


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


def _with_target_block(command: F, leading: tuple[str, ...]) -> F:
    # Evaluated here: typer does not evaluate the string annotations of a given signature.
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "targets"]
    defaults = {f.name: f.default for f in fields(TargetOptions)}
    block = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name], annotation=hint
        )
        for name, hint in _TARGET_ANNOTATIONS.items()
    ]
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
