"""Which GitHub API URL, and which token for it: chosen by host as `gh` chooses (go-gh's
`pkg/auth`): github.com's tokens serve github.com, `*.ghe.com` and loopback only; any other
host takes the Enterprise tokens or `gh auth token --hostname HOST`."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sso_sync.errors import GitHubAuthMissing, UsageError
from sso_sync.transport import is_loopback_host, require_safe_transport

DEFAULT_API_URL = "https://api.github.com"
GH_AUTH_TOKEN_TIMEOUT = 10


def resolve_api_url(option: str | None, environ: Mapping[str, str]) -> str:
    """The API base URL without its trailing slash, checked here because PyGithub fails on a
    malformed one only later, inside a worker, with an assertion."""
    source = "--api-url" if option else "GITHUB_API_URL"
    url = (option or environ.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        # Not echoed: the part before '@' may be a token.
        raise UsageError(
            f"{source} must not carry a user name or password: give the token in GH_TOKEN"
        )
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in url)
    ):
        raise UsageError(
            f"{source} '{url}' is not an API URL: use https://api.github.com, or "
            "https://HOST/api/v3 for GitHub Enterprise Server"
        )
    require_safe_transport(url, what="the GitHub API", setting=source)
    return url


@dataclass(frozen=True)
class ResolvedToken:
    """A GitHub token and where it came from (`source` is safe to print; `value` never is)."""

    value: str = field(repr=False)
    source: str


# The hosts `gh` serves from GH_TOKEN/GITHUB_TOKEN (cli/go-gh `pkg/auth`: github.com and its
# subdomains, GHE.com data-residency tenants, github.localhost); every other host is an
# Enterprise Server and takes GH_ENTERPRISE_TOKEN/GITHUB_ENTERPRISE_TOKEN.
GITHUB_COM_TOKENS = ("GH_TOKEN", "GITHUB_TOKEN")
ENTERPRISE_TOKENS = ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")


def token_host(api_url: str) -> str:
    """The host `gh` knows the API URL's server by: `github.com` for api.github.com,
    `TENANT.ghe.com` for api.TENANT.ghe.com, and HOST (with its port when not the default) for
    an Enterprise Server's https://HOST/api/v3."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower().rstrip(".")
    if host == "github.com" or host.endswith(".github.com"):
        return "github.com"
    if host.endswith(".ghe.com"):
        # api.TENANT.ghe.com -> TENANT.ghe.com, as gh's NormalizeHostname does.
        return host[: -len(".ghe.com")].rsplit(".", 1)[-1] + ".ghe.com"
    if host.endswith(".github.localhost"):
        return "github.localhost"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    default_port = 443 if parts.scheme == "https" else 80
    return f"{host}:{port}" if port and port != default_port else host


def takes_github_com_tokens(api_url: str) -> bool:
    """GH_TOKEN/GITHUB_TOKEN go to github.com, *.ghe.com and this machine's loopback (the
    sandbox, tests, the demo) only."""
    host = token_host(api_url)
    return (
        host in ("github.com", "github.localhost")
        or host.endswith(".ghe.com")
        or is_loopback_host(urlsplit(api_url).hostname)
    )


def resolve_token(
    api_url: str,
    environ: Mapping[str, str],
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> ResolvedToken:
    """The GitHub token for the server at `api_url`, scoped by host as `gh` scopes it.

    github.com, `*.ghe.com` and loopback URLs: GH_TOKEN, then GITHUB_TOKEN. Any other host (an
    Enterprise Server): GH_ENTERPRISE_TOKEN, then GITHUB_ENTERPRISE_TOKEN. Either way, then
    `gh auth token --hostname HOST[:PORT]`. A token meant for one server is never sent to
    another. The returned `source` names where the token came from, for `-v`; whoever adds
    another way to get a token (a GitHub App) can call this as the fallback.
    """
    names = GITHUB_COM_TOKENS if takes_github_com_tokens(api_url) else ENTERPRISE_TOKENS
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return ResolvedToken(value, name)
    host = token_host(api_url)
    gh = shutil.which("gh", path=environ.get("PATH"))
    if gh:
        argv = [gh, "auth", "token", "--hostname", host]
        try:
            result = run(argv, capture_output=True, text=True, timeout=GH_AUTH_TOKEN_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            result = None
        if result is not None and result.returncode == 0 and result.stdout.strip():
            return ResolvedToken(result.stdout.strip(), f"`gh auth token --hostname {host}`")
    if names is ENTERPRISE_TOKENS:
        raise GitHubAuthMissing(
            f"no GitHub token for {host}: set GH_ENTERPRISE_TOKEN (GH_TOKEN and GITHUB_TOKEN "
            f"serve github.com only), or sign in with `gh auth login --hostname {host}`"
        )
    raise GitHubAuthMissing(
        "no GitHub token: set GH_TOKEN or GITHUB_TOKEN, or sign in with `gh auth login`"
    )
