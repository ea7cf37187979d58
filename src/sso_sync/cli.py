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
    from collections.abc import Sequence

    from sso_sync.credentials import RoleCredentials
    from sso_sync.login import DevicePrompt
    from sso_sync.profiles import SsoProfile
    from sso_sync.push import PushPlan, TargetResult
    from sso_sync.status import StatusReport

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


def _show_device_prompt(open_browser: bool) -> Callable[[DevicePrompt], None]:
    def show(prompt: DevicePrompt) -> None:
        opened = False
        if open_browser:
            import webbrowser

            opened = webbrowser.open(prompt.verification_uri_complete)
        _err(
            ("Your browser has been opened to sign in. " if opened else "")
            + f"To sign in, open {prompt.verification_uri_complete}\n"
            f"and confirm the code: {prompt.user_code}  (valid {prompt.expires_in // 60} min)"
        )

    return show


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
        from sso_sync.login import TokenCache
        from sso_sync.profiles import load_profile

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

    def login(self, open_browser: bool) -> None:
        from sso_sync import clients
        from sso_sync.login import device_login

        oidc = clients.oidc_client(self.session, self.profile.sso_region)
        with clients.aws_network_errors("IAM Identity Center", "AWS_ENDPOINT_URL_SSO_OIDC"):
            expires = device_login(
                oidc, self.profile, self.cache, show_prompt=_show_device_prompt(open_browser)
            )
        _err(
            f"Signed in for profile '{self.profile.name}'; "
            f"session valid until {expires:%Y-%m-%d %H:%M} UTC."
        )

    def role_credentials(self, *, allow_sign_in: bool) -> RoleCredentials:
        from sso_sync import clients
        from sso_sync.credentials import obtain_role_credentials

        sign_in = (lambda: self.login(open_browser=True)) if allow_sign_in else None
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
        typer.Option("--use-device-code", help="Sign in with a device code (the default for now)."),
    ] = False,
) -> None:
    """Sign in to IAM Identity Center for a profile and cache the token as the AWS CLI does."""
    del use_device_code  # device code is the only flow so far
    _Aws(profile).login(open_browser=not no_browser)


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


# --- status, configure, export ---------------------------------------------------------


def _profile_region(aws: _Aws) -> str | None:
    profiles = aws.session.full_config.get("profiles", {})
    region = profiles.get(aws.profile.name, {}).get("region")
    return str(region) if region else None


@app.command()
@_errors_to_exit_codes
def status(profile: ProfileOption = None, as_json: JsonOption = False) -> None:
    """Show whether a profile is usable: sign-in, registration, role credentials, identity.

    Never starts a sign-in; it refreshes the token silently when any AWS SDK would. Exit 0 when
    usable, 3 when a sign-in is needed.
    """
    from sso_sync import clients
    from sso_sync.errors import LoginRequired
    from sso_sync.rolecache import RoleCache
    from sso_sync.status import collect_status, sts_region

    aws = _Aws(profile)
    region = sts_region(os.environ, _profile_region(aws), aws.profile.sso_region)

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
        _out(json.dumps(report.as_dict(), indent=2))
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

    def say(self, message: str) -> None:
        _err(message)


@app.command()
@_errors_to_exit_codes
def configure(
    session_name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--session-name", help="Name of the [sso-session] section to use or create."),
    ] = None,
    start_url: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--start-url", help="IAM Identity Center start URL (AWS access portal)."),
    ] = None,
    region: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--region", help="Region of IAM Identity Center (sso_region)."),
    ] = None,
    scopes: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--scopes", help="Registration scopes, comma-separated. Default: sso:account:access."
        ),
    ] = None,
    account_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--account-id", help="Account to use; otherwise chosen from a menu."),
    ] = None,
    role_name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--role-name", help="Role to use; otherwise chosen from a menu."),
    ] = None,
    profile: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--profile", "-p", help="Profile to write. Default: ROLE-ACCOUNT."),
    ] = None,
    profile_region: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--profile-region", help="Default region of the new profile. Default: --region."
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
) -> None:
    """Create an SSO profile in ~/.aws/config, as `aws configure sso` does (flags or menus).

    With --account-id, --role-name and --profile nothing is asked. Other lines and comments of
    the file are kept; the previous version is saved as config.bak.
    """
    from sso_sync import clients
    from sso_sync.configure import ConfigureRequest, live_access_token, run_configure
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
            aws.login(open_browser=not no_browser)
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


@app.command("export")
@_errors_to_exit_codes
def export_credentials(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="env | dotenv | json | credential-process | ini (writes the credentials file).",
        ),
    ] = "env",
    profile: ProfileOption = None,
    section: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--section",
            help="With --format ini: section of the credentials file. Default: the profile name.",
        ),
    ] = None,
) -> None:
    """Print role credentials for other tools (the only command that prints credentials).

    Reuses credentials cached in ~/.aws/cli/cache with 15 minutes or more left. For use as
    `credential_process = sso-sync export --format credential-process --profile NAME`.
    """
    from sso_sync.errors import UsageError
    from sso_sync.export import FORMATS, credentials_file, render, write_credentials_section
    from sso_sync.inifile import check_name
    from sso_sync.rolecache import RoleCache, reuse_or_fetch

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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(EXIT_INTERRUPTED)
