"""`doctor`'s checks: one result per item, each saying what is wrong and what to do.

Plain functions over injected clients. They read, and write only what `status` writes (a silent
token refresh, the role cache): never a secret, never to GitHub. A check that does not apply
(no config file, no targets, no schedule) is shown as such and does not fail.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sso_sync.errors import SsoSyncError

if TYPE_CHECKING:
    from sso_sync.aws.status import StatusReport
    from sso_sync.github.app_auth import AppInstallations
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import Target
    from sso_sync.keepfresh.elsewhere import ChangedSecret
    from sso_sync.server_clock import Reading
    from sso_sync.sources import IssuedSecret

Status = Literal["ok", "fail", "not applicable", "not checkable"]
MARK: dict[Status, str] = {"ok": "✔", "fail": "✘", "not applicable": "-", "not checkable": "?"}

# What a classic token needs, per kind of target (GitHub's REST docs for each endpoint).
_CLASSIC_SCOPE = {"repo": "repo", "env": "repo", "org": "admin:org", "user": "codespace"}


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def line(self) -> str:
        text = f"{MARK[self.status]} {self.name}: {self.detail}"
        return text + (f" (fix: {self.fix})" if self.fix else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.failed for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


# --- the config file ---------------------------------------------------------------------


def check_config_file(
    path: Path | None,
    load: Callable[[Path], object],
    confirmed: Callable[[Path], bool] | None = None,
) -> Check:
    """Valid (it loads) and trusted: a file others may write could point pushes elsewhere.
    `confirmed` is given for a discovered file (not --config): unattended runs use it only
    once someone confirmed it at a terminal."""
    if path is None:
        return Check("config file", "not applicable", "none found")
    from sso_sync.config_trust import check_safe_to_read

    try:
        # What `push` refuses, in `push`'s words (each names its fix).
        check_safe_to_read(path)
    except SsoSyncError as exc:
        return Check("config file", "fail", str(exc))
    try:
        load(path)
    except SsoSyncError as exc:
        return Check("config file", "fail", str(exc), "correct the file")
    info = path.stat()
    if info.st_mode & stat.S_IWGRP:
        return Check(
            "config file",
            "fail",
            f"{path}: a config file its group can write (mode {stat.S_IMODE(info.st_mode):04o})"
            f": chmod g-w {path}",
        )
    if confirmed is not None and not confirmed(path):
        return Check(
            "config file",
            "fail",
            f"{path} was found by searching upward and is not confirmed (or changed since): "
            "unattended runs refuse it",
            "run `sso-sync push --dry-run` once at a terminal to confirm it, or pass "
            f"--config {path}",
        )
    return Check("config file", "ok", f"{path} is valid and only you can change it")


# --- AWS ---------------------------------------------------------------------------------


def aws_checks(report: StatusReport, login_hint: str) -> list[Check]:
    """The sign-in, the client registration and the role credentials, from `status`'s report."""
    s, reg, role, who = (
        report.sso_session,
        report.registration,
        report.role_credentials,
        report.caller_identity,
    )
    sign_in = Check(
        "sign-in",
        "fail" if report.sign_in_needed else "ok",
        s.verdict + (f" (expires {s.expires_at})" if s.expires_at else ""),
        login_hint if report.sign_in_needed else None,
    )
    if s.session_name is None:
        registration = Check("client registration", "not applicable", reg.verdict)
    elif reg.expires_at is None or reg.verdict.startswith("expired"):
        registration = Check("client registration", "fail", reg.verdict, login_hint)
    else:
        registration = Check("client registration", "ok", f"{reg.verdict} (until {reg.expires_at})")
    where = f"{role.account_id}/{role.role_name}"
    if role.expires_at is not None and who.arn is not None:
        roles = Check("role credentials", "ok", f"{where}: {role.verdict}; STS: {who.arn}")
    else:
        fix = login_hint if report.sign_in_needed else None
        verdict = who.verdict if role.expires_at is not None else role.verdict
        roles = Check("role credentials", "fail", f"{where}: {verdict}", fix)
    return [sign_in, registration, roles]


def check_source(name: str, fetch: Callable[[], Iterable[IssuedSecret]]) -> Check:
    """Whether the role may get a source's values (a registry token): they are fetched (and
    dropped, never shown) by the row's own `fetch`; a refusal names the IAM actions to grant."""
    from sso_sync.errors import PermissionMissing
    from sso_sync.files import utc_timestamp

    try:
        issued = list(fetch())
    except PermissionMissing as exc:
        actions = " and ".join(exc.actions)
        return Check(
            name,
            "fail",
            f"AWS refused it: the role's permission set does not allow {actions}",
            f"add {actions} to the permission set",
        )
    except SsoSyncError as exc:
        return Check(name, "fail", str(exc))
    until = utc_timestamp(min(s.expires_at for s in issued)) if issued else "unknown"
    return Check(name, "ok", f"the role may get one (fetched, not shown; valid until {until})")


# --- GitHub ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitHubAuth:
    """What `doctor` learnt about the credentials GitHub was given."""

    kind: Literal["app", "classic", "fine-grained", "installation", "unknown"]
    scopes: frozenset[str] = frozenset()
    app: AppInstallations | None = None


def check_github_auth(
    api: GitHubApi, source: str, app: AppInstallations | None, owners: Sequence[str]
) -> tuple[Check, GitHubAuth | None]:
    """Which source, and does GitHub accept it: `GET /user` for a token (its `X-OAuth-Scopes`
    tell a classic token); for an App, its installation on each target owner."""
    from sso_sync.github.rest import raise_for_status

    name = "GitHub auth"
    try:
        if app is not None:
            if not owners:
                return Check(name, "not checkable", f"{source}: no target owner to look up"), None
            found = []
            for owner in owners:
                found.append(f"{owner} (installation {app.installation_id(owner)})")
            return (
                Check(name, "ok", f"{source}: installed on {', '.join(found)}"),
                GitHubAuth("app", app=app),
            )
        response = api.request("GET", "/user")
        if response.status == 403:  # an installation token (as GITHUB_TOKEN in Actions)
            return Check(name, "ok", f"{source}: accepted (not a user token)"), GitHubAuth(
                "installation"
            )
        raise_for_status(response, "GET /user")
    except SsoSyncError as exc:
        return Check(name, "fail", f"{source}: {exc}"), None
    login = response.data.get("login") if isinstance(response.data, dict) else None
    header = response.headers.get("x-oauth-scopes")
    if header is None:
        auth = GitHubAuth("fine-grained")
        kind = "a fine-grained token"
    else:
        auth = GitHubAuth("classic", frozenset(s.strip() for s in header.split(",") if s.strip()))
        kind = f"a classic token with scopes {header or '(none)'}"
    return Check(name, "ok", f"{source}: accepted, {kind} of {login or 'an unknown user'}"), auth


def check_target(
    api: GitHubApi, target: Target, auth: GitHubAuth, set_name: str | None = None
) -> Check:
    """It exists, its public key can be read, and whether the credentials may write there.
    Named as `list` and `push` name it: with its set, when it comes from one."""
    from sso_sync.github.app_auth import permissions_for
    from sso_sync.github.rest import raise_for_status

    name = target.label + (f" [{set_name}]" if set_name else "")
    try:
        if target.kind == "org":
            where = f"/orgs/{target.owner}"
        elif target.kind == "user":
            where = "/user"
        else:
            where = f"/repos/{target.owner}/{target.repo}"
            if target.kind == "env":
                from urllib.parse import quote

                where += f"/environments/{quote(target.environment or '', safe='')}"
        raise_for_status(api.request("GET", where), "not found", not_found=target.not_found_hint)
        key = api.request("GET", f"{target.secrets_path}/public-key")
        raise_for_status(key, "its public key", not_found=target.not_found_hint)
    except SsoSyncError as exc:
        return Check(name, "fail", str(exc), _fix_for(exc))
    exists = "exists, public key readable"
    if auth.kind == "app" and auth.app is not None:
        granted = auth.app.granted(target.owner) or {}
        needed = {k: v for k, v in permissions_for([target], write=True).items() if v == "write"}
        missing = [f"{k}=write" for k in needed if granted.get(k) != "write"]
        if missing:
            return Check(
                name,
                "fail",
                f"{exists}; the App's installation lacks {', '.join(missing)}",
                "grant it in the App's permissions and accept it on the installation",
            )
        return Check(name, "ok", f"{exists}; the installation may write ({', '.join(needed)})")
    if auth.kind == "classic":
        scope = _CLASSIC_SCOPE[target.kind]
        # The narrower scopes GitHub also accepts for these endpoints.
        also = {"admin:org": "write:org", "codespace": "codespace:secrets"}.get(scope)
        if scope in auth.scopes or also in auth.scopes:
            return Check(name, "ok", f"{exists}; the token has the {scope} scope")
        return Check(
            name,
            "fail",
            f"{exists}; the token lacks the {scope} scope",
            f"gh auth refresh -s {scope}",
        )
    return Check(
        name,
        "not checkable",
        f"{exists}; write permission not checkable: GitHub tells a fine-grained token's "
        "permissions only when a write is refused",
    )


def check_notify_issue(api: GitHubApi, repo: str, auth: GitHubAuth) -> Check:
    """Whether `--notify-issue OWNER/REPO` can open, comment on and close the issue there:
    an App's installation needs issues=write; a classic token the repo scope; a user token's
    own rights on the repository show in its `permissions` (closing needs triage or more)."""
    from sso_sync.github.rest import raise_for_status

    name = f"notification issue in {repo}"
    try:
        response = api.request("GET", f"/repos/{repo}")
        raise_for_status(response, "not found", not_found="check OWNER/REPO and the token's access")
    except SsoSyncError as exc:
        return Check(name, "fail", str(exc), _fix_for(exc))
    if auth.kind == "app" and auth.app is not None:
        granted = auth.app.granted(repo.partition("/")[0]) or {}
        if granted.get("issues") != "write":
            return Check(
                name,
                "fail",
                "the App's installation lacks issues=write: no issue can be opened there",
                "grant Issues: write in the App's permissions and accept it on the installation",
            )
        return Check(name, "ok", "the installation may write issues")
    if auth.kind == "classic" and not auth.scopes & {"repo", "public_repo"}:
        return Check(name, "fail", "the token lacks the repo scope", "gh auth refresh -s repo")
    rights = response.data.get("permissions") if isinstance(response.data, dict) else None
    if isinstance(rights, dict):
        if any(rights.get(k) for k in ("triage", "push", "maintain", "admin")):
            return Check(name, "ok", "the token may open, comment on and close issues")
        return Check(
            name,
            "fail",
            "the token may read the repository but not close its issues (needs triage or more)",
            "give the token's user triage (or write) access to the repository",
        )
    return Check(
        name,
        "not checkable",
        "the repository exists; GitHub does not say whether this token may write issues there",
    )


def changed_checks(changed: Sequence[ChangedSecret]) -> dict[Target, Check]:
    """Per target, a failing check naming each secret another writer changed since this
    machine wrote it, when, and the fixes (keepfresh/elsewhere.py)."""
    from sso_sync.keepfresh.elsewhere import FIX

    by_target: dict[Target, list[ChangedSecret]] = {}
    for c in changed:
        by_target.setdefault(c.target, []).append(c)
    return {
        target: Check(
            found[0].label,  # with its set, as the target's own check is named
            "fail",
            "; ".join(
                f"{c.name} changed elsewhere at {c.updated_at} (this machine wrote it at "
                f"{c.written_at}): it no longer holds this machine's credentials"
                for c in found
            ),
            FIX,
        )
        for target, found in by_target.items()
    }


def _fix_for(exc: SsoSyncError) -> str | None:
    status = getattr(exc, "status", None)
    if status == 401:
        return "set a valid GH_TOKEN, or `gh auth login`"
    return None


def check_schedule(job: str, last_run: Mapping[str, Any] | None) -> Check:
    """The scheduled job for these targets (`schedule install`), by the last run it recorded:
    a failed last run fails the check, with the sign-in to run when it needed one."""
    if last_run is None:
        return Check("schedule", "not applicable", f"no run of job {job} recorded on this machine")
    when = last_run.get("at") or "?"
    if last_run.get("ok"):
        return Check("schedule", "ok", f"job {job}: last run {when} succeeded")
    fix = (
        f"run `{last_run['sign_in']}`"
        if last_run.get("sign_in")
        else "see `sso-sync schedule status`"
    )
    return Check(
        "schedule", "fail", f"job {job}: last run {when} failed: {last_run.get('error')}", fix
    )


_SERVER_NAMES = {"aws": "AWS", "github": "GitHub"}


def check_clock(readings: Mapping[str, Reading]) -> Check:
    """This machine's clock against AWS's and GitHub's, by the `Date` of their answers (this
    run's, else the last ones recorded): beyond SKEW_LIMIT, signing and App JWTs fail."""
    from sso_sync.server_clock import SET_CLOCK_FIX, SKEW_LIMIT, describe_offset

    if not readings:
        return Check("clock", "not checkable", "no answer from AWS or GitHub to compare it with")

    def named(sources: Iterable[str]) -> str:
        return "'s and ".join(_SERVER_NAMES.get(s, s) for s in sorted(sources)) + "'s"

    worst = max((r.offset for r in readings.values()), key=abs)
    off = [s for s, r in readings.items() if abs(r.offset) > SKEW_LIMIT]
    if off:
        return Check(
            "clock",
            "fail",
            f"this machine's clock is {describe_offset(worst)} {named(off)} (by the Date of "
            "their answers): AWS refuses requests signed more than 5 to 15 minutes off, GitHub "
            "an App JWT from its future",
            SET_CLOCK_FIX,
        )
    return Check("clock", "ok", f"within {int(SKEW_LIMIT // 60)} minutes of {named(readings)}")


def not_checked(name: str, why: str) -> Check:
    return Check(name, "not applicable", f"not checked: {why}")
