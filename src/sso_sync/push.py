"""Plan, then apply: which secrets go to which targets, and putting them there.

`plan_push` is pure and drives both `--dry-run` and the writes; `apply_push` performs a plan:
one public-key fetch per target, one PUT per secret, nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sso_sync.credentials import SECRET_NAMES
from sso_sync.errors import GitHubError
from sso_sync.github import GitHubApi, raise_for_status, seal
from sso_sync.targets import Target, validate_secret_names

log = logging.getLogger(__name__)

Action = Literal["create", "update", "set"]
Outcome = Literal["created", "updated", "failed", "not attempted"]


@dataclass(frozen=True)
class PlannedSecret:
    name: str  # as stored on GitHub, prefix included
    source: str  # which credential field it carries
    action: Action  # "set" when we did not ask GitHub whether it exists


@dataclass(frozen=True)
class TargetPlan:
    target: Target
    secrets: tuple[PlannedSecret, ...]


@dataclass(frozen=True)
class PushPlan:
    targets: tuple[TargetPlan, ...]


def plan_push(
    targets: Sequence[Target],
    prefix: str = "",
    existing: Mapping[Target, set[str]] | None = None,
) -> PushPlan:
    """Every target gets every credential secret; names are validated before anything is sent."""
    names = [prefix + source for source in SECRET_NAMES]
    validate_secret_names(names)
    plans = []
    for target in dict.fromkeys(targets):  # a target named twice is pushed once
        known = None if existing is None else existing.get(target)
        secrets = tuple(
            PlannedSecret(
                name=name,
                source=source,
                action="set" if known is None else ("update" if name in known else "create"),
            )
            for name, source in zip(names, SECRET_NAMES, strict=True)
        )
        plans.append(TargetPlan(target, secrets))
    return PushPlan(tuple(plans))


def existing_secret_names(api: GitHubApi, target: Target) -> set[str]:
    """Names already set on `target` (all pages), for a dry run's create/update column."""
    names: set[str] = set()
    page = 1
    while True:
        response = api.request("GET", f"{target.secrets_path}?per_page=100&page={page}")
        raise_for_status(response, f"{target.label}: listing secrets")
        batch = response.data.get("secrets", []) if isinstance(response.data, dict) else []
        names.update(str(item["name"]).upper() for item in batch)
        if len(batch) < 100:
            return names
        page += 1


@dataclass
class SecretResult:
    name: str
    outcome: Outcome
    error: str | None = None


@dataclass
class TargetResult:
    target: Target
    secrets: list[SecretResult] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(s.outcome in ("created", "updated") for s in self.secrets)

    @property
    def mixed(self) -> bool:
        """Some secrets were written and some were not: the target holds two generations."""
        written = [s for s in self.secrets if s.outcome in ("created", "updated")]
        return bool(written) and len(written) < len(self.secrets)


def apply_push(api: GitHubApi, plan: PushPlan, values: Mapping[str, str]) -> list[TargetResult]:
    results = []
    for target_plan in plan.targets:
        result = TargetResult(target_plan.target)
        try:
            _push_target(api, target_plan, values, result)
        except GitHubError as exc:
            if exc.status == 401:
                raise  # the token is bad for every target: stop and say so once
            result.error = str(exc)
        for planned in target_plan.secrets[len(result.secrets) :]:
            result.secrets.append(SecretResult(planned.name, "not attempted"))
        results.append(result)
    return results


def _push_target(
    api: GitHubApi, target_plan: TargetPlan, values: Mapping[str, str], result: TargetResult
) -> None:
    target = target_plan.target
    response = api.request("GET", f"{target.secrets_path}/public-key")
    raise_for_status(response, f"{target.label}: fetching the public key")
    key: Mapping[str, Any] = response.data
    for planned in target_plan.secrets:
        body = {
            "encrypted_value": seal(str(key["key"]), values[planned.source]),
            "key_id": str(key["key_id"]),
        }
        response = api.request("PUT", f"{target.secrets_path}/{planned.name}", body)
        raise_for_status(response, f"{target.label}: setting {planned.name}")
        result.secrets.append(
            SecretResult(planned.name, "created" if response.status == 201 else "updated")
        )
