"""This machine's record of what it pushed where: `targets.json` in the state directory.

Per target (kind, owner, name, environment, app, prefix): when it was last pushed, when those
credentials expire, whose they are (account, role), and how the last attempt ended. Never a
credential value or a token. The file is 0600, replaced atomically, and read-modify-written
under a lock, so a scheduled run and a manual one never lose each other's entries.

Freshness is this machine's record only: a push from elsewhere, `remove`, or `gh secret set` is
not seen here. What is kept for seeing it later: when GitHub stored each secret this machine
wrote, by GitHub's clock (`written`; keepfresh/elsewhere.py compares it with `updated_at`). A
file without it (older versions) reads as "no record", never as "changed".
`clock` holds how far this machine's clock was from AWS's and GitHub's at their last answers
(server_clock.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sso_sync.files import locked, parse_utc_timestamp, read_json, utc_timestamp, write_private_json
from sso_sync.github.targets import Target
from sso_sync.keepfresh.locks import TargetLockWait, acquire_all
from sso_sync.server_clock import Reading, ServerClock

STATE_FILE = "targets.json"
# 2: each secret's own expiry (`secrets`); a version-1 file is read as it is (its one expiry
# stands for every secret) and written back as version 2 on the next change.
VERSION = 2


def target_key(target: Target, prefix: str) -> str:
    """The identity of a target's secrets: GitHub compares owner and repository names without
    case, so the key does too."""
    parts = (
        target.kind,
        target.owner.lower(),
        (target.repo or "").lower(),
        target.environment or "",
        target.app,
        prefix.upper(),
    )
    return "|".join(parts)


def key_digest(key: str) -> str:
    """A short name for a key, safe in a file name."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class TargetRecord:
    """The last thing this machine did to one target."""

    target: str  # the label, for people reading the file
    kind: str
    owner: str
    repo: str | None
    environment: str | None
    app: str
    prefix: str
    outcome: str
    attempted_at: str
    pushed_at: str | None = None  # the last push that landed whole
    expires_at: str | None = None  # when the first secret of that push expires
    secrets: dict[str, str] | None = None  # each secret (as on GitHub) and when it expires
    account_id: str | None = None
    role_name: str | None = None
    error: str | None = None  # the last attempt's one-line reason, when it failed
    # Each secret this machine wrote (as on GitHub) and when GitHub stored it, by its `Date`.
    written: dict[str, str] | None = None

    @property
    def expiry(self) -> datetime | None:
        return parse_utc_timestamp(self.expires_at)

    def remaining_seconds(self, now: datetime) -> float | None:
        expiry = self.expiry
        return None if expiry is None else (expiry - now).total_seconds()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetRecord | None:
        fields: dict[str, Any] = {name: data.get(name) for name in cls.__dataclass_fields__}
        if not all(isinstance(fields[n], str) for n in ("target", "kind", "owner", "outcome")):
            return None
        for name in ("secrets", "written"):
            table = fields[name]
            if not isinstance(table, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in table.items()
            ):
                fields[name] = None
        return cls(**fields)


def new_record(
    target: Target,
    prefix: str,
    *,
    outcome: str,
    at: datetime,
    previous: TargetRecord | None,
    expires_at: datetime | None = None,
    secrets: Mapping[str, datetime] | None = None,
    account_id: str | None = None,
    role_name: str | None = None,
    error: str | None = None,
    written: Mapping[str, datetime] | None = None,
) -> TargetRecord:
    """The record after an attempt. Only a whole push moves `pushed_at` and `expires_at`: after a
    failed one the target still holds the previous credentials. `written` (when GitHub stored
    each secret written now) is merged whatever the outcome: a secret written is written."""
    landed = outcome in ("created", "updated") and expires_at is not None
    # A mixed target holds two generations of credentials, which do not work together (and an
    # interrupted one may): it is due at once, whatever the previous push's expiry was.
    kept = previous if previous is not None and outcome not in ("mixed", "interrupted") else None
    return TargetRecord(
        target=target.label,
        kind=target.kind,
        owner=target.owner,
        repo=target.repo,
        environment=target.environment,
        app=target.app,
        prefix=prefix,
        outcome=outcome,
        attempted_at=utc_timestamp(at),
        pushed_at=utc_timestamp(at) if landed else (kept.pushed_at if kept else None),
        expires_at=(
            utc_timestamp(expires_at)
            if landed and expires_at is not None
            else (kept.expires_at if kept else None)
        ),
        secrets=(
            {n: utc_timestamp(t) for n, t in secrets.items()}
            if landed and secrets
            else (kept.secrets if kept else None)
        ),
        account_id=account_id if landed else (kept.account_id if kept else None),
        role_name=role_name if landed else (kept.role_name if kept else None),
        error=error,
        written=_merged_writes(previous, written),
    )


def _merged_writes(
    previous: TargetRecord | None, written: Mapping[str, datetime] | None
) -> dict[str, str] | None:
    merged = dict(previous.written or {}) if previous is not None else {}
    merged.update({n: utc_timestamp(t) for n, t in (written or {}).items()})
    return merged or None


class StateStore:
    """The state file and the per-target write locks, both under one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / STATE_FILE

    def read(self) -> dict[str, TargetRecord]:
        """Every record; a missing or unreadable-as-JSON file is an empty record."""
        data = read_json(self.path) or {}
        self._check_version(data)
        return _records(data)

    def update(self, records: Mapping[str, TargetRecord]) -> None:
        """Merge `records` into the file: read, change, replace, under the file's lock."""
        if not records:
            return
        with locked(self.path):
            # Read once: what was read under the lock is the file until this write.
            data = read_json(self.path) or {}
            current = {k: asdict(v) for k, v in _records(data).items()}
            current.update({k: asdict(v) for k, v in records.items()})
            self._write(data, targets=current)

    def record_job(self, name: str, run: Mapping[str, Any]) -> None:
        """A scheduled job's last run (`at`, `ok`, `error`, `sign_in`), for `schedule status`."""
        with locked(self.path):
            data = read_json(self.path) or {}
            jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}
            assert isinstance(jobs, dict)
            jobs[name] = dict(run)
            self._write(data, jobs=jobs)

    def _check_version(self, data: Mapping[str, Any]) -> None:
        """A file a newer sso-sync wrote may hold what this one would drop on its next write:
        refused (exit 2), never rewritten as an older version."""
        from sso_sync.errors import ConfigError

        version = data.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
            raise ConfigError(
                f"{self.path} was written by a newer sso-sync (state version {version}, this "
                f"one reads up to {VERSION}): upgrade sso-sync, or move the file away"
            )

    def _write(self, data: Mapping[str, Any], **changed: Any) -> None:
        """The file with `changed` sections replaced and the others kept (under the lock;
        `data`: the file as read under it)."""
        self._check_version(data)
        jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}
        clock = data.get("clock") if isinstance(data.get("clock"), dict) else {}
        targets = changed.get("targets")
        if targets is None:  # the records that read well, as `read` sees them
            targets = {k: asdict(v) for k, v in _records(data).items()}
        # Other sections (`notices`, ...) are kept as they are.
        whole = {**data, "version": VERSION, "targets": targets, "jobs": jobs, "clock": clock}
        write_private_json(self.path, {**whole, **changed})

    def record_clock(self, source: str, reading: Reading) -> None:
        """How far this machine's clock is from `source`'s (server_clock.py), and when that
        was measured: the offset `doctor` checks and freshness is judged by."""
        with locked(self.path):
            data = read_json(self.path) or {}
            clock = dict(data.get("clock") or {}) if isinstance(data.get("clock"), dict) else {}
            clock[source] = {"offset_seconds": reading.offset, "measured_at": reading.at}
            self._write(data, clock=clock)

    def read_clock(self) -> dict[str, Reading]:
        """The offsets recorded, by source; none in a file written before they were."""
        data = read_json(self.path) or {}
        clock = data.get("clock")
        out: dict[str, Reading] = {}
        for source, entry in clock.items() if isinstance(clock, dict) else ():
            if not isinstance(entry, dict):
                continue
            offset, at = entry.get("offset_seconds"), entry.get("measured_at")
            if isinstance(offset, (int, float)) and isinstance(at, (int, float)):
                out[str(source)] = Reading(float(offset), float(at))
        return out

    def read_section(self, name: str) -> dict[str, Any]:
        """A section of the file other than the targets and jobs (`notices`); {} when absent."""
        section = (read_json(self.path) or {}).get(name)
        return section if isinstance(section, dict) else {}

    def update_section(
        self, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        """Replace a section by `change(section)` under the file's lock; returns the new one."""
        with locked(self.path):
            data = read_json(self.path) or {}
            self._check_version(data)
            old = data.get(name)
            new = change(dict(old) if isinstance(old, dict) else {})
            if new != old:  # most pushes change nothing here: no write
                data.setdefault("version", VERSION)
                write_private_json(self.path, {**data, name: new})
            return new

    def forget_job(self, name: str) -> None:
        """Drop a removed job's last run: `schedule status` and `doctor` judge a job by it."""
        with locked(self.path):
            data = read_json(self.path) or {}
            jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}
            assert isinstance(jobs, dict)
            if jobs.pop(name, None) is None:
                return
            self._write(data, jobs=jobs)

    def read_job(self, name: str) -> dict[str, Any] | None:
        data = read_json(self.path) or {}
        jobs = data.get("jobs")
        entry = jobs.get(name) if isinstance(jobs, dict) else None
        return entry if isinstance(entry, dict) and "at" in entry and "ok" in entry else None

    def lock_path(self, key: str) -> Path:
        return self.directory / "locks" / f"{key_digest(key)}.lock"

    @contextmanager
    def holding(self, keys: Iterable[str], wait: TargetLockWait) -> Iterator[set[str]]:
        """Take the write lock of every key it can before the wait ends; yields the keys held
        (the others are busy) and releases them on exit."""
        held = acquire_all({k: self.lock_path(k) for k in keys}, wait)
        try:
            yield set(held)
        finally:
            for lock in held.values():
                lock.release()


def _records(data: Mapping[str, Any]) -> dict[str, TargetRecord]:
    """The records in the file's `data`; an entry that does not read as one is left out."""
    targets = data.get("targets")
    if not isinstance(targets, dict):
        return {}
    records = {}
    for key, entry in targets.items():
        record = TargetRecord.from_dict(entry) if isinstance(entry, dict) else None
        if record is not None:
            records[str(key)] = record
    return records


def store_for(environ: Mapping[str, str]) -> StateStore:
    """This user's state file and locks, under `$XDG_STATE_HOME/sso-sync/` (state_dir.py)."""
    from sso_sync.state_dir import state_dir

    return StateStore(state_dir(environ))


def recorded_clock(store: Callable[[], StateStore]) -> ServerClock:
    """The servers' clock as this machine recorded it, each new measurement written back. A
    state file that cannot be read or written must not fail a command that only measures the
    clock (the command that needs the file says why): the offset is still used for the run."""
    import logging

    from sso_sync.errors import SsoSyncError

    try:
        opened = store()
        readings = opened.read_clock()
    except (OSError, SsoSyncError):
        return ServerClock()

    def note(source: str, reading: Reading) -> None:
        try:
            opened.record_clock(source, reading)
        except (OSError, SsoSyncError) as exc:
            logging.getLogger(__name__).debug("clock offset not recorded: %s", exc)

    return ServerClock(readings=readings, on_change=note)
