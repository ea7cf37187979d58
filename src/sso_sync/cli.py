"""The `sso-sync` command line: parse, build clients, call the core, print, map errors.

Nothing else in the package prints or imports typer. boto3 and PyGithub are imported only
inside the commands that need them, so `sso-sync --help` starts fast.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from sso_sync import __version__
from sso_sync.errors import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    OperationFailed,
    SsoSyncError,
)
from sso_sync.profiles import AwsPaths, is_interactive, profile_name_or_default

if TYPE_CHECKING:
    from sso_sync.credentials import RoleCredentials
    from sso_sync.login import DevicePrompt
    from sso_sync.logout import LogoutReport
    from sso_sync.push import PushPlan, TargetResult
    from sso_sync.signin import SignInResult

log = logging.getLogger("sso_sync")

EXIT_TABLE = "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items())

app = typer.Typer(
    name="sso-sync",
    help=(
        "Keep GitHub Actions supplied with fresh AWS credentials from IAM Identity Center (SSO)."
        "\n\nMain line: sso-sync push --repo OWNER/NAME --profile ci"
    ),
    epilog="Exit codes:\n\n" + "\n\n".join(f"{c}: {m}" for c, m in EXIT_CODES.items()),
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
        except OperationFailed as exc:
            _err(f"error: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except SsoSyncError as exc:
            log.debug("failure", exc_info=True)
            _err(f"error: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except typer.Exit:
            raise
        except Exception as exc:  # a bug: say so without echoing a message that may hold data
            log.debug("unexpected failure", exc_info=True)
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


def _version(value: bool) -> None:
    if value:
        _out(f"sso-sync {__version__}")
        raise typer.Exit


@app.callback()
def main_options(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More detail on stderr (-vv: debug).")
    ] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logging on stderr.")] = False,
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer needs Optional on 3.10
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Keep GitHub Actions supplied with fresh AWS credentials from IAM Identity Center."""
    level = logging.DEBUG if debug or verbose >= 2 else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


ProfileOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--profile", "-p", help="AWS CLI profile (IAM Identity Center). Default: $AWS_PROFILE."
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

    def __init__(self, profile: str | None, paths: AwsPaths | None = None) -> None:
        from sso_sync import clients
        from sso_sync.login import TokenCache
        from sso_sync.profiles import load_profile

        self.paths = paths or AwsPaths.from_environ(os.environ)
        name = profile_name_or_default(profile, os.environ)
        self.session = clients.aws_session(self.paths)
        self.profile = load_profile(self.session, name, self.paths.config_file)
        self.session.set_config_variable("profile", name)
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
        from sso_sync.signin import SignInUi, choose_flow, sign_in

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
        from sso_sync.credentials import obtain_role_credentials

        def sign_in_here() -> None:
            self.login(open_browser=True)

        sign_in = sign_in_here if allow_sign_in else None
        with clients.aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO"):
            return obtain_role_credentials(
                self.session, self.sso, self.profile, self.cache, sign_in=sign_in
            )


@app.command()
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


@app.command()
@_errors_to_exit_codes
def push(
    repo: Annotated[
        list[str],
        typer.Option("--repo", "-R", help="Target repository OWNER/NAME (repeatable)."),
    ],
    profile: ProfileOption = None,
    prefix: Annotated[str, typer.Option("--prefix", help="Prepended to every secret name.")] = "",
    api_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--api-url",
            help="GitHub API URL. Default: $GITHUB_API_URL, else https://api.github.com "
            "(GHES: https://HOST/api/v3).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be set where; write nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Push fresh role credentials of a profile as GitHub Actions secrets."""
    from sso_sync import clients
    from sso_sync.github import GitHubApi, resolve_api_url, resolve_token
    from sso_sync.push import apply_push, existing_secret_names, plan_push
    from sso_sync.targets import parse_repo

    targets = [parse_repo(r) for r in repo]
    plan = plan_push(targets, prefix)
    url = resolve_api_url(api_url, os.environ)
    token = resolve_token(os.environ, url)
    aws = _Aws(profile)
    api = GitHubApi(clients.github_requester(token, url))
    if dry_run:
        existing = {tp.target: existing_secret_names(api, tp.target) for tp in plan.targets}
        _print_plan(plan_push(targets, prefix, existing), aws.profile.name, as_json)
        return
    allow = is_interactive(os.environ, sys.stdin.isatty())
    credentials = aws.role_credentials(allow_sign_in=allow)
    results = apply_push(api, plan, credentials.as_secrets())
    _print_push(results, credentials, aws.profile.name, as_json)
    failed = [r for r in results if not r.ok]
    if failed:
        names = ", ".join(f"{r.target.label} ({r.error or 'incomplete'})" for r in failed)
        raise OperationFailed(f"{len(failed)} of {len(results)} targets failed: {names}")


def _print_plan(plan: PushPlan, profile: str, as_json: bool) -> None:
    if as_json:
        _out(
            json.dumps(
                {
                    "profile": profile,
                    "dry_run": True,
                    "targets": [
                        {
                            "target": tp.target.label,
                            "secrets": [{"name": s.name, "action": s.action} for s in tp.secrets],
                        }
                        for tp in plan.targets
                    ],
                },
                indent=2,
            )
        )
        return
    for tp in plan.targets:
        _out(f"{tp.target.label}: would " + ", ".join(f"{s.action} {s.name}" for s in tp.secrets))
    _out("dry run: nothing was written")


def _print_push(
    results: list[TargetResult], credentials: RoleCredentials, profile: str, as_json: bool
) -> None:
    if as_json:
        _out(
            json.dumps(
                {
                    "profile": profile,
                    "account_id": credentials.account_id,
                    "role_name": credentials.role_name,
                    "expiration": credentials.expiration_text,
                    "dry_run": False,
                    "ok": all(r.ok for r in results),
                    "targets": [
                        {
                            "target": r.target.label,
                            "ok": r.ok,
                            "mixed": r.mixed,
                            "error": r.error,
                            "secrets": [{"name": s.name, "outcome": s.outcome} for s in r.secrets],
                        }
                        for r in results
                    ],
                },
                indent=2,
            )
        )
        return
    for r in results:
        if r.ok:
            detail = ", ".join(f"{s.name} {s.outcome}" for s in r.secrets)
            _out(f"{r.target.label}: {detail}")
        else:
            state = "mixed, re-run" if r.mixed else "failed"
            _out(f"{r.target.label}: {state}: {r.error}")
    _out(
        f"credentials for {credentials.account_id}/{credentials.role_name} "
        f"expire at {credentials.expiration_text}"
    )


@app.command()
@_errors_to_exit_codes
def demo(
    as_json: JsonOption = False,
) -> None:
    """Run the whole flow against a local sandbox: no AWS or GitHub account needed."""
    from sso_sync.demo import run_demo

    report = run_demo(say=_err)
    if as_json:
        _out(json.dumps(report, indent=2))
    else:
        for line in report["summary"]:
            _out(line)
    if not report["ok"]:
        raise OperationFailed("the demo did not complete: see above")


@app.command()
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
    from sso_sync.errors import AwsError, UsageError
    from sso_sync.logout import EVERYTHING, logout, scope_for_profile
    from sso_sync.profiles import load_profile

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
