"""Every option that more than one command takes, declared once. The sign-in flags are shared
by `login` and `configure`, as AWS CLI v2 shares `LOGIN_ARGS` between `sso login` and
`configure sso`; the target block lives in `target_options`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sso_sync.cli.completion import profile_names
from sso_sync.github.fanout import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    pass

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_TIMEOUT"]

# A command's whole run, in seconds (`--timeout`). Here, with the options, not in groups.py:
# a command without the push options then builds its --help without loading the groups.
DEFAULT_TIMEOUT = 120.0

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
NotifyUrlFileOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--notify-url-file",
        metavar="FILE",
        help="A file only you can read (chmod 600) holding a webhook URL to POST notices to "
        "(sign-in needed, failures, recovery); else $SSO_SYNC_NOTIFY_URL.",
    ),
]
NotifyIssueOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--notify-issue",
        metavar="OWNER/REPO",
        help="Open (comment on, close) the hourly check's issue in this repository when "
        "something needs a person.",
    ),
]
