"""`sso-sync doctor`: a checklist of everything a push needs, one line each, with the fix."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.cli.groups import Sources
from sso_sync.cli.options import (
    ApiUrlOption,
    JsonOption,
    NotifyIssueOption,
    ProfileOption,
    TimeoutOption,
)
from sso_sync.cli.source_options import (
    CodeArtifactOption,
    CodeArtifactOwnerOption,
    EcrOption,
    RegionOption,
)
from sso_sync.cli.target_options import TargetOptions, target_options
from sso_sync.clients import command_deadline
from sso_sync.errors import OperationFailed, SsoSyncError, UsageError

if TYPE_CHECKING:
    from sso_sync.aws.session import AwsSession
    from sso_sync.deadline import Deadline
    from sso_sync.doctor import Check, DoctorReport
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import Target, TargetSet
    from sso_sync.sources import CredentialSource

DOCTOR_TIMEOUT = 60.0


@target_options
def doctor(
    targets: TargetOptions,
    profile: ProfileOption = None,
    api_url: ApiUrlOption = None,
    timeout: TimeoutOption = DOCTOR_TIMEOUT,
    as_json: JsonOption = False,
    ecr: EcrOption = False,
    codeartifact: CodeArtifactOption = None,
    codeartifact_owner: CodeArtifactOwnerOption = None,
    region: RegionOption = None,
    notify_issue: NotifyIssueOption = None,
) -> None:
    """Check the set-up: AWS config and profile, sign-in, client registration, role
    credentials, GitHub auth, each target (exists, public key, permission; no secret this machine
    wrote changed elsewhere since), the notification issue's repository (with --notify-issue or a
    set's notify-issue), the config file.

    With --ecr or --codeartifact DOMAIN, also whether the role may get that registry token
    (one is fetched and dropped, never shown), naming the IAM action it lacks if not.

    SET names one set of sso-sync.toml; with neither SET nor target options, every set. Writes
    nothing but what `status` writes (a silent token refresh, the role cache); never prints a
    secret. Exit 0 when every applicable check passes, 1 otherwise.
    """
    from sso_sync.config_trust import is_trusted
    from sso_sync.doctor import DoctorReport, check_clock, check_config_file, not_checked
    from sso_sync.sets import find_config, load_config

    if codeartifact is None and codeartifact_owner is not None:
        raise UsageError("--codeartifact-owner needs --codeartifact DOMAIN")
    # The rows to fetch: those these options ask for, else each set's own (_rows_of). Here
    # --region alone asks for nothing, as it always has (push refuses it).
    registries = ecr or codeartifact is not None
    asked = Sources.of(
        ecr=ecr,
        codeartifact=codeartifact,
        codeartifact_owner=codeartifact_owner,
        region=region if registries else None,
    )
    rows = asked.rows() if asked.given else None
    with command_deadline(timeout) as deadline:
        report = DoctorReport()
        home = Path(current().environ.get("HOME") or "/")
        config_path = targets.config or find_config(Path.cwd(), home)
        # A file found by searching is used only without target options, and then must be confirmed.
        given = (targets.repo, targets.env, targets.org, targets.selected_repo, targets.user)
        discovered = targets.config is None and not any(given)
        config_check = check_config_file(
            config_path,
            load_config,
            (lambda p: is_trusted(p, current().environ)) if discovered else None,
        )
        sets: tuple[TargetSet, ...] = ()
        targets_problem: str | None = None
        try:
            sets = targets.sets(profile=profile, prefix=None, confirm=False)
        except SsoSyncError as exc:
            no_targets = config_path is None and not isinstance(exc, OperationFailed)
            targets_problem = "none given and no config file" if no_targets else str(exc)
        profiles = list(dict.fromkeys(s.profile for s in sets)) or [profile]
        if config_check.failed and profile is None:
            report.checks.append(not_checked("AWS profile", "the config file names it"))
        else:
            for name in profiles:
                report.checks += _aws_checks(
                    name, deadline, _rows_of(name, sets, rows), several=len(profiles) > 1
                )
        issue = notify_issue or next((s.notify_issue for s in sets if s.notify_issue), None)
        report.checks += _github_checks(targets, sets, targets_problem, api_url, deadline, issue)
        report.checks.append(check_clock(current().server_clock().readings))
        report.checks.append(config_check)
        report.checks.append(_schedule_check(targets, sets))
        if targets_problem is not None and config_check.status != "fail":
            report.checks.append(not_checked("targets", targets_problem))
    _print(report, as_json)
    failed = report.failures()
    if failed:
        raise OperationFailed(
            f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed: "
            + ", ".join(c.name for c in failed)
        )


def _schedule_check(targets: TargetOptions, sets: tuple[TargetSet, ...]) -> Check:
    """The job `schedule install` would make for these targets, by its last recorded run."""
    from sso_sync.doctor import check_schedule, not_checked
    from sso_sync.keepfresh.schedule.job import job_name
    from sso_sync.keepfresh.state import StateStore, target_key
    from sso_sync.state_dir import state_dir

    if not sets:
        return not_checked("schedule", "no targets")
    name = job_name(targets.set_name, [target_key(t, s.prefix) for s in sets for t in s.targets])
    return check_schedule(name, StateStore(state_dir(current().environ)).read_job(name))


def _aws_checks(
    profile: str | None, deadline: Deadline, rows: list[CredentialSource], *, several: bool
) -> list[Check]:
    from sso_sync.doctor import Check, aws_checks, not_checked

    label = f"AWS profile {profile}" if several and profile else "AWS profile"
    try:
        aws = current().aws(profile, deadline=deadline)
    except SsoSyncError as exc:
        # Every such message names its file (AWS_CONFIG_FILE's, if set) and the fix already.
        return [Check(label, "fail", str(exc)), not_checked("sign-in", "no usable profile")]
    p = aws.profile
    how = f"sso-session {p.session_name}" if p.session_name else "legacy SSO profile"
    checks = [
        Check(
            label,
            "ok",
            f"{aws.paths.config_file} parses; profile {p.name} is complete ({how}, "
            f"{p.account_id}/{p.role_name})",
        )
    ]
    try:
        status = aws.status_report()
    except SsoSyncError as exc:
        return [*checks, Check("sign-in", "fail", str(exc))]
    found = aws_checks(status, p.login_hint)
    if rows:
        if found[-1].status == "ok":
            found += _source_checks(aws, rows)
        else:
            found.append(not_checked("registry tokens", "no role credentials"))
    if several:
        found = [type(c)(f"{c.name} ({p.name})", c.status, c.detail, c.fix) for c in found]
    return checks + found


def _rows_of(
    profile: str | None, sets: tuple[TargetSet, ...], asked: tuple[CredentialSource, ...] | None
) -> list[CredentialSource]:
    """The rows to check with `profile`: those asked for, else its sets', each once; not the
    role credentials, which have their own check."""
    from sso_sync.sources import ROLE_CREDENTIALS  # here: `doctor --help` need not load the table

    found = (
        asked if asked is not None else [r for s in sets if s.profile == profile for r in s.sources]
    )
    rows: list[CredentialSource] = []
    for row in found:
        if row != ROLE_CREDENTIALS and row not in rows:
            rows.append(row)
    return rows


def _source_checks(aws: AwsSession, rows: list[CredentialSource]) -> list[Check]:
    """Each row fetched as a push fetches it (its value dropped, never shown): a refusal
    names the IAM action the row's own error names."""
    from sso_sync.doctor import Check, check_source

    try:
        credentials = aws.role_credentials(allow_sign_in=False)
    except SsoSyncError as exc:
        return [Check("registry tokens", "fail", str(exc))]
    return [
        check_source(
            row.describe(aws), functools.partial(row.for_a_check().fetch, credentials, aws)
        )
        for row in rows
    ]


def _token_source() -> str:
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        if current().environ.get(name, "").strip():
            return name
    return "`gh auth token`"


def _github_checks(
    options: TargetOptions,
    sets: tuple[TargetSet, ...],
    targets_problem: str | None,
    api_url: str | None,
    deadline: Deadline,
    issue: str | None,
) -> list[Check]:
    from sso_sync.doctor import Check, check_github_auth, check_notify_issue, check_target
    from sso_sync.github.patterns import resolve_patterns

    try:
        app = options.github_app(sets)
    except UsageError as exc:
        return [Check("GitHub auth", "fail", f"GitHub App: {exc}")]
    source = app.describe() if app is not None else _token_source()
    try:
        # An App's token reads whatever the installation was granted: doctor compares that
        # with what a push needs.
        api = current().github(api_url, deadline, app=app, permissions=None)
    except SsoSyncError as exc:  # its message says what to set or run
        failed = [Check("GitHub auth", "fail", str(exc))]
        return failed if targets_problem is not None else [*failed, _not_checked_targets(sets)]
    owners = [t.owner for s in sets for t in s.targets if t.kind != "user"]
    owners = list(dict.fromkeys(owners + [p.owner for s in sets for p in s.patterns]))
    checks: list[Check] = []
    try:
        auth_check, auth = check_github_auth(
            api, source, getattr(api, "authorizer", None) if app else None, owners
        )
        checks.append(auth_check)
        if targets_problem is not None:
            return checks
        if auth is None:
            return [*checks, _not_checked_targets(sets)]
        try:
            resolved = resolve_patterns(api, sets)
        except SsoSyncError as exc:
            return [*checks, Check("targets", "fail", str(exc))]
        changed = _changed_elsewhere(api, resolved)
        for target, set_name in dict.fromkeys((t, s.name) for s in resolved for t in s.targets):
            checks.append(check_target(api, target, auth, set_name))
            if target in changed:
                checks.append(changed.pop(target))
        if issue is not None:
            checks.append(check_notify_issue(api, issue, auth))
    finally:
        api.close()
    return checks


def _changed_elsewhere(api: GitHubApi, sets: tuple[TargetSet, ...]) -> dict[Target, Check]:
    """The targets where another writer changed a secret this machine wrote: one listing per
    target this machine has a record of writing (none without one). A listing that fails is
    left to the target's own check, which fails too."""
    from sso_sync.doctor import changed_checks
    from sso_sync.github.fanout import DEFAULT_CONCURRENCY
    from sso_sync.keepfresh.elsewhere import find_changed

    records = current().state_store().read()
    found, _failed = find_changed(api, sets, records, concurrency=DEFAULT_CONCURRENCY)
    return changed_checks(found)


def _not_checked_targets(sets: tuple[TargetSet, ...]) -> Check:
    """The targets line stays when GitHub auth failed: which targets went unchecked."""
    from sso_sync.doctor import not_checked

    labels = [t.label for s in sets for t in s.targets] + [
        p.label for s in sets for p in s.patterns
    ]
    named = f" ({', '.join(dict.fromkeys(labels))})" if labels else ""
    return not_checked("targets", f"GitHub auth failed{named}")


def _print(report: DoctorReport, as_json: bool) -> None:
    if as_json:
        current().out_json(report.as_dict())
        return
    for check in report.checks:
        ui.out(check.line())
