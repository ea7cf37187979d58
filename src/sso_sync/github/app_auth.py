"""GitHub App authentication: the App's key, its installations, installation tokens per owner.

As GitHub documents it ("Authenticating as a GitHub App installation"): a JWT signed with the
App's private key (RS256 with PyGithub's signer, `iss` the App id, issued 60 s back, 5 minutes'
life, dated by GitHub's clock as its answers' `Date` tells it: server_clock.py) finds the
installation of each target owner (`GET /repos/{owner}/{repo}/installation`,
`/orgs/{org}/installation`, `/users/{username}/installation`, once per owner per run) and mints
an installation token (`POST /app/installations/{id}/access_tokens`, once per installation per
run) limited to the permissions the run needs. Tokens live in memory only, never on disk or in
output. Every request, the JWT's included, goes through `GitHubApi` (pacing, retries, the run's
deadline).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sso_sync.errors import GitHubError, UsageError
from sso_sync.server_clock import skew_hint

if TYPE_CHECKING:
    from sso_sync.github.rest import GitHubApi, Response
    from sso_sync.github.targets import Target, TargetSet

APP_ID_ENV = "SSO_SYNC_GITHUB_APP_ID"
APP_KEY_ENV = "SSO_SYNC_GITHUB_APP_KEY_FILE"
KEY_MAX_BYTES = 64 * 1024
_APP_PATH = re.compile(
    r"^/(?:app(?:/.*)?|(?:repos/[^/]+/[^/]+|orgs/[^/]+|users/[^/]+)/installation)$"
)
_OWNER = re.compile(r"^/(?P<kind>repos|orgs|users)/(?P<owner>[^/?]+)(?:/(?P<repo>[^/?]+))?")

# The permission each kind of store needs (GitHub's "Permissions required for GitHub Apps").
_REPO_PERMISSION = {
    "actions": "secrets",
    "dependabot": "dependabot_secrets",
    "codespaces": "codespaces_secrets",
}
_ORG_PERMISSION = {
    "actions": "organization_secrets",
    "dependabot": "dependabot_secrets",  # "the `dependabot_secrets` organization permission"
    "codespaces": "organization_codespaces_secrets",
}


@dataclass(frozen=True)
class AppSettings:
    """Which App, its key file, and optionally its one installation; `source` for messages."""

    app_id: str
    key_file: Path
    installation_id: int | None = None
    source: str = "--github-app-id"

    def describe(self) -> str:
        return f"GitHub App {self.app_id} (key {self.key_file}, from {self.source})"


def app_settings(
    *,
    app_id: str | None,
    key_file: Path | None,
    installation_id: int | None,
    environ: Mapping[str, str],
    sets: Sequence[TargetSet] = (),
) -> AppSettings | None:
    """App settings from the options, else the environment, else the config sets; None when
    none name an App (the token sources apply)."""
    source = "--github-app-id"
    if app_id is None and environ.get(APP_ID_ENV, "").strip():
        app_id, source = environ[APP_ID_ENV].strip(), APP_ID_ENV
    if key_file is None and environ.get(APP_KEY_ENV, "").strip():
        key_file = Path(environ[APP_KEY_ENV].strip())
    if app_id is None:
        named = {(s.github_app_id, s.github_app_key) for s in sets if s.github_app_id}
        if len(named) > 1:
            raise UsageError(
                "the chosen sets name different GitHub Apps: push them in separate runs"
            )
        if named:
            app_id, config_key = named.pop()
            key_file = key_file or config_key
            source = "the config file"
    if app_id is None:
        if key_file is not None or installation_id is not None:
            raise UsageError(
                "--github-app-key and --github-app-installation-id need --github-app-id "
                f"(or {APP_ID_ENV})"
            )
        return None
    if not app_id.isdigit():
        raise UsageError(
            f"GitHub App id '{app_id}' is not a number: give the App ID shown "
            "on the App's settings page"
        )
    if key_file is None:
        raise UsageError(
            f"GitHub App {app_id} needs its private key: --github-app-key FILE (or {APP_KEY_ENV})"
        )
    return AppSettings(app_id, key_file, installation_id, source)


def load_private_key(path: Path) -> str:
    """The PEM text of a usable RSA private key; refused (exit 2) before any request when the
    file is not a regular file, is readable by group or others, or holds no PEM private key."""
    from sso_sync.files import read_private

    shown = str(path)
    data = read_private(path, "GitHub App key", KEY_MAX_BYTES)
    if not data.isascii():  # cryptography would read the PEM block and skip the rest
        raise UsageError(
            f"GitHub App key {shown} holds bytes that are not ASCII, which a .pem file never "
            "does: download the private key from the App's settings page again"
        )
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UsageError(
            f"GitHub App key {shown} is not an unencrypted PEM RSA private key: download a "
            "private key from the App's settings page (a .pem file)"
        )
    return data.decode("ascii")


def prepare_app(
    settings: AppSettings | None, permissions: Mapping[str, str] | None
) -> AppInstallations | None:
    """The run's App authorizer, its key checked now (before any request); None without App
    settings. Shared by every `GitHubApi` of a run, it mints one token per installation."""
    if settings is None:
        return None
    return AppInstallations(settings, load_private_key(settings.key_file), permissions)


def check_app_targets(settings: AppSettings, sets: Sequence[TargetSet]) -> None:
    """What App auth cannot do, refused before any request (exit 2)."""
    targets = [t for s in sets for t in s.targets]
    if any(t.kind == "user" for t in targets):
        raise UsageError(
            "--user secrets belong to a user: a GitHub App installation token cannot write "
            "them; use a token (GH_TOKEN or `gh auth login`) for --user"
        )
    owners = {t.owner.lower() for t in targets} | {
        p.owner.lower() for s in sets for p in s.patterns
    }
    if settings.installation_id is not None and len(owners) > 1:
        raise UsageError(
            "--github-app-installation-id names one installation, but the targets have "
            f"{len(owners)} owners: drop it (the installation is found per owner) or push "
            "each owner in its own run"
        )


def permissions_for(
    targets: Iterable[Target], *, write: bool, variables: bool = False
) -> dict[str, str]:
    """The installation-token permissions a run needs: only those, at only that level."""
    level = "write" if write else "read"
    needed: dict[str, str] = {"metadata": "read"}
    for target in targets:
        if target.kind == "env":
            needed["environments"] = level
        elif target.kind == "org":
            needed[_ORG_PERMISSION[target.app]] = level
        elif target.kind == "repo":
            needed[_REPO_PERMISSION[target.app]] = level
            if variables:
                needed["actions_variables"] = "write"
    return needed


def run_permissions(
    sets: Sequence[TargetSet], *, write: bool, variables: bool = False
) -> dict[str, str]:
    """`permissions_for` every target of `sets`, the ones patterns will resolve to included."""
    from sso_sync.github.targets import Target

    targets = [t for s in sets for t in s.targets]
    for s in sets:
        for p in s.patterns:
            if p.environments:
                targets.append(Target("env", p.owner, p.glob, p.environments[0]))
            else:
                targets.append(Target("repo", p.owner, p.glob, app=p.app))
    return permissions_for(targets, write=write, variables=variables)


def _owner_of(path: str) -> tuple[str, str, str | None] | None:
    m = _OWNER.match(path)
    return (m["kind"], m["owner"], m["repo"]) if m else None


@dataclass
class _Owner:
    lock: threading.Lock = field(default_factory=threading.Lock)
    installation_id: int | None = None
    granted: dict[str, str] = field(default_factory=dict)


class AppInstallations:
    """`GitHubApi`'s authorizer under App auth: the JWT for the App's own endpoints, and for
    everything else the installation token of the owner the path names."""

    installation_tokens = True

    def __init__(
        self,
        settings: AppSettings,
        private_key_pem: str,
        permissions: Mapping[str, str] | None,
    ) -> None:
        """`permissions`: what each token may do; None: read access to whatever the
        installation was granted (for `doctor`, which only reads)."""
        from github import Auth

        self.settings = settings
        self._sign = Auth.AppAuth.create_jwt_sign(private_key_pem, "RS256")
        self._permissions = None if permissions is None else dict(permissions)
        self._granted: dict[int, dict[str, str]] = {}
        self._api: GitHubApi | None = None
        self._lock = threading.Lock()
        self._owners: dict[str, _Owner] = {}
        self._tokens: dict[int, str] = {}
        self._token_locks: dict[int, threading.Lock] = {}

    def bind(self, api: GitHubApi) -> None:
        self._api = api

    def header(self, path: str, owner: str | None) -> str:
        if _APP_PATH.match(path.split("?", 1)[0]):
            return f"Bearer {self._jwt()}"
        parsed = _owner_of(path)
        name = parsed[1] if parsed else owner
        if name is None:
            raise GitHubError(f"{path}: no owner to choose a GitHub App installation for")
        return f"token {self._token(self._installation(name, path))}"

    def _jwt(self) -> str:
        """Dated by GitHub's clock: GitHub refuses a JWT issued in its future, or that lives
        more than 10 minutes by its clock."""
        clock = self._api.server_clock if self._api is not None else None
        now = int(clock.time("github") if clock is not None else time.time())
        signed = self._sign({"iat": now - 60, "exp": now + 300, "iss": str(self.settings.app_id)})
        return signed.decode("utf-8") if isinstance(signed, bytes) else signed

    def _app_request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        """A request as the App. A JWT refused for its dates is sent once more: the refusal's
        `Date` has just told how far off this machine's clock is."""
        assert self._api is not None, "bind() the GitHubApi first"
        response = self._api.request(method, path, body)
        if response.status == 401 and skew_hint(response.message) is not None:
            response = self._api.request(method, path, body)
        return response

    def granted(self, owner: str) -> dict[str, str] | None:
        """What the owner's installation was granted, once it has been looked up."""
        with self._lock:
            entry = self._owners.get(owner.lower())
        return dict(entry.granted) if entry and entry.installation_id is not None else None

    def installation_id(self, owner: str, path: str = "") -> int:
        return self._installation(owner, path)

    def _installation(self, owner: str, path: str) -> int:
        with self._lock:
            entry = self._owners.setdefault(owner.lower(), _Owner())
        with entry.lock:
            if entry.installation_id is None:
                if self.settings.installation_id is not None:
                    entry.installation_id = self.settings.installation_id
                else:
                    entry.installation_id, entry.granted = self._look_up(owner, path)
                    with self._lock:
                        self._granted[entry.installation_id] = dict(entry.granted)
            return entry.installation_id

    def _look_up(self, owner: str, path: str) -> tuple[int, dict[str, str]]:
        assert self._api is not None, "bind() the GitHubApi first"
        parsed = _owner_of(path)
        o = quote(owner, safe="")
        if parsed and parsed[0] == "repos" and parsed[2]:
            tries = [f"/repos/{o}/{quote(parsed[2], safe='')}/installation"]
        elif parsed and parsed[0] == "users":
            tries = [f"/users/{o}/installation"]
        else:
            tries = [f"/orgs/{o}/installation", f"/users/{o}/installation"]
        for attempt in tries:
            response = self._app_request("GET", attempt)
            if response.status == 404:
                continue
            self._refused(response.status, response.message, f"finding its installation on {owner}")
            if response.status != 200:
                raise GitHubError(
                    f"GitHub answered {response.status} instead of 200 while finding GitHub App "
                    f"{self.settings.app_id}'s installation on {owner}: check --api-url",
                    status=response.status,
                )
            data = response.data if isinstance(response.data, dict) else {}
            granted = data.get("permissions")
            ident = data.get("id")
            if not isinstance(ident, int):
                raise GitHubError(f"GitHub's answer for the installation on {owner} has no id")
            return ident, dict(granted) if isinstance(granted, dict) else {}
        raise GitHubError(
            f"GitHub App {self.settings.app_id} is not installed on {owner} (or cannot see "
            "the repository): install it on that account with access to the repositories",
            status=404,
        )

    def _token(self, installation_id: int) -> str:
        with self._lock:
            lock = self._token_locks.setdefault(installation_id, threading.Lock())
        with lock:
            token = self._tokens.get(installation_id)
            if token is None:
                token = self._mint(installation_id)
                self._tokens[installation_id] = token
            return token

    def _mint(self, installation_id: int) -> str:
        assert self._api is not None, "bind() the GitHubApi first"
        permissions = self._permissions
        if permissions is None:
            with self._lock:
                permissions = dict.fromkeys(self._granted.get(installation_id, {}), "read")
        response = self._app_request(
            "POST",
            f"/app/installations/{installation_id}/access_tokens",
            {"permissions": permissions} if permissions else {},
        )
        if response.status == 422:
            wanted = ", ".join(f"{k}={v}" for k, v in sorted(permissions.items()))
            raise GitHubError(
                f"GitHub refused an installation token with {wanted}: grant these permissions "
                "to the App, and accept them on the installation",
                status=422,
            )
        self._refused(response.status, response.message, "minting an installation token")
        if response.status != 201:
            # GitHub mints with 201 Created; a redirect or a 200 carrying a "token" is not a
            # token GitHub minted, whatever its body says.
            raise GitHubError(
                f"GitHub answered {response.status} instead of 201 Created while minting an "
                f"installation token for GitHub App {self.settings.app_id}: check --api-url",
                status=response.status,
            )
        token = response.data.get("token") if isinstance(response.data, dict) else None
        if not isinstance(token, str) or not token:
            raise GitHubError("GitHub's answer to the installation token request has no token")
        if not (token.isascii() and token.isprintable()) or " " in token:
            raise GitHubError(
                "GitHub's installation token holds characters no token has: check --api-url"
            )
        return token

    def _refused(self, status: int, message: str, what: str) -> None:
        clock = self._api.server_clock if self._api is not None else None
        hint = skew_hint(message, clock.offset_of("github") if clock is not None else None)
        if status == 401 and hint is not None:
            raise GitHubError(
                f"GitHub refused GitHub App {self.settings.app_id}'s JWT while {what} ({message}): "
                + hint,
                status=401,
            )
        if status == 401:
            raise GitHubError(
                f"GitHub refused GitHub App {self.settings.app_id}'s JWT while {what}: check "
                "the App id and that the key is the App's current private key (and the clock)",
                status=401,
            )
        if status >= 400:
            raise GitHubError(
                f"GitHub answered {status} while {what} for GitHub App "
                f"{self.settings.app_id}" + (f": {message}" if message else ""),
                status=status,
            )
