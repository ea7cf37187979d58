"""What a push did, as every command reports it: per target written, its result; per target
held back, why (fresh or busy); the credentials pushed, the variables set, and why a run
stopped early. Printed by the CLI (`as_dict` is the `--json` shape), recorded by keepfresh."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sso_sync.durations import human_duration
from sso_sync.outcomes import TargetOutcome, target_row
from sso_sync.sources import IssuedSecret
from sso_sync.wording import failed_targets

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.github.push import TargetResult
    from sso_sync.github.targets import Target
    from sso_sync.github.variables import VariableResult


@dataclass(frozen=True)
class HeldTarget:
    """A target this run did not write: `fresh` (enough life left) or `busy` (locked)."""

    target: Target
    set_name: str | None
    outcome: TargetOutcome
    remaining_seconds: float | None

    @property
    def ok(self) -> bool:
        return self.outcome == "fresh"

    @property
    def label(self) -> str:
        return self.target.label + (f" [{self.set_name}]" if self.set_name else "")

    def describe(self) -> str:
        if self.outcome == "fresh":
            return f"{self.label}: fresh ({human_duration(self.remaining_seconds or 0)} left)"
        return (
            f"{self.label}: busy: another sso-sync run held this target until the --timeout "
            "deadline: re-run once it is done"
        )

    def as_dict(self) -> dict[str, Any]:
        error = None if self.ok else "locked by another sso-sync run"
        row = target_row(
            self.target.label, self.set_name, self.outcome, (self.ok, False), error, []
        )
        return {**row, "remaining_seconds": _whole(self.remaining_seconds)}


@dataclass
class PushRun:
    """What a push did: per target, the credentials it pushed, and the expiry variables."""

    results: list[TargetResult]
    credentials: list[tuple[str, RoleCredentials]]  # (profile name, credentials) per profile
    variables: list[VariableResult] = field(default_factory=list)
    profiles: list[str | None] = field(default_factory=list)  # the sets' profiles, as credentials
    # Targets not written: fresh (enough life left) or busy (another run's lock); see keepfresh.
    held: list[HeldTarget] = field(default_factory=list)
    remaining: dict[str, float | None] = field(default_factory=dict)  # by label, written targets
    interrupted: bool = False  # Ctrl-C: the report is printed, then exit 130
    stopped: str | None = None  # why the run ended before its writes (the deadline)
    # By profile, each secret's expiry (unprefixed name): a target is due when any secret is.
    issued: dict[str | None, dict[str, datetime]] = field(default_factory=dict)

    def credentials_of(self, profile: str | None) -> RoleCredentials | None:
        """The credentials pushed for a set's profile (the run's only ones for `None`)."""
        by_profile = dict(zip(self.profiles, (c for _n, c in self.credentials), strict=False))
        found = by_profile.get(profile)
        if found is None and len(self.credentials) == 1:
            return self.credentials[0][1]
        return found

    @property
    def ok(self) -> bool:
        return (
            all(r.ok for r in self.results)
            and all(h.ok for h in self.held)
            and all(v.error is None for v in self.variables)
        )

    def failure(self) -> str | None:
        """One line for the error exit, or None when everything landed."""
        if self.stopped:
            return self.stopped
        failed = [(r.label, r.status) for r in self.results if not r.ok]
        failed += [(h.label, h.outcome) for h in self.held if not h.ok]
        if failed:
            return failed_targets(failed, len(self.results) + len(self.held))
        errors = [v.error for v in self.variables if v.error is not None]
        return "; ".join(errors) if errors else None

    def as_dict(self) -> dict[str, Any]:
        single = self.credentials[0] if len(self.credentials) == 1 else None
        return {
            "profile": single[0] if single else None,
            "account_id": single[1].account_id if single else None,
            "role_name": single[1].role_name if single else None,
            "expiration": single[1].expiration_text if single else None,
            "credentials": [
                {
                    "profile": name,
                    "account_id": c.account_id,
                    "role_name": c.role_name,
                    "expiration": c.expiration_text,
                }
                for name, c in self.credentials
            ],
            "dry_run": False,
            "ok": all(r.ok for r in self.results) and all(h.ok for h in self.held),
            "targets": [
                {**r.as_dict(), "remaining_seconds": _whole(self.remaining.get(r.label))}
                for r in self.results
            ]
            + [h.as_dict() for h in self.held],
        }


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds)


@dataclass(frozen=True)
class ProfileSecrets:
    """One profile's role credentials, and what its sets' sources issued with them."""

    credentials: RoleCredentials
    issued: Mapping[str, IssuedSecret]  # by unprefixed secret name


def expiries(issued: Mapping[str | None, ProfileSecrets]) -> dict[str | None, dict[str, datetime]]:
    return {p: {n: s.expires_at for n, s in i.issued.items()} for p, i in issued.items()}
