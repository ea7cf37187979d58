"""GitHub App authentication in the fake GitHub: the App's JWT, installations, installation tokens.

As GitHub documents it ("Generating a JSON Web Token (JWT) for a GitHub App"; "Authenticating as
a GitHub App installation"): the JWT is RS256, signed with the App's private key, `iss` the App
id, `iat` not in the future (60 s of clock drift allowed), `exp` at most 10 minutes on. It
reaches only `/app/...` and the installation look-ups (`GET /repos/{owner}/{repo}/installation`,
`/orgs/{org}/installation`, `/users/{username}/installation`). `POST
/app/installations/{id}/access_tokens` mints an installation token (an hour by default) with the
permissions asked for, each at most what the installation was granted (422 otherwise). The token
reaches only its installation's account, and answers 403 with `X-Accepted-GitHub-Permissions`
where it lacks a permission, as GitHub does ("Resource not accessible by integration").
"""

from __future__ import annotations

import re
import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

JWT_MAX_LIFETIME = 600
CLOCK_DRIFT = 60
_ALNUM = string.ascii_letters + string.digits
_LOOKUP = re.compile(
    r"^/(?:repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)|orgs/(?P<org>[^/]+)|users/(?P<user>[^/]+))"
    r"/installation$"
)
_MINT = re.compile(r"^/app/installations/(?P<id>\d+)/access_tokens$")
_LEVEL = {"read": 1, "write": 2}

# What each secrets/variables store needs, by the path's shape (GitHub's "Permissions required
# for GitHub Apps" tables).
_NEEDS = [
    (re.compile(r"^/repos/[^/]+/[^/]+/actions/secrets"), "secrets"),
    (re.compile(r"^/repos/[^/]+/[^/]+/dependabot/secrets"), "dependabot_secrets"),
    (re.compile(r"^/repos/[^/]+/[^/]+/codespaces/secrets"), "codespaces_secrets"),
    (re.compile(r"^/repos/[^/]+/[^/]+/environments/[^/]+/(?:secrets|variables)"), "environments"),
    (re.compile(r"^/repos/[^/]+/[^/]+/actions/variables"), "actions_variables"),
    (re.compile(r"^/orgs/[^/]+/actions/secrets"), "organization_secrets"),
    (re.compile(r"^/orgs/[^/]+/dependabot/secrets"), "dependabot_secrets"),
    (re.compile(r"^/orgs/[^/]+/codespaces/secrets"), "organization_codespaces_secrets"),
    (re.compile(r"^/repos/[^/]+/[^/]+/issues"), "issues"),
    (re.compile(r"^/(?:repos|orgs|users)/"), "metadata"),
]


def default_permissions() -> dict[str, str]:
    return dict.fromkeys(
        (
            "secrets",
            "dependabot_secrets",
            "codespaces_secrets",
            "environments",
            "actions_variables",
            "organization_secrets",
            "organization_codespaces_secrets",
        ),
        "write",
    ) | {"metadata": "read"}


@dataclass
class InstallationToken:
    installation_id: int
    account: str
    expires_at: float
    permissions: dict[str, str]


@dataclass
class AppState:
    """The App's key and what it minted (the tests count the tokens)."""

    private_key_pem: str = ""
    public_key: Any = None
    tokens: dict[str, InstallationToken] = field(default_factory=dict)
    minted: list[InstallationToken] = field(default_factory=list)

    def ensure_key(self) -> str:
        if not self.private_key_pem:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.private_key_pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ).decode("ascii")
            self.public_key = key.public_key()
        return self.private_key_pem


def is_app_path(path: str) -> bool:
    """Paths a JWT (and only a JWT) may call."""
    return path == "/app" or path.startswith("/app/") or bool(_LOOKUP.match(path))


def verify_jwt(state: AppState, app_id: int, token: str, now: float) -> str | None:
    """None when the JWT is good; else GitHub's complaint."""
    import jwt

    if state.public_key is None:
        return "A JSON web token could not be decoded"
    try:
        claims = jwt.decode(
            token,
            state.public_key,
            algorithms=["RS256"],
            # Times are checked below, against the sandbox's clock (which may be set off).
            options={"require": ["iat", "exp", "iss"], "verify_iat": False, "verify_exp": False},
        )
    except jwt.PyJWTError:
        return "A JSON web token could not be decoded"
    if str(claims["iss"]) != str(app_id):
        return "'Issuer' claim ('iss') must be an Integer"
    if float(claims["exp"]) <= now - CLOCK_DRIFT:
        return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"  # noqa: E501
    if float(claims["iat"]) > now + CLOCK_DRIFT:
        return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
    if float(claims["exp"]) > now + JWT_MAX_LIFETIME:
        return "'Expiration time' claim ('exp') is too far in the future"
    return None


def needed_permission(path: str, method: str) -> tuple[str, str] | None:
    for pattern, name in _NEEDS:
        if pattern.match(path):
            level = "read" if method == "GET" or name == "metadata" else "write"
            return name, level
    return None


def path_account(path: str) -> str | None:
    m = re.match(r"^/(?:repos|orgs|users)/([^/]+)", path)
    return m.group(1) if m else None


def lookup_account(path: str) -> tuple[str, str | None] | None:
    """(account, repository) a look-up path asks about, or None if it is not one."""
    m = _LOOKUP.match(path)
    if m is None:
        return None
    return (m["owner"] or m["org"] or m["user"], m["repo"])


def mint_target(path: str) -> int | None:
    m = _MINT.match(path)
    return int(m["id"]) if m else None


def grant(granted: dict[str, str], asked: Any) -> tuple[dict[str, str] | None, str | None]:
    """The permissions a new token gets, or GitHub's 422 message."""
    if asked is None:
        return dict(granted), None
    if not isinstance(asked, dict):
        return None, "Invalid request. For 'properties/permissions', is not an object."
    for name, level in asked.items():
        if level not in _LEVEL or _LEVEL[level] > _LEVEL.get(granted.get(name, ""), 0):
            return None, "The permissions requested are not granted to this installation."
    return dict(asked), None


def new_token() -> str:
    return "ghs_" + "".join(secrets.choice(_ALNUM) for _ in range(36))


def expires_text(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
