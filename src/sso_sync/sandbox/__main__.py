"""``python -m sso_sync.sandbox``: print the URLs as one JSON line, serve until SIGINT/SIGTERM.

``--with-credentials`` adds a live and an expired set of role credentials to that line (for
the action's self-test workflow, which has no other way to get some).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType
from typing import Any

from . import Sandbox, SandboxConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sso_sync.sandbox",
        description="A loopback IAM Identity Center (sso, sso-oidc, STS) and GitHub REST API for "
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
    args = parser.parse_args(argv)

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    config = SandboxConfig(role_lifetime=args.role_lifetime)
    sandbox = Sandbox(config, aws_port=args.aws_port, github_port=args.github_port).start()
    try:
        announcement = {
            "aws_url": sandbox.aws_url,
            "github_url": sandbox.github_url,
            "github_token": sandbox.github_token,
            "start_url": config.start_url,
            "region": config.region,
            "env": sandbox.env(),
        }
        if args.with_sso_token:
            announcement["sso_token"] = sandbox.mint_token(session_name="corp")
        if args.with_credentials:
            announcement.update(_live_and_expired_credentials(sandbox))
        sys.stdout.write(json.dumps(announcement) + "\n")
        sys.stdout.flush()
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stopping.wait(0.2):
            pass
    finally:
        sandbox.stop()
    return 0


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
