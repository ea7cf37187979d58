"""Configuration and the plain records the sandbox hands back to tests."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field

_ALNUM = string.ascii_letters + string.digits


def _random_github_token() -> str:
    return "ghp_sandbox" + "".join(secrets.choice(_ALNUM) for _ in range(36))


def _default_accounts() -> dict[str, tuple[str, list[str]]]:
    return {
        "111122223333": ("sandbox-ci", ["ci", "Deployer"]),
        "444455556666": ("sandbox-prod", ["Deployer", "ReadOnly"]),
    }


def _default_repos() -> dict[str, list[str]]:
    return {
        "octo-org/app": ["production", "staging"],
        "octo-org/api": ["production"],
        "octo-org/web": [],
    }


@dataclass
class SandboxConfig:
    """What the fake IAM Identity Center and the fake GitHub contain and how they behave."""

    start_url: str = "https://d-sandbox0001.awsapps.com/start"
    region: str = "us-east-1"
    # account id -> (account name, [role names])
    accounts: dict[str, tuple[str, list[str]]] = field(default_factory=_default_accounts)
    user_name: str = "sandbox-user"
    role_lifetime: int = 3600
    access_token_lifetime: int = 8 * 3600
    registration_lifetime: int = 90 * 86400
    device_interval: int = 1
    approve_after_polls: int = 1
    # Device codes wait for `AwsBackend.approve_device(user_code, user)` instead of approving
    # themselves after `approve_after_polls` polls: a person approving later, perhaps as
    # another user (whose name then shows in STS's assumed-role ARN).
    manual_device_approval: bool = False
    device_code_lifetime: int = 600
    page_size: int = 100
    latency: float = 0.0
    github_token: str = field(default_factory=_random_github_token)
    # "owner/name" -> environment names; repo ids are 1001, 1002, ... in this order
    repos: dict[str, list[str]] = field(default_factory=_default_repos)
    orgs: list[str] = field(default_factory=lambda: ["octo-org"])
    archived: list[str] = field(default_factory=list)  # "owner/name": read-only, as on GitHub
    # GitHub App auth (sandbox/github_app.py): the App, where it is installed (account -> id),
    # what each installation was granted, and how long an installation token lasts.
    app_id: int = 31337
    app_installations: dict[str, int] = field(default_factory=lambda: {"octo-org": 501})
    app_permissions: dict[str, str] | None = None  # None: every secrets permission, write
    installation_token_lifetime: int = 3600
    # `X-OAuth-Scopes` on answers to the personal token: a classic token's; None: fine-grained.
    github_token_scopes: str | None = "repo, admin:org, workflow"
    github_login: str = "octocat"
    # Seconds GitHub's clock (its `Date` header and every `updated_at`) is ahead of this
    # machine's: a test moves it forward to make a later write (a hand edit) a minute later.
    github_clock_offset: float = 0.0
    # ECR and CodeArtifact (sandbox/registries.py): how long an ECR password lasts (ECR's own is
    # 12 hours), the CodeArtifact domains (name -> repositories) and the account that owns them,
    # and the IAM actions the roles' permission set lacks ("ecr:GetAuthorizationToken", ...).
    ecr_token_lifetime: int = 12 * 3600
    codeartifact_owner: str = "111122223333"
    codeartifact_domains: dict[str, list[str]] = field(
        default_factory=lambda: {"corp": ["internal", "upstream"]}
    )
    denied_actions: list[str] = field(default_factory=list)
    # Seconds this sandbox's clock runs ahead of the machine's (negative: behind): its `Date`
    # headers, expiries and signature checks all go by it, as a client's clock off would look.
    clock_offset: float = 0.0

    def now(self) -> float:
        return time.time() + self.clock_offset

    def github_now(self) -> float:
        """GitHub's clock: the sandbox's, moved on by `github_clock_offset`."""
        return self.now() + self.github_clock_offset


@dataclass(frozen=True)
class RequestRecord:
    """One request as the sandbox saw it. ``status`` is 0 when the connection was reset."""

    service: str  # "sso" | "sso-oidc" | "sts" | "github"
    method: str
    path: str  # without the query string
    status: int
    operation: str  # AWS operation name; "" for GitHub
    # The region of a SigV4-signed AWS request (its credential scope); "" when unsigned.
    region: str = ""
    # time.monotonic() when the request arrived, before any latency or fault.
    started: float = 0.0


@dataclass
class StoredSecret:
    """A secret as GitHub holds it, except that ``value`` is the decrypted plaintext."""

    value: str
    created_at: str
    updated_at: str
    visibility: str | None = None  # org secrets only
    selected_repository_ids: list[int] | None = None
    key_id: str = ""
