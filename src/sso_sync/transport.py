"""Where a token may travel: https anywhere, plain http only to this machine's loopback.

Every endpoint that receives a credential (the GitHub API, IAM Identity Center's `sso` and
`sso-oidc`, STS) is checked here before the first request, whichever setting named it
(`--api-url`, `GITHUB_API_URL`, `AWS_ENDPOINT_URL*`, a profile's `endpoint_url`, `[services]`).
Loopback means 127.0.0.0/8, ::1 and the name `localhost`, as browsers and `gh` treat them: traffic
to those never leaves the machine, which is what the sandbox, the tests and the demo use.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sso_sync.errors import UsageError


def is_loopback_host(host: str | None) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1 (brackets allowed); never for a name that only
    resolves to loopback today, since DNS answers can change."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of `url` for messages: never the user-info, path or query, which
    may carry a token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def require_safe_transport(url: str, *, what: str, setting: str) -> None:
    """Refuse `url` (UsageError, exit 2) when it would carry a token in clear over a network.

    `what` names the receiver ("the GitHub API"), `setting` where the URL came from, so the
    message can say what to change.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "https":
        return
    if scheme == "http" and is_loopback_host(parts.hostname):
        return
    if scheme == "http":
        raise UsageError(
            f"{setting} points {what} at {url_origin(url)} over plain http://, which would send "
            "a token in clear to a host that is not this machine: use https:// (plain http is "
            "allowed only to 127.0.0.1, ::1 or localhost)"
        )
    raise UsageError(f"{setting} points {what} at a {scheme or 'scheme-less'} URL: use https://")
