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
    from sso_sync.github import GitHubApi
    from sso_sync.login import DevicePrompt
    from sso_sync.push import PushPlan, TargetResult
    from sso_sync.targets import Target
    from sso_sync.verify import Checks, EnvCredentials, Verdict

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
    expiration_variable: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--expiration-variable",
            metavar="NAME",
            help="Also store the expiry as this plain Actions variable, readable as vars.NAME.",
        ),
    ] = None,
) -> None:
    """Push fresh role credentials of a profile as GitHub Actions secrets."""
    from sso_sync import clients
    from sso_sync.github import GitHubApi, resolve_api_url, resolve_token
    from sso_sync.push import apply_push, existing_secret_names, plan_push
    from sso_sync.targets import parse_repo

    targets = [parse_repo(r) for r in repo]
    plan = plan_push(targets, prefix)
    if expiration_variable:
        _check_expiration_variable(expiration_variable, targets, dry_run)
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
    variable_errors = (
        _set_expiration_variable(api, results, expiration_variable, credentials.expiration_text)
        if expiration_variable
        else []
    )
    failed = [r for r in results if not r.ok]
    if failed:
        names = ", ".join(f"{r.target.label} ({r.error or 'incomplete'})" for r in failed)
        raise OperationFailed(f"{len(failed)} of {len(results)} targets failed: {names}")
    if variable_errors:
        raise OperationFailed("; ".join(variable_errors))


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


def _check_expiration_variable(name: str, targets: list[Target], dry_run: bool) -> None:
    from sso_sync.variables import validate_variable

    validate_variable(name, targets)
    if dry_run:
        _err(f"would also set Actions variable {name} to the expiry on each target")


def _set_expiration_variable(
    api: GitHubApi, results: list[TargetResult], name: str, expiration: str
) -> list[str]:
    """Only where the secrets landed: the variable must describe the secrets next to it."""
    from sso_sync.variables import set_expiration_variable

    done = set_expiration_variable(api, [r.target for r in results if r.ok], name, expiration)
    for result in done:
        if result.error is None:
            _err(f"{result.target.label}: variable {name} {result.outcome} ({expiration})")
    return [r.error for r in done if r.error is not None]


@app.command()
@_errors_to_exit_codes
def verify(
    prefix: Annotated[
        str,
        typer.Option(
            "--prefix", help="Read PREFIX + AWS_ACCESS_KEY_ID etc., as pushed with push --prefix."
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
    from sso_sync import actions
    from sso_sync import verify as checks_module

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
        _out(json.dumps(verdict.as_dict(), indent=2))
    elif verdict.valid:
        _out(verdict.message)
    if not verdict.valid:
        raise OperationFailed(verdict.message)


def _verify_with_sts(credentials: EnvCredentials, checks: Checks, prefix: str) -> Verdict:
    from sso_sync import clients
    from sso_sync.verify import push_hint
    from sso_sync.verify import verify as verify_credentials

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
    from sso_sync import actions
    from sso_sync.verify import action_outputs, summary_rows

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


@app.command("init-workflows")
@_errors_to_exit_codes
def init_workflows(
    prefix: Annotated[
        str, typer.Option("--prefix", help="Secret/variable name prefix, as given to push.")
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

    from sso_sync.workflows import apply, default_action, find_repository_root, plan

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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(EXIT_INTERRUPTED)
