"""Where secrets go: a repository, one of its environments, or an organization, for Actions or
Dependabot; and the checks on names that GitHub would otherwise reject half-way through a run."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from sso_sync.errors import UsageError
from sso_sync.sources import DEFAULT_SOURCES, CredentialSource, secret_names

OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPO_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
SECRET_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_NAME_MAX = 255
# "Secrets can store values of up to 48 KB in size." (GitHub docs, "Limits for secrets")
SECRET_VALUE_MAX_BYTES = 48 * 1024

Kind = Literal["repo", "env", "org", "user"]  # user: the signed-in user's Codespaces secrets
App = Literal["actions", "dependabot", "codespaces"]
Visibility = Literal["all", "private", "selected"]
APPS: tuple[App, ...] = ("actions", "dependabot", "codespaces")
VISIBILITIES: tuple[Visibility, ...] = ("all", "private", "selected")


@dataclass(frozen=True)
class Target:
    kind: Kind
    owner: str
    repo: str | None = None
    environment: str | None = None
    app: App = "actions"
    # Organization targets only: who may use the secret, as --visibility/--selected-repo ask;
    # None: each secret keeps the visibility it has, and a new one is "private", as gh.
    visibility: Visibility | None = None
    selected_repos: tuple[str, ...] = ()  # OWNER/NAME, resolved to ids before planning

    @property
    def secrets_path(self) -> str:
        """The REST collection holding this target's secrets."""
        if self.kind == "user":
            return "/user/codespaces/secrets"
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
        if self.kind == "user":
            return "your user (codespaces)"
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
        if self.kind == "user":
            return (
                "your Codespaces secrets are not reachable: the token needs the codespace "
                "(or codespace:secrets) scope, or Codespaces user secrets (fine-grained)"
            )
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
class RepoPattern:
    """`--repo OWNER/GLOB`: every repository of OWNER whose name matches, resolved once per run
    (github/patterns.py) into plain targets."""

    owner: str
    glob: str
    excludes: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    app: App = "actions"

    @property
    def label(self) -> str:
        return f"{self.owner}/{self.glob}"


@dataclass(frozen=True)
class TargetSet:
    """What one named set of the config file (or the command-line flags) asks for."""

    name: str | None  # None: the command-line flags
    profile: str | None  # None: --profile, else $AWS_PROFILE
    prefix: str
    targets: tuple[Target, ...]
    patterns: tuple[RepoPattern, ...] = ()  # resolved into `targets` before planning
    # GitHub App auth named by the set (github/app_auth.py); the key path is absolute.
    github_app_id: str | None = None
    github_app_key: Path | None = None
    source: Path | None = None  # the config file it came from; None: the command line
    # What it pushes: rows of the credential-source table, the role credentials by default.
    sources: tuple[CredentialSource, ...] = DEFAULT_SOURCES
    # Notifications named by the set (keepfresh/channels.py): the webhook URL's file (absolute)
    # and the repository of the GitHub issue.
    notify_url_file: Path | None = None
    notify_issue: str | None = None

    def secret_names(self) -> list[str]:
        """Every secret this set writes on each target, prefix included."""
        return secret_names(self.prefix, self.sources)


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


_GLOB_CHARS = frozenset("*?[")
GLOB_RE = re.compile(r"^[A-Za-z0-9._*?\[\]!-]{1,100}$")


def is_pattern(text: str) -> bool:
    """Whether a --repo value names repositories by a shell-style pattern."""
    return any(c in _GLOB_CHARS for c in text.partition("/")[2])


def build_patterns(
    repos: Sequence[str],
    *,
    excludes: Sequence[str] = (),
    envs: Sequence[str] = (),
    app: str = "actions",
    names: dict[str, str] | None = None,
) -> tuple[RepoPattern, ...]:
    """The pattern --repo values of `repos` (the others are left to `build_targets`)."""
    n = {"repo": "--repo", "exclude": "--exclude", "app": "--app"} | (names or {})
    globs = [r for r in repos if is_pattern(r)]
    if excludes and not globs:
        raise UsageError(
            f"{n['exclude']} applies to a pattern {n['repo']} only, e.g. {n['repo']} octo-org/svc-*"
        )
    for glob in excludes:
        if not GLOB_RE.match(glob.partition("/")[2] if "/" in glob else glob):
            raise UsageError(f"{n['exclude']} '{glob}' is not a repository name pattern")
    the_app = check_app(app, n["app"])
    patterns = []
    for text in globs:
        owner, _, glob = text.strip().partition("/")
        if not OWNER_RE.match(owner) or not GLOB_RE.match(glob):
            raise UsageError(
                f"{n['repo']} '{text}' is not OWNER/PATTERN: shell-style *, ? and [...] on the "
                f"name only, e.g. {n['repo']} octo-org/svc-*"
            )
        patterns.append(RepoPattern(owner, glob, tuple(excludes), tuple(envs), the_app))
    return tuple(dict.fromkeys(patterns))


def check_org(text: str, what: str = "--org") -> str:
    if not OWNER_RE.fullmatch(text):
        raise UsageError(
            f"{what} '{text}' is not an organization name: letters, digits and single hyphens, "
            "at most 39, e.g. octo-org"
        )
    return text


def check_environment(text: str, what: str = "--env") -> str:
    # `.` and `..` are path segments to every URL resolver on the way: `environments/../secrets`
    # is the repository's own secrets.
    if (
        not text.strip()
        or text.strip() in (".", "..")
        or len(text) > ENV_NAME_MAX
        or not text.isprintable()
    ):
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
    user: bool = False,
) -> tuple[Target, ...]:
    """Targets from gh's vocabulary: each --repo (or each of its --env), each --org, and
    --user (the signed-in user's Codespaces secrets, as `gh secret set --user`).

    As with `gh secret set --env`, environments replace the repository-level secrets of the
    --repo they go with. `names` renames the options in messages (for the config file).
    Pattern --repo values are left out: `build_patterns` takes them.
    """
    n = {"repo": "--repo", "env": "--env", "org": "--org", "visibility": "--visibility"}
    n |= {"selected": "--selected-repo", "app": "--app", "user": "--user"} | (names or {})
    the_app = check_app(app, n["app"])
    if envs and not repos:
        raise UsageError(f"{n['env']} needs {n['repo']}: environments belong to a repository")
    if envs and the_app != "actions":
        raise UsageError(
            f"{the_app.capitalize()} has no environment secrets: drop {n['env']} or {n['app']}"
        )
    if visibility is not None and not orgs:
        raise UsageError(f"{n['visibility']} applies to {n['org']} only")
    if selected_repos and not (orgs or user):
        raise UsageError(f"{n['selected']} applies to {n['org']} and {n['user']} only")
    chosen = check_visibility(visibility, n["visibility"]) if visibility is not None else None
    if selected_repos and orgs and chosen not in (None, "selected"):
        raise UsageError(
            f"{n['selected']} implies {n['visibility']} selected, not '{chosen}': drop one"
        )
    if chosen == "selected" and not selected_repos:
        raise UsageError(
            f"{n['visibility']} selected needs at least one {n['selected']} OWNER/NAME"
        )
    vis: Visibility | None = "selected" if selected_repos else chosen
    picked = [parse_repo(r, app=the_app, what=n["selected"]) for r in selected_repos]
    targets: list[Target] = []
    for text in (r for r in repos if not is_pattern(r)):
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
    if user:
        # Every --selected-repo may use the user's secrets, whoever owns it (as gh --repos).
        mine = tuple(
            {f"{r.owner}/{r.repo}".lower(): f"{r.owner}/{r.repo}" for r in picked}.values()
        )
        targets.append(Target("user", "", app="codespaces", selected_repos=mine))
    if picked and not user:
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
