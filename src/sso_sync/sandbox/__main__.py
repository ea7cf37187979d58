"""``python -m sso_sync.sandbox``: print the URLs as one JSON line, serve until SIGINT/SIGTERM.

``--with-credentials`` adds a live and an expired set of role credentials to that line (for
the action's self-test workflow, which has no other way to get some). ``--env-file`` writes the
same environment as `export` lines a shell can source, and ``--app-key-file`` the sandbox GitHub
App's private key: trying sso-sync by hand (the README's "Try it by hand") needs both. Both
files are mode 0600, written before the JSON line, and removed when the sandbox stops.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from . import Sandbox, SandboxConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sso_sync.sandbox",
        description="A loopback IAM Identity Center (sso, sso-oidc, STS), ECR and CodeArtifact "
        "(their token calls) and GitHub REST API for "
        "trying sso-sync without an AWS account: prints its URLs, a GitHub token and the "
        "environment variables that point the clients at it as one JSON line on stdout, then "
        "serves until interrupted (Ctrl-C or SIGTERM).",
        epilog="Export each variable of the line's 'env' object, then run sso-sync as usual "
        "(`sso-sync demo` does all of this in one command).",
    )
    parser.add_argument(
        "--aws-port",
        type=int,
        default=0,
        metavar="PORT",
        help="port of the AWS side on 127.0.0.1 (default: any free port)",
    )
    parser.add_argument(
        "--github-port",
        type=int,
        default=0,
        metavar="PORT",
        help="port of the GitHub side on 127.0.0.1 (default: any free port)",
    )
    parser.add_argument(
        "--role-lifetime",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="how long the role credentials it issues last (default: 3600)",
    )
    parser.add_argument(
        "--ecr-lifetime",
        type=int,
        default=12 * 3600,
        metavar="SECONDS",
        help="how long the ECR passwords it issues last (default: 43200, as ECR's own)",
    )
    parser.add_argument(
        "--with-credentials",
        action="store_true",
        help="also issue role credentials (first account, first role) and add them to the JSON "
        "line: 'credentials' live, 'expired_credentials' already expired (STS says so)",
    )
    parser.add_argument(
        "--with-sso-token",
        action="store_true",
        help="also sign in (a refreshable session for the sso-session 'corp') and add the AWS "
        "CLI token cache entry to the JSON line as 'sso_token', for a client in another process",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="also write the environment as `export` lines to FILE (mode 0600; `. FILE` in a "
        "shell), removed when the sandbox stops",
    )
    parser.add_argument(
        "--app-key-file",
        type=Path,
        metavar="FILE",
        help="write the sandbox GitHub App's private key to FILE (mode 0600; its App id is in "
        "the JSON line as 'app_id'), removed when the sandbox stops",
    )
    args = parser.parse_args(argv)

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    config = SandboxConfig(role_lifetime=args.role_lifetime, ecr_token_lifetime=args.ecr_lifetime)
    sandbox = Sandbox(config, aws_port=args.aws_port, github_port=args.github_port).start()
    written: list[Path] = []
    try:
        announcement = {
            "aws_url": sandbox.aws_url,
            "github_url": sandbox.github_url,
            "github_token": sandbox.github_token,
            "start_url": config.start_url,
            "region": config.region,
            "env": sandbox.env(),
            "app_id": config.app_id,
        }
        if args.with_sso_token:
            announcement["sso_token"] = sandbox.mint_token(session_name="corp")
        if args.with_credentials:
            announcement.update(_live_and_expired_credentials(sandbox))
        written += _write_files(sandbox, args.env_file, args.app_key_file)
        sys.stdout.write(json.dumps(announcement) + "\n")
        sys.stdout.flush()
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stopping.wait(0.2):
            pass
    finally:
        sandbox.stop()
        for path in written:
            path.unlink(missing_ok=True)
    return 0


def _write_files(sandbox: Sandbox, env_file: Path | None, app_key_file: Path | None) -> list[Path]:
    """The files asked for, each written whole (0600) before anyone is told to read it."""
    from sso_sync.files import write_private_text

    written: list[Path] = []
    if env_file is not None:
        lines = [f"export {name}={shlex.quote(value)}" for name, value in sandbox.env().items()]
        write_private_text(env_file, "\n".join(lines) + "\n")
        written.append(env_file)
    if app_key_file is not None:
        write_private_text(app_key_file, sandbox.app_private_key_pem())
        written.append(app_key_file)
    return written


def _live_and_expired_credentials(sandbox: Sandbox) -> dict[str, Any]:
    dead = _issue_credentials(sandbox)
    sandbox.expire_credentials()  # every set issued so far: only `dead`
    dead["env"]["AWS_CREDENTIAL_EXPIRATION"] = _iso_z(sandbox.issued_credentials[-1]["expiration"])
    return {"expired_credentials": dead, "credentials": _issue_credentials(sandbox)}


def _iso_z(epoch_ms: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_ms / 1000))


def _issue_credentials(sandbox: Sandbox) -> dict[str, Any]:
    """Role credentials through the sandbox's own GetRoleCredentials route, as clients get them."""
    import urllib.parse
    import urllib.request

    account_id, (_name, roles) = next(iter(sandbox.config.accounts.items()))
    token = sandbox.mint_token(refreshable=False)["accessToken"]
    query = urllib.parse.urlencode({"account_id": account_id, "role_name": roles[0]})
    request = urllib.request.Request(
        f"{sandbox.aws_url}/federation/credentials?{query}",
        headers={"x-amz-sso_bearer_token": token},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        role = json.load(response)["roleCredentials"]
    expiration = _iso_z(role["expiration"])
    return {
        "account_id": account_id,
        "role_name": roles[0],
        "env": {
            "AWS_ACCESS_KEY_ID": role["accessKeyId"],
            "AWS_SECRET_ACCESS_KEY": role["secretAccessKey"],
            "AWS_SESSION_TOKEN": role["sessionToken"],
            "AWS_CREDENTIAL_EXPIRATION": expiration,
        },
    }


if __name__ == "__main__":
    sys.exit(main())
