"""Actions variables: `push --expiration-variable NAME` stores the expiry as plain text too.

Why: a value that equals a secret is masked in logs, and a job output that contains one is not
passed to `needs:` jobs. Read from `vars.NAME`, the expiry is no secret, so the verify action's
`expires-at` and `remaining-minutes` outputs reach a deploy job intact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from sso_sync.errors import GitHubError, UsageError
from sso_sync.github.push import TargetResult
from sso_sync.github.rest import GitHubApi, expect_status
from sso_sync.github.targets import Target, validate_secret_names

Outcome = Literal["created", "updated", "failed"]


@dataclass(frozen=True)
class VariableResult:
    target: Target
    name: str
    outcome: Outcome
    error: str | None = None
    value: str = ""


def variables_path(target: Target, option: str = "--expiration-variable") -> str:
    """The REST collection holding the target's variables; the same places secrets live."""
    if target.app != "actions":
        raise UsageError(
            f"{option}: {target.label} has no Actions variables "
            f"({target.app.capitalize()} has none)"
        )
    if target.kind == "org":
        raise UsageError(
            f"{option}: {target.label} is an organization; set it on repositories or environments"
        )
    base = f"/repos/{target.owner}/{target.repo}"
    if target.kind == "env":
        return f"{base}/environments/{quote(target.environment or '', safe='')}/variables"
    return f"{base}/actions/variables"


def validate_variable(
    name: str, targets: Sequence[Target], option: str = "--expiration-variable"
) -> None:
    """Checked before any write, so a bad name or target loses nothing."""
    validate_secret_names([name])  # GitHub's rules for variable names are the same
    for target in targets:
        variables_path(target, option)


def set_variable(api: GitHubApi, target: Target, name: str, value: str) -> VariableResult:
    """PATCH first (it exists on every push after the first): one request in the common case."""
    collection = variables_path(target)
    what = f"{target.label}: setting variable {name}"
    try:
        response = api.request("PATCH", f"{collection}/{name}", {"name": name, "value": value})
        if response.status != 404:
            expect_status(response, what, (204,))
            return VariableResult(target, name, "updated")
        response = api.request("POST", collection, {"name": name, "value": value})
        if response.status == 409:  # created meanwhile by a concurrent push
            response = api.request("PATCH", f"{collection}/{name}", {"name": name, "value": value})
            expect_status(response, what, (204,))
            return VariableResult(target, name, "updated")
        expect_status(response, what, (201,))
        return VariableResult(target, name, "created")
    except GitHubError as exc:
        if exc.status == 401:
            raise
        message = str(exc)
        if exc.status == 403:
            message = f"{what}: the token may not write variables: give it Variables read/write"
        return VariableResult(target, name, "failed", message)


def set_expiration_variable(
    api: GitHubApi, targets: Sequence[Target], name: str, expiration: str
) -> list[VariableResult]:
    return [
        dataclasses.replace(set_variable(api, target, name, expiration), value=expiration)
        for target in dict.fromkeys(targets)
    ]


def set_expiration_variables(
    api: GitHubApi,
    results: Sequence[TargetResult],
    name: str,
    expirations: Mapping[str | None, str],
) -> list[VariableResult]:
    """Only where the secrets landed: the variable must describe the secrets next to it.
    Each target gets the expiry of the credentials its own set (profile) pushed."""
    done: list[VariableResult] = []
    for profile, expiration in expirations.items():
        landed = [r.target for r in results if r.ok and r.profile == profile]
        done += set_expiration_variable(api, landed, name, expiration)
    return done
