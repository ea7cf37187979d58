"""The `sso-sync` command line: parse, build clients, call the core, print, map errors.

Nothing else in the package prints or imports typer. boto3 and PyGithub are imported only
inside the commands that need them, so `sso-sync --help` starts fast.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from sso_sync import __version__
from sso_sync.aws.profiles import AwsPaths, is_interactive, profile_name_or_default
from sso_sync.errors import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    OperationFailed,
    SsoSyncError,
    traceback_without_messages,
)
from sso_sync.github.fanout import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    import logging
    from collections.abc import Sequence

    from sso_sync.action.verify import Checks, EnvCredentials, Verdict
    from sso_sync.aws.logout import LogoutReport
    from sso_sync.aws.profiles import SsoProfile
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.aws.signin.device_code import DevicePrompt
    from sso_sync.aws.signin.flow import SignInResult
    from sso_sync.aws.status import StatusReport
    from sso_sync.github.listing import Listing
    from sso_sync.github.push import PushPlan, TargetPlan, TargetResult
    from sso_sync.github.removal import RemoveResult
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import Target


def _log() -> logging.Logger:
    """The package's logger; `logging` is imported only once a command runs."""
    import logging

    return logging.getLogger("sso_sync")


DEFAULT_TIMEOUT = 120.0

# "\b" keeps click from re-flowing the table into one paragraph per line.
EXIT_TABLE = "\b\nExit codes:\n" + "\n".join(
    f"{code:>5}: {meaning}" for code, meaning in EXIT_CODES.items()
)

app = typer.Typer(
    name="sso-sync",
    help=(
        "Keep GitHub Actions supplied with fresh AWS credentials from IAM Identity Center (SSO)."
        "\n\nMain line: sso-sync push --repo OWNER/NAME --profile ci"
    ),
    epilog=EXIT_TABLE,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])


def _errors_to_exit_codes(command: F) -> F:
    """The one place errors become a one-line message and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SsoSyncError as exc:
            _log().debug("failure:\n%s", traceback_without_messages(exc))
            _err(f"error: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except typer.Exit:
            raise
        except Exception as exc:  # a bug: say so without echoing a message that may hold data
            _log().debug("unexpected failure:\n%s", traceback_without_messages(exc))
            if isinstance(exc, OSError) and exc.filename:
                # A file we did not expect to fail on: its name and the reason, nothing more.
                _err(f"error: cannot use {exc.filename} ({exc.strerror}): fix it, then retry")
                raise typer.Exit(EXIT_FAILED) from None
            _err(
                f"error: unexpected {type(exc).__name__}; re-run with --debug for details "
                "and report it"
            )
            raise typer.Exit(EXIT_FAILED) from None

    return wrapper  # type: ignore[return-value]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _out(message: str) -> None:
    typer.echo(message)


def _out_json(data: object) -> None:
    import json  # here, not at the top: `--help` must not pay for what only output needs

    _out(json.dumps(data, indent=2))


def _version(value: bool) -> None:
    if value:
        _out(f"sso-sync {__version__}")
        raise typer.Exit


@app.callback()
def main_options(
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="More detail on stderr (-vv: debug).",
        ),
    ] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logging on stderr.")] = False,
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer needs Optional on 3.10
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Keep GitHub Actions supplied with fresh AWS credentials from IAM Identity Center."""
    import logging

    level = logging.DEBUG if debug or verbose >= 2 else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log = _log()
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    # A failing log write (stderr closed, a broken pipe) must not print its own traceback:
    # that traceback would show the exception being handled at the time, message and all.
    logging.raiseExceptions = False


ProfileOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--profile",
        "-p",
        metavar="NAME",
        help="AWS CLI profile (IAM Identity Center). Default: $AWS_PROFILE.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object to stdout.")]


def _show_device_prompt(prompt: DevicePrompt, opened: bool) -> None:
    _err(
        ("Your browser has been opened to sign in. " if opened else "")
        + f"To sign in, open {prompt.verification_uri_complete}\n"
        f"and confirm the code: {prompt.user_code}  (valid {prompt.expires_in // 60} min)"
    )


def _show_sign_in_url(url: str, opened: bool) -> None:
    _err(
        ("Your browser has been opened to sign in. If it did not open, open" if opened else "Open")
        + f" this URL in a browser on this computer:\n\n{url}\n\n"
        "Waiting up to 10 minutes for the sign-in. On another device? "
        "Run again with --use-device-code."
    )


def _open_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)


class _Aws:
    """The AWS side of one command: config paths, botocore session, profile, token cache."""

    def __init__(
        self,
        profile: str | None,
        paths: AwsPaths | None = None,
        *,
        unsaved: SsoProfile | None = None,
    ) -> None:
        """`unsaved` is a profile not (yet) in the config file, as `configure` signs in for."""
        from sso_sync import clients
        from sso_sync.aws.profiles import load_profile
        from sso_sync.aws.token_cache import TokenCache

        self.paths = paths or AwsPaths.from_environ(os.environ)
        self.session = clients.aws_session(self.paths)
        if unsaved is None:
            name = profile_name_or_default(profile, os.environ)
            self.profile = load_profile(self.session, name, self.paths.config_file)
            self.session.set_config_variable("profile", name)
        else:
            self.profile = unsaved
        self.cache = TokenCache(self.paths.sso_cache)
        self.sso = clients.sso_client(self.session, self.profile.sso_region)

    def login(
        self,
        *,
        open_browser: bool,
        force: bool = False,
        use_device_code: bool = False,
        use_auth_code: bool = False,
    ) -> SignInResult:
        from sso_sync import clients
        from sso_sync.aws.signin.flow import SignInUi, choose_flow, sign_in

        choice = choose_flow(
            self.profile,
            use_device_code=use_device_code,
            use_auth_code=use_auth_code,
            environ=os.environ,
        )
        ui = SignInUi(
            say=_err,
            show_device_prompt=_show_device_prompt,
            show_url=_show_sign_in_url,
            open_browser=_open_browser if open_browser else None,
        )
        oidc = clients.oidc_client(self.session, self.profile.sso_region)
        with clients.aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO_OIDC"):
            result = sign_in(
                self.session, oidc, self.profile, self.cache, choice=choice, ui=ui, force=force
            )
        until = f"{result.expires_at:%Y-%m-%d %H:%M} UTC"
        if result.reused:
            _err(
                f"Already signed in for profile '{self.profile.name}' (session valid until "
                f"{until}); pass --force to sign in again."
            )
        else:
            _err(f"Signed in for profile '{self.profile.name}'; session valid until {until}.")
        return result

    def role_credentials(self, *, allow_sign_in: bool) -> RoleCredentials:
        from sso_sync import clients
        from sso_sync.aws.role_credentials import obtain_role_credentials

        def sign_in_here() -> None:
            self.login(open_browser=True)

        sign_in = sign_in_here if allow_sign_in else None
        with clients.aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO"):
            return obtain_role_credentials(
                self.session, self.sso, self.profile, self.cache, sign_in=sign_in
            )


@app.command(short_help="Sign in to IAM Identity Center and cache the token.")
@_errors_to_exit_codes
def login(
    profile: ProfileOption = None,
    no_browser: Annotated[
        bool,
        typer.Option("--no-browser", help="Print the sign-in URL instead of opening a browser."),
    ] = False,
    use_device_code: Annotated[
        bool,
        typer.Option(
            "--use-device-code",
            help="Sign in with a device code (for a browser on another device) instead of the "
            "browser flow.",
        ),
    ] = False,
    use_auth_code: Annotated[
        bool,
        typer.Option(
            "--use-auth-code",
            help="Use the browser flow (PKCE, callback on 127.0.0.1) even where it looks "
            "unreachable (SSH, container, no display, CI).",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Sign in again even if the cached session is still valid."),
    ] = False,
) -> None:
    """Sign in to IAM Identity Center for a profile and cache the token as AWS CLI v2 does.

    sso-session profiles use the browser flow with PKCE; legacy profiles, --use-device-code
    and places a browser cannot reach 127.0.0.1 use a device code. A live session is reused.
    """
    _Aws(profile).login(
        open_browser=not no_browser,
        force=force,
        use_device_code=use_device_code,
        use_auth_code=use_auth_code,
    )


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
    typer.Option("--repo", "-R", metavar="OWNER/NAME", help="Target repository (repeatable)."),
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
        help="Which repositories of the --org may use the secrets: all, private (default), "
        "selected.",
        show_default=False,
    ),
]
SelectedRepoOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--selected-repo",
        metavar="OWNER/NAME",
        help="A repository that may use the --org secrets (repeatable; implies "
        "--visibility selected).",
    ),
]
AppOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--app",
        "-a",
        metavar="actions|dependabot",
        help="Whose secrets: GitHub Actions' (default) or Dependabot's.",
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
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1,
        metavar="SECONDS",
        help="Seconds for the GitHub work; what is left then is reported as not attempted.",
    ),
]


def _github_api(api_url: str | None, timeout: float) -> GitHubApi:
    from sso_sync import clients

    return clients.github_api(api_url, os.environ, timeout)


class _Progress:
    """Rich progress on a terminal for more than one target; plain lines on stderr otherwise.
    Called from worker threads."""

    def __init__(self, total: int, verb: str) -> None:
        self._total = total
        self._done = 0
        self._lock = threading.Lock()
        self._rich: Any = None
        self._task: Any = None
        if total > 1 and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
            self._rich = Progress(console=console, transient=True)
            self._task = self._rich.add_task(verb, total=total)

    def __enter__(self) -> _Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()

    def step(self, label: str, status: str) -> None:
        with self._lock:
            self._done += 1
            if self._rich is not None:
                self._rich.update(self._task, advance=1, description=label)
            elif self._total > 1:
                _err(f"[{self._done}/{self._total}] {label}: {status}")


@app.command(short_help="Push fresh role credentials as GitHub secrets.")
@_errors_to_exit_codes
def push(
    set_name: SetArgument = None,
    repo: RepoOption = None,
    env: EnvOption = None,
    org: OrgOption = None,
    visibility: VisibilityOption = None,
    selected_repo: SelectedRepoOption = None,
    app_name: AppOption = None,
    config: ConfigOption = None,
    profile: ProfileOption = None,
    prefix: PrefixOption = None,
    api_url: ApiUrlOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be set where; write nothing.")
    ] = False,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    as_json: JsonOption = False,
    expiration_variable: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--expiration-variable",
            metavar="NAME",
            help="Also store the expiry as this plain Actions variable, readable as vars.NAME.",
        ),
    ] = None,
) -> None:
    """Push fresh role credentials of a profile as GitHub secrets (repository, environment,
    organization; Actions or Dependabot).

    SET names one set of sso-sync.toml; with neither SET nor target options, every set.
    """
    from sso_sync.github.push import (
        apply_push,
        check_sets,
        existing_for_plan,
        plan_sets,
        prefetched_keys,
        resolve_repo_ids,
    )
    from sso_sync.sets import choose_sets

    sets = choose_sets(
        set_name,
        cwd=Path.cwd(),
        repo=repo,
        env=env,
        org=org,
        visibility=visibility,
        selected_repo=selected_repo,
        app_name=app_name,
        config=config,
        prefix=prefix,
        profile=profile,
    )
    check_sets(sets)  # names and duplicates, before any network call
    if expiration_variable:
        _check_expiration_variable(
            expiration_variable, [t for s in sets for t in s.targets], dry_run
        )
    aws = {p: _Aws(p) for p in dict.fromkeys(s.profile for s in sets)}
    api = _github_api(api_url, timeout)
    try:
        repo_ids = resolve_repo_ids(api, sets, concurrency=concurrency)
        plan = plan_sets(sets, repo_ids=repo_ids)
        names = {p: a.profile.name for p, a in aws.items()}
        if dry_run:
            existing = existing_for_plan(api, plan, concurrency=concurrency)
            _print_plan(plan_sets(sets, existing, repo_ids=repo_ids), names, as_json)
            return
        allow = is_interactive(os.environ, sys.stdin.isatty())
        # The public keys arrive while IAM Identity Center issues the credentials.
        with prefetched_keys(api, plan, concurrency=concurrency) as keys:
            credentials = {p: a.role_credentials(allow_sign_in=allow) for p, a in aws.items()}
        api.start_deadline()
        with _Progress(len(plan.targets), "pushing") as progress:
            results = apply_push(
                api,
                plan,
                values_by_profile={p: c.as_secrets() for p, c in credentials.items()},
                concurrency=concurrency,
                on_result=lambda r: progress.step(r.label, r.status),
                keys=keys,
            )
    finally:
        api.close()
    _print_push(results, [(names[p], c) for p, c in credentials.items()], as_json)
    variable_errors = (
        _set_expiration_variable(api, results, expiration_variable, credentials)
        if expiration_variable
        else []
    )
    failed = [r for r in results if not r.ok]
    if failed:
        listed = ", ".join(f"{r.label} ({r.status})" for r in failed)
        raise OperationFailed(f"{len(failed)} of {len(results)} targets failed: {listed}")
    if variable_errors:
        raise OperationFailed("; ".join(variable_errors))


def _plan_entry(tp: TargetPlan) -> dict[str, Any]:
    entry: dict[str, Any] = {"target": tp.target.label, "set": tp.set_name}
    if tp.visibility is not None:
        entry["visibility"] = tp.visibility
    if tp.visibility == "selected":
        entry["selected_repository_ids"] = list(tp.selected_repository_ids)
    return entry


def _print_plan(plan: PushPlan, profiles: dict[str | None, str], as_json: bool) -> None:
    if as_json:
        only = list(profiles.values())
        _out_json(
            {
                "profile": only[0] if len(only) == 1 else None,
                "dry_run": True,
                "targets": [
                    {
                        **_plan_entry(tp),
                        "profile": profiles[tp.profile],
                        "secrets": [{"name": s.name, "action": s.action} for s in tp.secrets],
                    }
                    for tp in plan.targets
                ],
            }
        )
        return
    for tp in plan.targets:
        extra = ""
        if tp.visibility is not None:
            extra = f" (visibility {tp.visibility}"
            if tp.visibility == "selected":
                extra += ", repository ids " + ", ".join(map(str, tp.selected_repository_ids))
            extra += ")"
        _out(
            f"{tp.label}: would "
            + ", ".join(f"{s.action} {s.name}" for s in tp.secrets)
            + extra
            + f" from profile {profiles[tp.profile]}"
        )
    _out("dry run: nothing was written")


def _print_push(
    results: list[TargetResult], credentials: list[tuple[str, RoleCredentials]], as_json: bool
) -> None:
    if as_json:
        single = credentials[0] if len(credentials) == 1 else None
        _out_json(
            {
                "profile": single[0] if single else None,
                "account_id": single[1].account_id if single else None,
                "role_name": single[1].role_name if single else None,
                "expiration": single[1].expiration_text if single else None,
                "credentials": [
                    {
                        "profile": name,
                        "account_id": c.account_id,
                        "role_name": c.role_name,
                        "expiration": c.expiration_text,
                    }
                    for name, c in credentials
                ],
                "dry_run": False,
                "ok": all(r.ok for r in results),
                "targets": [
                    {
                        "target": r.target.label,
                        "set": r.set_name,
                        "ok": r.ok,
                        "mixed": r.mixed,
                        "error": r.error,
                        "secrets": [{"name": s.name, "outcome": s.outcome} for s in r.secrets],
                    }
                    for r in results
                ],
            }
        )
        return
    for r in results:
        if r.ok:
            detail = ", ".join(f"{s.name} {s.outcome}" for s in r.secrets)
            _out(f"{r.label}: {detail}")
        else:
            _out(f"{r.label}: {r.status}: {r.error}")
    for _name, c in credentials:
        _out(f"credentials for {c.account_id}/{c.role_name} expire at {c.expiration_text}")


@app.command(short_help="Run the whole flow against a local sandbox.")
@_errors_to_exit_codes
def demo(
    as_json: JsonOption = False,
) -> None:
    """Run the whole flow against a local sandbox: no AWS or GitHub account needed."""
    from sso_sync.demo import run_demo

    report = run_demo(say=_err)
    if as_json:
        _out_json(report)
    else:
        for line in report["summary"]:
            _out(line)
    if not report["ok"]:
        raise OperationFailed("the demo did not complete: see above")


@app.command("list", short_help="List the secrets sso-sync manages on each target.")
@_errors_to_exit_codes
def list_secrets(
    set_name: SetArgument = None,
    repo: RepoOption = None,
    env: EnvOption = None,
    org: OrgOption = None,
    visibility: VisibilityOption = None,
    selected_repo: SelectedRepoOption = None,
    app_name: AppOption = None,
    config: ConfigOption = None,
    prefix: PrefixOption = None,
    api_url: ApiUrlOption = None,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    as_json: JsonOption = False,
) -> None:
    """List the secrets sso-sync manages on each target (with the prefix), and when each was
    last updated. Values are never readable.

    SET names one set of sso-sync.toml; with neither SET nor target options, every set.
    """
    from sso_sync.github.listing import list_managed
    from sso_sync.sets import choose_sets

    sets = choose_sets(
        set_name,
        cwd=Path.cwd(),
        repo=repo,
        env=env,
        org=org,
        visibility=visibility,
        selected_repo=selected_repo,
        app_name=app_name,
        config=config,
        prefix=prefix,
        profile=None,
    )
    api = _github_api(api_url, timeout)
    try:
        total = sum(len(set(s.targets)) for s in sets)
        with _Progress(total, "listing") as progress:
            listings = list_managed(
                api,
                sets,
                concurrency=concurrency,
                on_done=lambda li: progress.step(li.label, "failed" if li.error else "ok"),
            )
    finally:
        api.close()
    if as_json:
        _out_json(
            {
                "ok": all(li.error is None for li in listings),
                "targets": [_listing_json(li) for li in listings],
            }
        )
    else:
        for li in listings:
            if li.error:
                _out(f"{li.label}: failed: {li.error}")
            elif not li.secrets:
                _out(
                    f"{li.label}: no managed secrets"
                    + (f" with prefix {li.prefix}" if li.prefix else "")
                )
            for secret in li.secrets:
                _out(f"{li.label}\t{secret.name}\t{secret.updated_at or '-'}")
    _fail_if_listing_failed(listings)


def _listing_json(li: Listing) -> dict[str, Any]:
    return {
        "target": li.target.label,
        "set": li.set_name,
        "prefix": li.prefix,
        "error": li.error,
        "secrets": [
            {"name": s.name, "updated_at": s.updated_at}
            | ({"visibility": s.visibility} if s.visibility else {})
            for s in li.secrets
        ],
    }


def _fail_if_listing_failed(listings: list[Listing]) -> None:
    failed = [li for li in listings if li.error]
    if failed:
        names = ", ".join(li.label for li in failed)
        raise OperationFailed(f"{len(failed)} of {len(listings)} targets failed: {names}")


@app.command(short_help="Delete the secrets sso-sync manages from each target.")
@_errors_to_exit_codes
def remove(
    set_name: SetArgument = None,
    repo: RepoOption = None,
    env: EnvOption = None,
    org: OrgOption = None,
    visibility: VisibilityOption = None,
    selected_repo: SelectedRepoOption = None,
    app_name: AppOption = None,
    config: ConfigOption = None,
    prefix: PrefixOption = None,
    api_url: ApiUrlOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Delete without asking for confirmation.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be deleted; delete nothing.")
    ] = False,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    as_json: JsonOption = False,
) -> None:
    """Delete the secrets sso-sync manages (the four credential names with the prefix) from
    each target. Asks first unless --yes.

    SET names one set of sso-sync.toml; with neither SET nor target options, every set.
    """
    from sso_sync.errors import UsageError
    from sso_sync.github.listing import list_managed
    from sso_sync.github.removal import apply_remove, plan_remove
    from sso_sync.sets import choose_sets

    sets = choose_sets(
        set_name,
        cwd=Path.cwd(),
        repo=repo,
        env=env,
        org=org,
        visibility=visibility,
        selected_repo=selected_repo,
        app_name=app_name,
        config=config,
        prefix=prefix,
        profile=None,
    )
    api = _github_api(api_url, timeout)
    try:
        listings = list_managed(api, sets, concurrency=concurrency)
        plan = plan_remove([li for li in listings if li.error is None])
        todo = [(li, names) for li, names in plan.targets if names]
        if dry_run or not todo:
            for li, names in todo:
                _err(f"{li.label}: would delete {', '.join(names)}")
            _err("dry run: nothing was deleted" if dry_run else "nothing to remove")
            if as_json:
                _out_json(
                    {
                        "dry_run": dry_run,
                        "targets": [
                            {**_listing_json(li), "delete": list(names)}
                            for li, names in plan.targets
                        ],
                    }
                )
            _fail_if_listing_failed(listings)
            return
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"refusing to delete {plan.count} secrets without confirmation and there "
                    "is no terminal to ask: re-run with --yes (see --dry-run first)"
                )
            for li, names in todo:
                _err(f"{li.label}: {', '.join(names)}")
            if not _TerminalPrompter().confirm(
                f"Delete {plan.count} secrets from {len(todo)} targets?"
            ):
                _err("nothing deleted")
                return
        api.start_deadline()
        with _Progress(len(plan.targets), "removing") as progress:
            results = apply_remove(
                api,
                plan,
                concurrency=concurrency,
                on_done=lambda r: progress.step(r.listing.label, r.status),
            )
    finally:
        api.close()
    _print_remove(results, as_json)
    failed = [r for r in results if not r.ok]
    failed_listings = [li for li in listings if li.error]
    if failed or failed_listings:
        named = ", ".join(
            [f"{r.listing.label} ({r.status})" for r in failed]
            + [f"{li.label} (failed)" for li in failed_listings]
        )
        total = len(listings)
        raise OperationFailed(
            f"{len(failed) + len(failed_listings)} of {total} targets failed: {named}"
        )


def _print_remove(results: list[RemoveResult], as_json: bool) -> None:
    if as_json:
        _out_json(
            {
                "dry_run": False,
                "ok": all(r.ok for r in results),
                "targets": [
                    {
                        "target": r.listing.target.label,
                        "set": r.listing.set_name,
                        "ok": r.ok,
                        "mixed": r.mixed,
                        "error": r.error,
                        "secrets": [{"name": n, "outcome": o} for n, o in r.outcomes],
                    }
                    for r in results
                ],
            }
        )
        return
    for r in results:
        if r.ok:
            detail = ", ".join(f"{n} {o}" for n, o in r.outcomes) or "nothing to delete"
            _out(f"{r.listing.label}: {detail}")
        else:
            _out(f"{r.listing.label}: {r.status}: {r.error}")


# --- status, configure, export ---------------------------------------------------------


@app.command(short_help="Show whether a profile is usable, and for how long.")
@_errors_to_exit_codes
def status(profile: ProfileOption = None, as_json: JsonOption = False) -> None:
    """Show whether a profile is usable: sign-in, registration, role credentials, identity.

    Never starts a sign-in; it refreshes the token silently when any AWS SDK would. Exit 0 when
    usable, 3 when a sign-in is needed.
    """
    from sso_sync import clients
    from sso_sync.aws.profiles import profile_region
    from sso_sync.aws.role_cache import RoleCache
    from sso_sync.aws.status import collect_status, sts_region
    from sso_sync.errors import LoginRequired

    aws = _Aws(profile)
    own_region = profile_region(aws.session.full_config, aws.profile.name)
    region = sts_region(os.environ, own_region, aws.profile.sso_region)

    def sts_for(credentials: RoleCredentials) -> Any:
        return clients.sts_client(
            aws.session,
            region,
            access_key_id=credentials.access_key_id,
            secret_access_key=credentials.secret_access_key,
            session_token=credentials.session_token,
        )

    with clients.aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO"):
        report = collect_status(
            session=aws.session,
            profile=aws.profile,
            cache=aws.cache,
            role_cache=RoleCache(aws.paths.cli_cache),
            sso=aws.sso,
            sts_for=sts_for,
            region=region,
        )
    if as_json:
        _out_json(report.as_dict())
    else:
        _print_status(report)
    if report.sign_in_needed:
        raise LoginRequired(
            f"profile '{report.profile}' needs a sign-in: run `{aws.profile.login_hint}`"
        )
    if not report.usable:
        raise OperationFailed(f"profile '{report.profile}' is not usable: see above")


def _print_status(report: StatusReport) -> None:
    s, reg = report.sso_session, report.registration
    role, who = report.role_credentials, report.caller_identity
    session_label = f"[sso-session {s.session_name}]" if s.session_name else "legacy profile"
    _out(f"profile {report.profile}: {'usable' if report.usable else 'NOT usable'}")
    _out(f"  sign-in       {session_label} {s.start_url} ({s.region})")
    _out(f"                {s.verdict}")
    _out(f"  registration  {reg.verdict}")
    _out(f"  role          {role.account_id}/{role.role_name}: {role.verdict}")
    _out(f"  identity      {who.arn or '-'}: {who.verdict}")


class _TerminalPrompter:
    """`configure`'s questions on stderr, answers read from stdin (a terminal or a script).

    Not click's prompt: it writes a space to stdout per question, and stdout carries the result.
    """

    def _ask(self, label: str, default: str | None, missing: str) -> str:
        from sso_sync.errors import UsageError

        while True:
            sys.stderr.write(f"{label} [{default}]: " if default else f"{label}: ")
            sys.stderr.flush()
            line = sys.stdin.readline()
            if not line:  # end of input: a script ran out of answers
                sys.stderr.write("\n")
                raise UsageError(missing)
            answer = line.strip()
            if answer or default is not None:
                return answer or str(default)

    def text(self, label: str, default: str | None) -> str:
        return self._ask(label, default, f"no answer for {label}: pass it as a flag")

    def choose(self, label: str, options: Sequence[str]) -> int:
        for number, option in enumerate(options, 1):
            _err(f"  {number:>3}. {option}")
        while True:
            text = self._ask(
                f"Choose the {label} [1-{len(options)}]",
                None,
                f"no {label} chosen: pass it as a flag",
            )
            if text.isdigit() and 1 <= int(text) <= len(options):
                return int(text) - 1
            _err(f"Enter a number from 1 to {len(options)}.")

    def confirm(self, question: str) -> bool:
        """Yes only for y/yes. Unlike click's confirm, Ctrl-C stays a KeyboardInterrupt
        (exit 130) and end of input means no."""
        sys.stderr.write(f"{question} [y/N]: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            sys.stderr.write("\n")
        return line.strip().lower() in ("y", "yes")

    def say(self, message: str) -> None:
        _err(message)


@app.command(short_help="Create an SSO profile in ~/.aws/config.")
@_errors_to_exit_codes
def configure(
    session_name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--session-name",
            metavar="NAME",
            help="Name of the [sso-session] section to use or create.",
        ),
    ] = None,
    start_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--start-url", metavar="URL", help="IAM Identity Center start URL (AWS access portal)."
        ),
    ] = None,
    region: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--region", metavar="REGION", help="Region of IAM Identity Center (sso_region)."
        ),
    ] = None,
    scopes: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--scopes",
            metavar="SCOPES",
            help="Registration scopes, comma-separated. Default: sso:account:access.",
        ),
    ] = None,
    account_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--account-id", metavar="ID", help="Account to use; otherwise chosen from a menu."
        ),
    ] = None,
    role_name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--role-name", metavar="NAME", help="Role to use; otherwise chosen from a menu."
        ),
    ] = None,
    profile: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--profile", "-p", metavar="NAME", help="Profile to write. Default: ROLE-ACCOUNT."
        ),
    ] = None,
    profile_region: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--profile-region",
            metavar="REGION",
            help="Default region of the new profile. Default: --region.",
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace an existing profile or sso-session's settings."),
    ] = False,
    no_browser: Annotated[
        bool,
        typer.Option("--no-browser", help="Print the sign-in URL instead of opening a browser."),
    ] = False,
    use_device_code: Annotated[
        bool,
        typer.Option(
            "--use-device-code", help="Sign in with a device code instead of the browser flow."
        ),
    ] = False,
) -> None:
    """Create an SSO profile in ~/.aws/config, as `aws configure sso` does (flags or menus).

    With --account-id, --role-name and --profile nothing is asked. Other lines and comments of
    the file are kept; the previous version is saved as config.bak.
    """
    from sso_sync import clients
    from sso_sync.aws.configure import ConfigureRequest, live_access_token, run_configure
    from sso_sync.errors import LoginRequired, UsageError

    paths = AwsPaths.from_environ(os.environ)
    request = ConfigureRequest(
        session_name=session_name,
        start_url=start_url,
        region=region,
        scopes=scopes,
        account_id=account_id,
        role_name=role_name,
        profile=profile,
        profile_region=profile_region,
        overwrite=overwrite,
    )
    prompter = _TerminalPrompter()
    if os.environ.get("CI") and not request.non_interactive:
        raise UsageError(
            "configure needs --account-id, --role-name and --profile when CI is set "
            "(nothing can be asked)"
        )

    def access_token(sso_profile: SsoProfile) -> str:
        aws = _Aws(None, paths, unsaved=sso_profile)
        token = live_access_token(aws.cache, sso_profile)
        if token is None:
            aws.login(open_browser=not no_browser, use_device_code=use_device_code)
            token = live_access_token(aws.cache, sso_profile)
        if token is None:
            raise LoginRequired("the sign-in produced no usable token: run configure again")
        return token

    def sso(sso_region: str) -> Any:
        return clients.sso_client(clients.aws_session(paths), sso_region)

    with clients.aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO"):
        result = run_configure(
            request,
            config_file=paths.config_file,
            sso=sso,
            access_token=access_token,
            prompter=prompter,
        )
    p = result.profile
    if not result.changed:
        _err(f"{result.config_file} already has profile '{p.name}' exactly so: nothing written")
    else:
        saved = f" (previous version in {result.backup})" if result.backup else ""
        _err(
            f"wrote [profile {p.name}] and [sso-session {p.session_name}] to "
            f"{result.config_file}{saved}"
        )
    _out(p.name)
    _err(f"try: sso-sync status --profile {p.name}")


@app.command("export", short_help="Print role credentials for other tools.")
@_errors_to_exit_codes
def export_credentials(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="env | dotenv | json | credential-process | ini (writes the credentials file).",
        ),
    ] = "env",
    profile: ProfileOption = None,
    section: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--section",
            metavar="NAME",
            help="With --format ini: section of the credentials file. Default: the profile name.",
        ),
    ] = None,
) -> None:
    """Print role credentials for other tools (the only command that prints credentials).

    Reuses credentials cached in ~/.aws/cli/cache with 15 minutes or more left. For use as
    `credential_process = sso-sync export --format credential-process --profile NAME`.
    """
    from sso_sync.aws.export import FORMATS, credentials_file, render, write_credentials_section
    from sso_sync.aws.inifile import check_name
    from sso_sync.aws.role_cache import RoleCache, reuse_or_fetch
    from sso_sync.errors import UsageError

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}: use one of {', '.join(FORMATS)}")
    if section is not None and fmt != "ini":
        raise UsageError("--section goes with --format ini only")
    aws = _Aws(profile)
    target = check_name("section", "--section", section or aws.profile.name)
    # An SDK runs credential_process without a person watching: never start a sign-in there.
    allow = fmt != "credential-process" and is_interactive(os.environ, sys.stdin.isatty())
    credentials, _ = reuse_or_fetch(
        RoleCache(aws.paths.cli_cache),
        aws.profile,
        lambda: aws.role_credentials(allow_sign_in=allow),
    )
    if fmt == "ini":
        path = credentials_file(os.environ)
        write_credentials_section(path, target, credentials)
        _err(f"wrote [{target}] in {path}; the credentials expire at {credentials.expiration_text}")
        return
    sys.stdout.write(render(credentials, fmt))
    sys.stdout.flush()


def _check_expiration_variable(name: str, targets: list[Target], dry_run: bool) -> None:
    from sso_sync.github.variables import validate_variable

    validate_variable(name, targets)
    if dry_run:
        _err(f"would also set Actions variable {name} to the expiry on each target")


def _set_expiration_variable(
    api: GitHubApi,
    results: list[TargetResult],
    name: str,
    credentials: dict[str | None, RoleCredentials],
) -> list[str]:
    from sso_sync.github.variables import set_expiration_variables

    expirations = {profile: c.expiration_text for profile, c in credentials.items()}
    errors = []
    for result in set_expiration_variables(api, results, name, expirations):
        if result.error is None:
            _err(f"{result.target.label}: variable {name} {result.outcome} ({result.value})")
        else:
            errors.append(result.error)
    return errors


@app.command(short_help="Check the AWS credentials in the environment with STS.")
@_errors_to_exit_codes
def verify(
    prefix: Annotated[
        str,
        typer.Option(
            "--prefix",
            metavar="PREFIX",
            help="Read PREFIX + AWS_ACCESS_KEY_ID etc., as pushed with push --prefix.",
        ),
    ] = "",
    expected_account: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--expected-account",
            metavar="ID",
            help="Fail unless the credentials belong to this account (repeatable).",
        ),
    ] = None,
    expected_role: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--expected-role",
            metavar="GLOB",
            help="Fail unless the caller's ARN matches, e.g. '*AWSReservedSSO_Deployer_*'.",
        ),
    ] = None,
    min_remaining: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--min-remaining",
            metavar="DURATION",
            help="Fail if less lifetime is left (30m, 2h, 1h30m); needs AWS_CREDENTIAL_EXPIRATION.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check the AWS credentials in the environment with STS: alive, right account and role,
    enough lifetime left. Exit 0 valid, 1 not. In GitHub Actions: masks, outputs, summary."""
    from sso_sync.action import runner as actions
    from sso_sync.action import verify as checks_module

    environ = os.environ
    in_actions = actions.in_github_actions(environ)
    if in_actions:
        # Before anything else is printed, so no later line of this job can show them.
        for line in actions.mask_commands(checks_module.secret_values_in(environ, prefix)):
            _err(line)
    try:
        credentials = checks_module.read_credentials(environ, prefix)
        checks = checks_module.make_checks(expected_account or [], expected_role, min_remaining)
        checks_module.require_inputs(credentials, checks)
        verdict = _verify_with_sts(credentials, checks, prefix)
    except SsoSyncError as exc:
        if in_actions:
            _report_to_actions(str(exc), None, None)
        raise
    if in_actions:
        _report_to_actions(verdict.message, verdict, checks)
    if as_json:
        _out_json(verdict.as_dict())
    elif verdict.valid:
        _out(verdict.message)
    if not verdict.valid:
        raise OperationFailed(verdict.message)


def _verify_with_sts(credentials: EnvCredentials, checks: Checks, prefix: str) -> Verdict:
    from sso_sync import clients
    from sso_sync.action.verify import push_hint
    from sso_sync.action.verify import verify as verify_credentials

    session = clients.aws_session(AwsPaths.from_environ(os.environ))
    # botocore reads AWS_DEFAULT_REGION only; credentials.region already honours AWS_REGION.
    sts = clients.sts_client(
        session,
        credentials.region,
        access_key_id=credentials.access_key_id,
        secret_access_key=credentials.secret_access_key,
        session_token=credentials.session_token,
    )
    return verify_credentials(sts, credentials, checks, push_command=push_hint(os.environ, prefix))


def _report_to_actions(message: str, verdict: Verdict | None, checks: Checks | None) -> None:
    from sso_sync.action import runner as actions
    from sso_sync.action.verify import action_outputs, summary_rows

    if verdict is None or checks is None:
        outputs = {"valid": "false", "message": message}
        rows = [("verdict", "NOT checked"), ("what to do", message)]
    else:
        outputs, rows = action_outputs(verdict), summary_rows(verdict, checks)
    actions.append_to_file(os.environ, "GITHUB_OUTPUT", actions.output_block(outputs))
    actions.append_to_file(
        os.environ, "GITHUB_STEP_SUMMARY", actions.markdown_table("AWS credentials", rows)
    )
    if verdict is None or not verdict.valid:
        _err(actions.error_command(message, "AWS credentials"))


@app.command("init-workflows", short_help="Write the credentials-check and deploy workflows.")
@_errors_to_exit_codes
def init_workflows(
    prefix: Annotated[
        str,
        typer.Option(
            "--prefix", metavar="PREFIX", help="Secret/variable name prefix, as given to push."
        ),
    ] = "",
    env: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--env",
            metavar="NAME",
            help="GitHub environment whose secrets the jobs read (environment: NAME).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite workflow files that already exist.")
    ] = False,
    action: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--action",
            metavar="OWNER/REPO@SHA",
            help="The verify action to use, pinned by commit. Default: this release's.",
        ),
    ] = None,
) -> None:
    """Write the hourly credentials check and the verify-then-deploy workflow into this
    repository's .github/workflows/."""
    from pathlib import Path

    from sso_sync.action.workflows import apply, default_action, find_repository_root, plan

    root = find_repository_root(Path.cwd())
    planned = plan(root, prefix=prefix, environment=env, action=action or default_action())
    apply(planned, root, force=force)
    for item in planned:
        _out(f"{'overwrote' if item.exists else 'wrote'} {item.path.relative_to(root)}")
    if action is None and default_action().endswith("@" + "0" * 40):
        _err(
            "note: no release commit is known for the action yet: edit `uses:` or pass "
            "--action OWNER/REPO@SHA"
        )
    _err(
        "next: `sso-sync push --repo OWNER/NAME --profile PROFILE --expiration-variable "
        f"{prefix}AWS_CREDENTIAL_EXPIRATION"
        + (f" --prefix {prefix}" if prefix else "")
        + "`"
        + (f" (into environment {env})" if env else "")
        + ", then commit the workflows"
    )


@app.command(short_help="Sign out of IAM Identity Center, as `aws sso logout` does.")
@_errors_to_exit_codes
def logout(
    profile: ProfileOption = None,
    all_sessions: Annotated[
        bool,
        typer.Option("--all", help="Sign out of every cached IAM Identity Center session."),
    ] = False,
) -> None:
    """Sign out as `aws sso logout` does: revoke the session, delete its cached token and the
    role credentials cached from it. Client registrations stay."""
    from sso_sync import clients
    from sso_sync.aws.logout import EVERYTHING, logout, scope_for_profile
    from sso_sync.aws.profiles import load_profile
    from sso_sync.errors import AwsError, UsageError

    paths = AwsPaths.from_environ(os.environ)
    if all_sessions:
        if profile:
            raise UsageError("--all and --profile exclude each other: pass one")
        session = clients.aws_session(paths)
        scope = EVERYTHING
        what = "any profile"
    else:
        if not (profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")):
            raise UsageError(
                "say which session to end: --profile NAME (or set AWS_PROFILE), or --all"
            )
        name = profile_name_or_default(profile, os.environ)
        session = clients.aws_session(paths, name)
        sso_profile = load_profile(session, name, paths.config_file)
        scope = scope_for_profile(session.full_config, sso_profile)
        what = f"profile '{name}'"
    report = logout(
        lambda region: clients.sso_client(session, region),
        paths.sso_cache,
        paths.cli_cache,
        scope,
    )
    _print_logout(report, what)
    if report.unreachable:
        raise AwsError(
            "could not tell IAM Identity Center to end the session for "
            + ", ".join(report.unreachable)
            + " (network): the local copies are deleted, but the session stays valid on the "
            "server until it expires"
        )


def _print_logout(report: LogoutReport, what: str) -> None:
    if not report.removed_tokens and not report.removed_role_credentials:
        _err(f"No cached IAM Identity Center session for {what}: nothing to do.")
        return
    for url in report.revoked:
        _err(f"Signed out of {url}.")
    for url in report.already_ended:
        _err(f"Signed out of {url} (the session had already ended).")
    if report.removed_role_credentials:
        _err(f"Deleted {len(report.removed_role_credentials)} cached role credential file(s).")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(EXIT_INTERRUPTED)
