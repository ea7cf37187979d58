"""The plan: which secrets go to which targets, decided before any write.

Pure: `plan_sets` drives both `--dry-run` and the writes (github/push.py applies it), and the
reads that feed it (repository ids, organization secrets' visibilities) are made elsewhere and
passed in. The types live here, below the modules that read and write, so none of them imports
another to name a plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from sso_sync.errors import GitHubError, UsageError
from sso_sync.github.targets import Target, TargetSet, Visibility, validate_secret_names
from sso_sync.sources import source_key

Action = Literal["create", "update", "set"]

# What a new organization secret gets when no option says: `gh secret set --org`'s default.
DEFAULT_VISIBILITY: Visibility = "private"
# Where a planned secret's visibility comes from: the option (or config key), the secret that is
# there now, or the default for a new secret.
VisibilitySource = Literal["option", "kept", "default"]


@dataclass(frozen=True)
class CurrentVisibility:
    """An existing organization secret's visibility, and its repositories when `selected`."""

    visibility: Visibility
    repository_ids: tuple[int, ...] = ()


# A look-up's answer: the secret's visibility, None when it does not exist, or why we cannot tell.
LookUp: TypeAlias = CurrentVisibility | GitHubError | None


def keeps_visibility(target: Target) -> bool:
    """Whether `target`'s secrets keep the visibility they have (no option decides it)."""
    return target.kind == "org" and target.visibility is None


def lookup_key(target: Target, name: str) -> tuple[str, str]:
    return (target.address, name.upper())


def planned_visibility(
    target: Target,
    name: str,
    ids: tuple[int, ...],
    current: Mapping[tuple[str, str], LookUp] | None,
) -> tuple[Visibility | None, VisibilitySource | None, tuple[int, ...], GitHubError | None]:
    """What the PUT of secret `name` on `target` will send: (visibility, where it comes from,
    repository ids, why it cannot be written). `ids` are the option's `--selected-repo` ids;
    `current` the look-ups (None: not made yet, so nothing is decided)."""
    if target.kind != "org":
        return None, None, (), None
    if target.visibility is not None:
        chosen = ids if target.visibility == "selected" else ()
        return target.visibility, "option", chosen, None
    if current is None:
        return None, None, (), None
    answer = current.get(lookup_key(target, name), _NOT_LOOKED_UP)
    if answer is _NOT_LOOKED_UP:
        why = f"{target.label}: the visibility of {name} was not looked up, so it was not written"
        return None, None, (), GitHubError(why)
    if isinstance(answer, GitHubError):
        return None, None, (), answer
    if answer is None:
        return DEFAULT_VISIBILITY, "default", (), None
    assert isinstance(answer, CurrentVisibility)
    return answer.visibility, "kept", answer.repository_ids, None


_NOT_LOOKED_UP = GitHubError("not looked up")


@dataclass(frozen=True)
class PlannedSecret:
    name: str  # as stored on GitHub, prefix included
    source: str  # which credential field it carries
    action: Action  # "set" when we did not ask GitHub whether it exists
    # Organization secrets: the visibility the PUT sends, and where it comes from (None: not
    # looked up yet); `blocked`: why it could not be looked up, which fails this secret's write.
    visibility: Visibility | None = None
    visibility_source: VisibilitySource | None = None
    selected_repository_ids: tuple[int, ...] = ()
    blocked: GitHubError | None = field(default=None, compare=False, repr=False)

    def visibility_dict(self) -> dict[str, Any]:
        if self.visibility is None:
            return {}
        entry: dict[str, Any] = {
            "visibility": self.visibility,
            "visibility_source": self.visibility_source,
        }
        if self.visibility == "selected":
            entry["selected_repository_ids"] = list(self.selected_repository_ids)
        return entry


@dataclass(frozen=True)
class TargetPlan:
    target: Target
    secrets: tuple[PlannedSecret, ...]
    profile: str | None = None  # whose credentials; None: the one profile of the run
    set_name: str | None = None
    selected_repository_ids: tuple[int, ...] = ()

    @property
    def visibility(self) -> Visibility | None:
        """The one visibility of an organization target's secrets; None when they differ
        (each keeps its own) or for other targets."""
        kinds = {(s.visibility, s.selected_repository_ids) for s in self.secrets}
        if self.target.kind != "org" or len(kinds) != 1:
            return None
        return next(iter(kinds))[0]

    @property
    def label(self) -> str:
        return self.target.label + (f" [{self.set_name}]" if self.set_name else "")

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"target": self.target.label, "set": self.set_name}
        if self.target.kind == "org":
            # null when the secrets' visibilities differ: each secret then says its own.
            entry["visibility"] = self.visibility
            if self.visibility == "selected":
                entry["selected_repository_ids"] = list(self.secrets[0].selected_repository_ids)
        return entry


@dataclass(frozen=True)
class PushPlan:
    targets: tuple[TargetPlan, ...]

    def deciding(self, current: Mapping[tuple[str, str], LookUp]) -> PushPlan:
        """This plan, with the visibilities of the organization secrets that keep theirs
        decided from the look-ups in `current`: a push plans once, before the look-ups (which
        the plan names), and decides those after, rather than planning its sets again."""
        return PushPlan(
            tuple(
                _deciding(tp, current) if keeps_visibility(tp.target) else tp for tp in self.targets
            )
        )

    def as_dict(self, profiles: Mapping[str | None, str]) -> dict[str, Any]:
        """The dry run's JSON; `profiles` names each set's profile. Each secret carries the
        real run's `outcome` word beside the older `action`."""
        only = list(profiles.values())
        return {
            "profile": only[0] if len(only) == 1 else None,
            "dry_run": True,
            "targets": [
                {
                    **tp.as_dict(),
                    "profile": profiles[tp.profile],
                    "secrets": [
                        {
                            "name": s.name,
                            "action": s.action,
                            "outcome": _WOULD[s.action],
                            **s.visibility_dict(),
                        }
                        for s in tp.secrets
                    ],
                }
                for tp in self.targets
            ],
        }


_WOULD: dict[Action, str] = {"create": "created", "update": "updated", "set": "updated"}


def _deciding(tp: TargetPlan, current: Mapping[tuple[str, str], LookUp]) -> TargetPlan:
    import dataclasses

    secrets = []
    for s in tp.secrets:
        visibility, source, ids, blocked = planned_visibility(
            tp.target, s.name, tp.selected_repository_ids, current
        )
        secrets.append(
            dataclasses.replace(
                s,
                visibility=visibility,
                visibility_source=source,
                selected_repository_ids=ids,
                blocked=blocked,
            )
        )
    return dataclasses.replace(tp, secrets=tuple(secrets))


def plan_push(
    targets: Sequence[Target],
    prefix: str = "",
    existing: Mapping[Target, set[str]] | None = None,
    *,
    repo_ids: Mapping[str, int] | None = None,
) -> PushPlan:
    """Every target gets every credential secret; names are validated before anything is sent."""
    one = [TargetSet(None, None, prefix, tuple(targets))]
    check_sets(one)
    return plan_sets(one, existing, repo_ids=repo_ids)


def check_sets(sets: Sequence[TargetSet]) -> None:
    """Secret names valid, and no secret of a target written by two sets (the second would
    silently overwrite the first). Pure; runs before any request."""
    claimed: dict[tuple[str, str], str] = {}
    for target_set in sets:
        names = target_set.secret_names()
        validate_secret_names(names)
        for target in dict.fromkeys(target_set.targets):
            for name in names:
                other = claimed.setdefault((target.address, name.upper()), _set_label(target_set))
                if other != _set_label(target_set):
                    raise UsageError(
                        f"{target.label}: {name} would be written by both {other} and "
                        f"{_set_label(target_set)}: give one of them another prefix"
                    )


def plan_sets(
    sets: Sequence[TargetSet],
    existing: Mapping[Target, set[str]] | None = None,
    *,
    repo_ids: Mapping[str, int] | None = None,
    current: Mapping[tuple[str, str], LookUp] | None = None,
) -> PushPlan:
    """The plan for several sets at once.

    `existing` maps a target to the (upper-cased) names already there, when a dry run asked;
    `repo_ids` maps "owner/name" (lower-cased) to repository ids for selected-visibility
    organization secrets; `current` holds the organization secrets' visibilities as
    `org_visibility` looked them up (without it, those that keep theirs are not decided yet).
    The caller has run `check_sets` first, before any request.
    """
    plans: list[TargetPlan] = []
    for target_set in sets:
        names = target_set.secret_names()
        # Each value is looked up by its source too (sources.source_key).
        unprefixed = [source_key(src, n) for src in target_set.sources for n in src.secret_names()]
        for target in dict.fromkeys(target_set.targets):  # a target named twice is pushed once
            known = None if existing is None else existing.get(target)
            ids: tuple[int, ...] = ()
            if target.selected_repos:
                ids = tuple(_repo_id(repo_ids, name) for name in target.selected_repos)
            secrets = tuple(
                PlannedSecret(
                    name,
                    source,
                    "set" if known is None else ("update" if name.upper() in known else "create"),
                    *planned_visibility(target, name, ids, current),
                )
                for name, source in zip(names, unprefixed, strict=True)
            )
            plans.append(TargetPlan(target, secrets, target_set.profile, target_set.name, ids))
    return PushPlan(tuple(plans))


def _set_label(target_set: TargetSet) -> str:
    return f"set '{target_set.name}'" if target_set.name else "the command line"


def _repo_id(repo_ids: Mapping[str, int] | None, name: str) -> int:
    if repo_ids is None or name.lower() not in repo_ids:
        raise UsageError(f"repository {name} was not looked up: resolve selected ids first")
    return repo_ids[name.lower()]
