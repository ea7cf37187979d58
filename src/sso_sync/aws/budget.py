"""The session budget: until when pushes can go on with nobody there, as far as a client knows.

Unattended pushes need a silent refresh, which needs the client registration (its end is in the
token cache as `registrationExpiresAt`) and the refresh token (its end, where a cache records
it, as `refreshTokenExpiresAt`). The portal session's own end is an administrator's setting
(8 hours by default, up to 90 days) that no API reveals, so the budget is an upper bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sso_sync.files import parse_utc_timestamp, utc_timestamp

PORTAL_NOTE = (
    "the portal session's own end (8 h by default, up to 90 days) is an administrator's "
    "setting that no API reveals: it may come sooner"
)


@dataclass(frozen=True)
class SessionBudget:
    until: str | None  # at most until then; None: no unattended pushes at all
    limited_by: str  # what sets `until`
    note: str = PORTAL_NOTE

    def remaining_seconds(self, now: datetime) -> float | None:
        moment = parse_utc_timestamp(self.until)
        return None if moment is None else (moment - now).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def session_budget(entry: Mapping[str, Any] | None, *, refreshable: bool) -> SessionBudget:
    """From the token cache entry of a profile (None when there is none)."""
    if entry is None:
        return SessionBudget(None, "no sign-in cached")
    access = parse_utc_timestamp(entry.get("expiresAt"))
    if not refreshable:
        access_end = utc_timestamp(access) if access else None
        return SessionBudget(access_end, "the access token (it cannot be refreshed silently)")
    ends = {
        "the client registration": parse_utc_timestamp(entry.get("registrationExpiresAt")),
        "the refresh token": parse_utc_timestamp(entry.get("refreshTokenExpiresAt")),
    }
    known = sorted((moment, what) for what, moment in ends.items() if moment is not None)
    if not known:
        return SessionBudget(None, "nothing in the cache says")
    first, limited_by = known[0]
    return SessionBudget(utc_timestamp(first), limited_by)


WARN_UNDER_SECONDS = 24 * 3600
WARN_EVERY_SECONDS = 24 * 3600


def budget_warning(
    budget: SessionBudget, profile: str, now: datetime, last_warned: datetime | None
) -> str | None:
    """One line when under 24 hours of unattended pushes remain, at most once a day."""
    left = budget.remaining_seconds(now)
    if left is None or left >= WARN_UNDER_SECONDS:
        return None
    if last_warned is not None and (now - last_warned).total_seconds() < WARN_EVERY_SECONDS:
        return None
    hours, rest = divmod(max(0, int(left)), 3600)
    return (
        f"warning: unattended pushes for profile '{profile}' can go on for at most {hours} h "
        f"{rest // 60} min (until {budget.until}, {budget.limited_by}): run "
        f"`sso-sync login --new-session --profile {profile}` before then"
    )
