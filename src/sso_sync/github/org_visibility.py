"""Organization secrets keep who may use them: before a secret of an `--org` target that no
`--visibility` or `--selected-repo` decides is written, GitHub is asked what it is now.

A PUT of an organization secret must name its visibility, so writing one blind would reset a
`selected` secret to whatever default we send (`gh secret set --org` does exactly that: `private`),
taking it away from the repositories that use it. Per secret:

- `GET /orgs/{org}/{app}/secrets/{name}`: 200 with `visibility` (and, when `selected`,
  `selected_repositories_url`); 404 when there is no such secret (a new one gets `private`, as gh).
- when `selected`: `GET /orgs/{org}/{app}/secrets/{name}/repositories?per_page=100&page=N`
  (`total_count`, `repositories`), every page, for the ids to send back. The path is built here
  rather than taken from `selected_repositories_url`, so the token goes nowhere an answer names.

These are the REST pages "Get an organization secret" and "List selected repositories for an
organization secret" (Actions, Dependabot and Codespaces alike). PyGithub has
`Organization.get_secret` and `OrganizationSecret.selected_repositories` for the first two apps,
but they would go round our pacing, retries and deadline: the requests go through `GitHubApi`
like every other. A look-up that fails (a 403 for a token that may write but not read, say)
fails that secret's write rather than guessing: a guess could widen the secret.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

from sso_sync.errors import GitHubError
from sso_sync.github.fanout import DEFAULT_CONCURRENCY, for_each
from sso_sync.github.plan import CurrentVisibility, LookUp, keeps_visibility, lookup_key
from sso_sync.github.rest import GitHubApi, expect_status
from sso_sync.github.targets import VISIBILITIES, Target

if TYPE_CHECKING:
    from sso_sync.github.plan import PushPlan

PAGE = 100
# GitHub's own limit on the repositories an organization secret may be shared with is far
# below this; a server that claims more (or keeps sending full pages) is not GitHub, and
# following it would cost minutes and many MiB (893 pages, 76 MiB in 60 s, seen).
MAX_SELECTED = 10_000


def current_visibility(api: GitHubApi, target: Target, name: str) -> CurrentVisibility | None:
    """The visibility of the organization secret `name` on `target`; None when it is absent."""
    what = f"{target.label}: reading the visibility of {name}, to keep it (or give --visibility)"
    response = api.request("GET", f"{target.secrets_path}/{name}")
    if response.status == 404:
        return None
    expect_status(response, what, (200,), not_found=target.not_found_hint)
    data = response.data
    visibility = data.get("visibility") if isinstance(data, dict) else None
    if visibility not in VISIBILITIES or str(data.get("name", "")).upper() != name.upper():
        raise GitHubError(f"{what}: GitHub's answer is not that secret: check --api-url")
    if visibility != "selected":
        return CurrentVisibility(visibility)
    return CurrentVisibility("selected", _selected_ids(api, target, name, what))


def _selected_ids(api: GitHubApi, target: Target, name: str, what: str) -> tuple[int, ...]:
    ids: list[int] = []
    page = 1
    while True:
        response = api.request(
            "GET", f"{target.secrets_path}/{name}/repositories?per_page={PAGE}&page={page}"
        )
        expect_status(response, what, (200,), not_found=target.not_found_hint)
        data = response.data
        repos = data.get("repositories") if isinstance(data, dict) else None
        total = data.get("total_count") if isinstance(data, dict) else None
        if (
            not isinstance(repos, list)
            or type(total) is not int
            or not all(
                isinstance(r, dict) and type(r.get("id")) is int and r["id"] > 0 for r in repos
            )
        ):
            raise GitHubError(
                f"{what}: GitHub's answer is not a list of repositories: check --api-url"
            )
        if total > MAX_SELECTED or page * PAGE > MAX_SELECTED:
            raise GitHubError(
                f"{what}: GitHub says the secret is shared with over {MAX_SELECTED} "
                "repositories, more than it allows: check --api-url, or give --visibility"
            )
        ids += [int(r["id"]) for r in repos]
        if len(repos) < PAGE or len(ids) >= total:
            return tuple(dict.fromkeys(ids))
        page += 1


class CurrentVisibilities:
    """One look-up per organization secret; a failure is remembered, and told by `known`."""

    def __init__(self, api: GitHubApi) -> None:
        self.api = api
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str], LookUp] = {}

    def look_up(self, target: Target, name: str) -> None:
        key = lookup_key(target, name)
        with self._lock:
            if key in self._answers:
                return
        answer: LookUp
        try:
            answer = current_visibility(self.api, target, name)
        except GitHubError as exc:
            answer = exc
        with self._lock:
            self._answers.setdefault(key, answer)

    def known(self) -> Mapping[tuple[str, str], LookUp]:
        with self._lock:
            return dict(self._answers)


def wanted(plan: PushPlan) -> list[tuple[Target, str]]:
    """Every (target, secret name) whose visibility must be looked up, once each."""
    seen: dict[tuple[str, str], tuple[Target, str]] = {}
    for tp in plan.targets:
        if keeps_visibility(tp.target):
            for secret in tp.secrets:
                seen.setdefault(lookup_key(tp.target, secret.name), (tp.target, secret.name))
    return list(seen.values())


def look_ups(current: CurrentVisibilities, plan: PushPlan) -> list[Callable[[], None]]:
    """The look-ups `plan` needs, as work for `public_keys.prefetched_keys`' pool: they run
    beside the key fetches while the credentials are issued, within the same --concurrency."""
    return [partial(current.look_up, target, name) for target, name in wanted(plan)]


def complete(
    current: CurrentVisibilities, plan: PushPlan, *, concurrency: int = DEFAULT_CONCURRENCY
) -> Mapping[tuple[str, str], LookUp]:
    """Every look-up `plan` needs that has not been made yet (the prefetch was cut short, or
    there was none: the dry run), now; then all of them."""
    known = current.known()
    missing = [(t, n) for t, n in wanted(plan) if lookup_key(t, n) not in known]
    for_each(missing, lambda item: current.look_up(*item), concurrency=concurrency, api=current.api)
    return current.known()
