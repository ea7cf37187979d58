"""Repository patterns: `--repo octo-org/svc-*` becomes every matching repository, once per run.

The owner's repositories are listed as GitHub lists them (`GET /orgs/{org}/repos`, or
`GET /users/{user}/repos` when the owner is a user; with GitHub App auth,
`GET /installation/repositories`, which is what the installation can reach), following every
page and skipping archived repositories, which GitHub makes read-only. Names match
case-insensitively, as GitHub compares them, with shell-style `*`, `?` and `[...]` (fnmatch).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

from sso_sync.errors import GitHubError, UsageError
from sso_sync.github.rest import GitHubApi, raise_for_status
from sso_sync.github.targets import (
    REPO_RE,
    RepoPattern,
    Target,
    TargetSet,
    check_environment,
)

PER_PAGE = 100
# A server that always says there is another page must not keep a run going.
MAX_PAGES = 1000


def matches(pattern: RepoPattern, owner: str, name: str) -> bool:
    """Whether `owner/name` is one of `pattern`'s repositories (excludes applied)."""
    if owner.lower() != pattern.owner.lower():
        return False
    if not fnmatchcase(name.lower(), pattern.glob.lower()):
        return False
    for exclude in pattern.excludes:
        subject = f"{owner}/{name}" if "/" in exclude else name
        if fnmatchcase(subject.lower(), exclude.lower()):
            return False
    return True


def _pages(
    api: GitHubApi, path: str, key: str | None, what: str, owner: str, *, missing_ok: bool = False
) -> list[Any] | None:
    """Every item of a paginated list, following GitHub's `Link: rel="next"` by page number
    (never to a URL the server gives, which could name another host). None: a 404 on the
    first page, when `missing_ok`."""
    items: list[Any] = []
    for page in range(1, MAX_PAGES + 1):
        sep = "&" if "?" in path else "?"
        response = api.request("GET", f"{path}{sep}per_page={PER_PAGE}&page={page}", owner=owner)
        if missing_ok and page == 1 and response.status == 404:
            return None
        raise_for_status(response, what)
        data = response.data
        batch = data.get(key) if key and isinstance(data, dict) else data
        if not isinstance(batch, list):
            raise GitHubError(f"{what}: GitHub's answer is not a list of repositories")
        items.extend(item for item in batch if isinstance(item, dict))
        if not batch or 'rel="next"' not in response.headers.get("link", ""):
            return items
    raise GitHubError(f"{what}: more than {MAX_PAGES} pages; narrow the pattern")


def owner_repositories(api: GitHubApi, owner: str, *, installation: bool) -> list[dict[str, Any]]:
    """Every repository of `owner` the credentials can see, archived ones included."""
    what = f"listing the repositories of {owner}"
    if installation:
        reachable = _pages(api, "/installation/repositories", "repositories", what, owner) or []
        return [r for r in reachable if _owner_of(r).lower() == owner.lower()]
    repos = _pages(api, f"/orgs/{owner}/repos?type=all", None, what, owner, missing_ok=True)
    if repos is None:  # not an organization: a user
        repos = _pages(api, f"/users/{owner}/repos?type=owner", None, what, owner)
    return repos or []


def _owner_of(repo: dict[str, Any]) -> str:
    owner = repo.get("owner")
    return str(owner.get("login", "")) if isinstance(owner, dict) else ""


def _checked_name(repo: dict[str, Any], owner: str) -> str:
    """A listed name becomes a path segment of the PUTs (`svc-a/../../x` would reach another
    owner's repository) and a line of output (a newline, U+202E): only a name GitHub could
    give passes, and a listing holding another is not GitHub's."""
    name = str(repo["name"])
    if not REPO_RE.fullmatch(name) or name in (".", ".."):
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)[:100]
        raise GitHubError(
            f"listing the repositories of {owner}: '{shown}' is not a repository name GitHub "
            "gives (letters, digits, '.', '-', '_'): check --api-url / GITHUB_API_URL"
        )
    return name


def resolve_patterns(api: GitHubApi, sets: Sequence[TargetSet]) -> tuple[TargetSet, ...]:
    """`sets` with every pattern replaced by its repositories; one listing per owner.

    A pattern that matches no repository is a usage error (exit 2): a typo must not pass as a
    successful push to nothing.
    """
    if not any(s.patterns for s in sets):
        return tuple(sets)
    installation = bool(getattr(api.authorizer, "installation_tokens", False))
    listings: dict[str, list[dict[str, Any]]] = {}
    resolved: list[TargetSet] = []
    for target_set in sets:
        targets = list(target_set.targets)
        for pattern in target_set.patterns:
            key = pattern.owner.lower()
            if key not in listings:
                listings[key] = owner_repositories(api, pattern.owner, installation=installation)
            names = sorted(
                _checked_name(r, pattern.owner)
                for r in listings[key]
                if not r.get("archived")
                and isinstance(r.get("name"), str)
                and matches(pattern, _owner_of(r) or pattern.owner, str(r["name"]))
            )
            if not names:
                raise UsageError(
                    f"--repo {pattern.label} matches no unarchived repository of "
                    f"{pattern.owner}"
                    + (f" (excluding {', '.join(pattern.excludes)})" if pattern.excludes else "")
                    + ": check the pattern and that the token can see the repositories"
                )
            for name in names:
                if pattern.environments:
                    targets += [
                        Target("env", pattern.owner, name, check_environment(e))
                        for e in pattern.environments
                    ]
                else:
                    targets.append(Target("repo", pattern.owner, name, app=pattern.app))
        resolved.append(
            dataclasses.replace(target_set, targets=tuple(dict.fromkeys(targets)), patterns=())
        )
    return tuple(resolved)
