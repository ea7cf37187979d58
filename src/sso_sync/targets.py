"""Where secrets go: a repository, one of its environments, or an organization."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from sso_sync.errors import UsageError

OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPO_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
SECRET_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Kind = Literal["repo", "env", "org"]
App = Literal["actions", "dependabot"]


@dataclass(frozen=True)
class Target:
    kind: Kind
    owner: str
    repo: str | None = None
    environment: str | None = None
    app: App = "actions"

    @property
    def secrets_path(self) -> str:
        """The REST collection holding this target's secrets."""
        if self.kind == "org":
            return f"/orgs/{self.owner}/{self.app}/secrets"
        base = f"/repos/{self.owner}/{self.repo}"
        if self.kind == "env":
            return f"{base}/environments/{quote(self.environment or '', safe='')}/secrets"
        return f"{base}/{self.app}/secrets"

    @property
    def label(self) -> str:
        if self.kind == "org":
            name = f"org {self.owner}"
        elif self.kind == "env":
            name = f"{self.owner}/{self.repo} env {self.environment}"
        else:
            name = f"{self.owner}/{self.repo}"
        return name if self.app == "actions" else f"{name} ({self.app})"


def parse_repo(text: str, *, app: App = "actions") -> Target:
    owner, sep, name = text.strip().partition("/")
    if not sep or not OWNER_RE.match(owner) or not REPO_RE.match(name) or name in (".", ".."):
        raise UsageError(
            f"--repo '{text}' is not OWNER/NAME: write it as on GitHub, e.g. --repo octo-org/app"
        )
    return Target(kind="repo", owner=owner, repo=name, app=app)


def validate_secret_names(names: list[str]) -> None:
    """GitHub's rules, checked before any write so a bad prefix loses nothing."""
    seen: dict[str, str] = {}
    for name in names:
        if not SECRET_NAME_RE.match(name):
            raise UsageError(
                f"secret name '{name}' is invalid: use letters, digits and _ only, not starting "
                f"with a digit (check --prefix)"
            )
        if name.upper().startswith("GITHUB_"):
            raise UsageError(f"secret name '{name}' starts with GITHUB_, which GitHub reserves")
        if name.upper() in seen:
            raise UsageError(f"secret names '{seen[name.upper()]}' and '{name}' collide")
        seen[name.upper()] = name
