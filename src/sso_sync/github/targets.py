"""Where secrets go: a repository, one of its environments, or an organization, for Actions or
Dependabot; and the checks on names that GitHub would otherwise reject half-way through a run."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from sso_sync.errors import UsageError

OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPO_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
SECRET_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_NAME_MAX = 255
# "Secrets can store values of up to 48 KB in size." (GitHub docs, "Limits for secrets")
SECRET_VALUE_MAX_BYTES = 48 * 1024

Kind = Literal["repo", "env", "org"]
App = Literal["actions", "dependabot"]
Visibility = Literal["all", "private", "selected"]
APPS: tuple[App, ...] = ("actions", "dependabot")
VISIBILITIES: tuple[Visibility, ...] = ("all", "private", "selected")


@dataclass(frozen=True)
class Target:
    kind: Kind
    owner: str
    repo: str | None = None
    environment: str | None = None
    app: App = "actions"
    # Organization targets only: who may use the secret ("private", as gh, when not given).
    visibility: Visibility | None = None
    selected_repos: tuple[str, ...] = ()  # OWNER/NAME, resolved to ids before planning

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
    def address(self) -> str:
        """The secret store itself, case-folded as GitHub compares names."""
        return self.secrets_path.lower()

    @property
    def label(self) -> str:
        if self.kind == "org":
            name = f"org {self.owner}"
        elif self.kind == "env":
            name = f"{self.owner}/{self.repo} env {self.environment}"
        else:
            name = f"{self.owner}/{self.repo}"
        return name if self.app == "actions" else f"{name} ({self.app})"

    @property
    def not_found_hint(self) -> str:
        """What a 404 means here, and what to do about it."""
        if self.kind == "org":
            return (
                f"organization '{self.owner}' not found, or the token cannot manage its "
                "secrets: check the name, and that the token has admin:org (classic) or "
                "Organization secrets (fine-grained) and you are an org owner"
            )
        where = f"repository {self.owner}/{self.repo}"
        if self.kind == "env":
            return (
                f"environment '{self.environment}' of {where} not found, or no access: create "
                "it under Settings > Environments, or check the name and the token's access"
            )
        return f"{where} not found, or the token cannot see it: check the name and token access"


@dataclass(frozen=True)
class TargetSet:
    """What one named set of the config file (or the command-line flags) asks for."""

    name: str | None  # None: the command-line flags
    profile: str | None  # None: --profile, else $AWS_PROFILE
    prefix: str
    targets: tuple[Target, ...]


def parse_repo(text: str, *, app: App = "actions", what: str = "--repo") -> Target:
    owner, sep, name = text.strip().partition("/")
    if (
        not sep
        or not OWNER_RE.fullmatch(owner)
        or not REPO_RE.fullmatch(name)
        or name in (".", "..")
    ):
        raise UsageError(
            f"{what} '{text}' is not OWNER/NAME: write it as on GitHub, e.g. {what} octo-org/app"
        )
    return Target(kind="repo", owner=owner, repo=name, app=app)


def check_org(text: str, what: str = "--org") -> str:
    if not OWNER_RE.fullmatch(text):
        raise UsageError(
            f"{what} '{text}' is not an organization name: letters, digits and single hyphens, "
            "at most 39, e.g. octo-org"
        )
    return text


def check_environment(text: str, what: str = "--env") -> str:
    if not text.strip() or len(text) > ENV_NAME_MAX or not text.isprintable():
        raise UsageError(
            f"{what} '{text}' is not an environment name: give the name as shown under "
            f"Settings > Environments (1 to {ENV_NAME_MAX} printable characters)"
        )
    return text


def check_app(text: str, what: str = "--app") -> App:
    if text not in APPS:
        raise UsageError(f"{what} '{text}' is not one of: {', '.join(APPS)}")
    return text


def check_visibility(text: str, what: str = "--visibility") -> Visibility:
    if text not in VISIBILITIES:
        raise UsageError(f"{what} '{text}' is not one of: {', '.join(VISIBILITIES)}")
    return text


def build_targets(
    *,
    repos: Sequence[str] = (),
    envs: Sequence[str] = (),
    orgs: Sequence[str] = (),
    visibility: str | None = None,
    selected_repos: Sequence[str] = (),
    app: str = "actions",
    names: dict[str, str] | None = None,
) -> tuple[Target, ...]:
    """Targets from gh's vocabulary: each --repo (or each of its --env), each --org.

    As with `gh secret set --env`, environments replace the repository-level secrets of the
    --repo they go with. `names` renames the options in messages (for the config file).
    """
    n = {"repo": "--repo", "env": "--env", "org": "--org", "visibility": "--visibility"}
    n |= {"selected": "--selected-repo", "app": "--app"} | (names or {})
    the_app = check_app(app, n["app"])
    if envs and not repos:
        raise UsageError(f"{n['env']} needs {n['repo']}: environments belong to a repository")
    if envs and the_app == "dependabot":
        raise UsageError(f"Dependabot has no environment secrets: drop {n['env']} or {n['app']}")
    if (visibility is not None or selected_repos) and not orgs:
        raise UsageError(f"{n['visibility']} and {n['selected']} apply to {n['org']} only")
    chosen = check_visibility(visibility, n["visibility"]) if visibility is not None else None
    if selected_repos and chosen not in (None, "selected"):
        raise UsageError(
            f"{n['selected']} implies {n['visibility']} selected, not '{chosen}': drop one"
        )
    if chosen == "selected" and not selected_repos:
        raise UsageError(
            f"{n['visibility']} selected needs at least one {n['selected']} OWNER/NAME"
        )
    vis: Visibility = "selected" if selected_repos else (chosen or "private")
    picked = [parse_repo(r, app=the_app, what=n["selected"]) for r in selected_repos]
    targets: list[Target] = []
    for text in repos:
        repo = parse_repo(text, app=the_app, what=n["repo"])
        if envs:
            targets += [
                Target("env", repo.owner, repo.repo, check_environment(e, n["env"])) for e in envs
            ]
        else:
            targets.append(repo)
    for text in orgs:
        org = check_org(text, n["org"])
        # GitHub names are case-insensitive: the same repository twice is one id.
        mine = tuple(
            {
                f"{r.owner}/{r.repo}".lower(): f"{r.owner}/{r.repo}"
                for r in picked
                if r.owner.lower() == org.lower()
            }.values()
        )
        if vis == "selected" and not mine:
            raise UsageError(
                f"{n['selected']} names no repository of organization '{org}': "
                "selected repositories must belong to the organization"
            )
        targets.append(Target("org", org, app=the_app, visibility=vis, selected_repos=mine))
    if picked:
        owners = {o.lower() for o in orgs}
        stray = [f"{r.owner}/{r.repo}" for r in picked if r.owner.lower() not in owners]
        if stray:
            raise UsageError(
                f"{n['selected']} {stray[0]} is not in any {n['org']}: selected repositories "
                "must belong to the organization"
            )
    return tuple(dict.fromkeys(targets))


def validate_secret_names(names: list[str]) -> None:
    """GitHub's rules, checked before any write so a bad prefix loses nothing."""
    seen: dict[str, str] = {}
    for name in names:
        if not SECRET_NAME_RE.fullmatch(name):
            raise UsageError(
                f"secret name '{name}' is invalid: use letters, digits and _ only, not starting "
                f"with a digit (check --prefix)"
            )
        if name.upper().startswith("GITHUB_"):
            raise UsageError(f"secret name '{name}' starts with GITHUB_, which GitHub reserves")
        if name.upper() in seen:
            raise UsageError(f"secret names '{seen[name.upper()]}' and '{name}' collide")
        seen[name.upper()] = name


def validate_secret_values(values: dict[str, str]) -> None:
    """GitHub refuses values over 48 KB; say so before the first write, naming only the key."""
    for name, value in values.items():
        size = len(value.encode("utf-8"))
        if size > SECRET_VALUE_MAX_BYTES:
            raise UsageError(
                f"the value for {name} is {size} bytes, over GitHub's 48 KB limit for a secret"
            )
