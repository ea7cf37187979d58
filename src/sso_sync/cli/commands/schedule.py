"""`sso-sync schedule install|status|remove|list`: a user-level job that runs the push
unattended."""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.completion import choices
from sso_sync.cli.context import current
from sso_sync.cli.groups import GitHubAuth, Notifying, Sources, Writing, github_auth_options
from sso_sync.cli.notifying import check_for_job
from sso_sync.cli.source_options import source_options
from sso_sync.cli.target_options import TargetOptions, target_options_after
from sso_sync.errors import OperationFailed, UsageError
from sso_sync.keepfresh.schedule import BACKENDS

if TYPE_CHECKING:
    from datetime import timedelta

    from sso_sync.github.app_auth import AppSettings
    from sso_sync.keepfresh.schedule.backend import Backend
    from sso_sync.keepfresh.schedule.job import Job

ACTIONS = ("install", "status", "remove", "list")
JobTimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1,
        metavar="SECONDS",
        help="Passed on: seconds for each scheduled push, every AWS and GitHub call included.",
    ),
]

EveryOption = Annotated[
    str,
    typer.Option(
        "--every",
        metavar="DURATION",
        help="How often the job runs: whole minutes dividing an hour or hours dividing a "
        "day. It pushes targets with less than 2 x this + 15 min left.",
    ),
]

BackendOption = Annotated[
    str,
    typer.Option(
        "--backend",
        metavar="auto|systemd|cron|launchd",
        autocompletion=choices(BACKENDS),
        help="The scheduler: auto picks launchd on macOS, a systemd user timer when "
        "`systemctl --user` answers, else the crontab.",
    ),
]

ScheduleDryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Print exactly what install would write where; do nothing."),
]


@target_options_after("action")
@source_options
@github_auth_options
def schedule(
    targets: TargetOptions,
    sources: Sources,
    *,
    action: Annotated[
        str,
        # Hidden from the Arguments section (typer would add `<str>`): the usage line and the
        # docstring say it.
        typer.Argument(
            metavar="install|status|remove|list",
            help="What to do.",
            hidden=True,
            autocompletion=choices(ACTIONS),
        ),
    ],
    profile: opt.ProfileOption = None,
    prefix: opt.PrefixOption = None,
    auth: GitHubAuth,
    concurrency: opt.ConcurrencyOption = opt.DEFAULT_CONCURRENCY,
    timeout: JobTimeoutOption = opt.DEFAULT_TIMEOUT,
    expiration_variable: opt.ExpirationVariableOption = None,
    record_variable: opt.RecordVariableOption = None,
    record_who: opt.RecordWhoOption = False,
    notify_url_file: opt.NotifyUrlFileOption = None,
    notify_issue: opt.NotifyIssueOption = None,
    every: EveryOption = "15m",
    backend: BackendOption = "auto",
    dry_run: ScheduleDryRunOption = False,
    as_json: opt.JsonOption = False,
) -> None:
    """Install, show or remove a job that runs `sso-sync push --min-remaining` for these targets
    with nobody there. One job per SET, or per target list; never prompts (runs as with CI set).

    status exits 1 when the job's last run failed. list shows every job installed, with what
    it runs and its last run, and needs no targets.
    """
    from sso_sync.durations import parse_duration
    from sso_sync.keepfresh.schedule.backend import run_command
    from sso_sync.keepfresh.schedule.choose import choose
    from sso_sync.keepfresh.schedule.job import check_every

    if action not in ACTIONS:
        raise UsageError(f"schedule {action}: choose install, status, remove or list")
    home = Path(current().environ.get("HOME") or Path.home())
    if action == "list":
        _list(backend, home, as_json)
        return
    interval = check_every(parse_duration(every, "--every"), every)
    writing = Writing(concurrency, timeout, expiration_variable, record_variable, record_who)
    notifying = check_for_job(Notifying(notify_url_file, notify_issue), action)
    job = _job(targets, sources, profile, prefix, auth, (writing, notifying), interval, action)
    chosen = choose(backend, run_command, current().environ, home)
    if action == "install":
        _warn_if_lifetime_is_shorter(job, targets, profile, prefix)
        if dry_run:
            ui.out(f"backend: {chosen.name}")
            for planned in chosen.plan(job):
                ui.out(f"--- would write {planned.where}:\n{planned.content.rstrip()}")
            ui.out("dry run: nothing was written")
            return
        with _scheduler_lock():
            where = chosen.install(job)
        ui.out(f"installed {job.name} ({chosen.name}, every {every}) in {where}")
        if chosen.name == "systemd":
            from sso_sync.keepfresh.schedule.systemd import LINGER_NOTE

            ui.err(LINGER_NOTE)
        ui.err(f"log: {job.log_file}")
    elif action == "remove":
        _remove(job, chosen, dry_run)
    else:
        _status(job, chosen, as_json)


def _remove(job: Job, chosen: Backend, dry_run: bool) -> None:
    if dry_run:
        ui.out(f"would remove {job.name} from {chosen.name}")
        return
    with _scheduler_lock():
        removed = chosen.remove(job)
    # Its last run no longer says anything: `status` and `doctor` must not keep failing.
    current().state_store().forget_job(job.name)
    if removed:
        ui.out(f"removed {job.name} ({chosen.name})")
    else:
        ui.out(f"no job {job.name} in {chosen.name}: nothing to remove")


def _job(
    targets: TargetOptions,
    sources: Sources,
    profile: str | None,
    prefix: str | None,
    auth: GitHubAuth,
    groups: tuple[Writing, Notifying],
    interval: timedelta,
    action: str,
) -> Job:
    """The job: push's own command line, written back from the option groups (`to_argv`),
    and the few settings it runs with; checked as push would check them, before anything is
    written."""
    from sso_sync.aws.profiles import AwsPaths
    from sso_sync.github.app_auth import load_private_key
    from sso_sync.github.plan import check_sets
    from sso_sync.github.token_file import read_token_file, token_file_path
    from sso_sync.keepfresh.schedule.job import Job, job_environment, job_name, push_argv
    from sso_sync.keepfresh.state import target_key
    from sso_sync.sets import find_config
    from sso_sync.state_dir import state_dir

    sets = targets.sets(profile=profile, prefix=prefix, sources=sources)
    check_sets(sets)
    groups[0].validate(sets)
    keys = [target_key(t, s.prefix) for s in sets for t in s.targets]
    name = job_name(targets.set_name, keys)
    if profile is None and any(s.profile is None for s in sets):
        profile = current().environ.get("AWS_PROFILE") or None
        if profile is None:
            raise UsageError("which profile should the job use? give --profile NAME")
    args = targets.to_argv(prefix, find_config(Path.cwd()))
    app = targets.github_app(sets)
    if app is not None and action == "install":
        load_private_key(app.key_file)  # exit 2 when missing, or readable by others
    file = token_file_path(auth.token_file, current().environ)
    if file is not None:
        file = file.resolve()
        read_token_file(file)  # exit 2 when missing, open to others, or empty
    elif action == "install" and app is None:
        _require_gh_token(auth.api_url)
    logs = state_dir(current().environ) / "logs"
    exe = _executable()
    path = os.pathsep.join(dict.fromkeys([str(exe.parent), *_gh_dirs(), "/usr/bin", "/bin"]))
    job = Job(  # refuses a control character in any value (exit 2), first of all
        name=name,
        every=interval,
        argv=push_argv(
            exe,
            interval,
            args,
            profile=profile,
            options=[
                *dataclasses.replace(auth, token_file=file).to_argv(),
                *_app_args(targets, app),
                *(word for group in groups for word in group.to_argv()),
                *sources.to_argv(),
            ],
        ),
        environment=job_environment(
            current().environ,
            name=name,
            aws_config_file=AwsPaths.from_environ(current().environ).config_file.resolve(),
            log_file=logs / f"{name}.log",
            path=path,
        ),
        log_file=logs / f"{name}.log",
    )
    if action == "install":
        _check_as_push_would(auth.api_url, {profile, *(s.profile for s in sets)} - {None})
    return job


def _check_as_push_would(api_url: str | None, profiles: set[str | None]) -> None:
    """What `push` would refuse, refused at install rather than at every run: a URL written
    into the job that would carry a token in clear or to another host (user-info, plain
    http), and a profile the AWS config does not have."""
    from sso_sync.github.token_sources import resolve_api_url
    from sso_sync.transport import require_safe_transport

    resolve_api_url(api_url, current().environ)
    for key, value in sorted(current().environ.items()):
        if key.startswith("AWS_ENDPOINT_URL") and value:
            require_safe_transport(value, what="AWS", setting=key)
    names = sorted(p for p in profiles if p is not None)
    if names:
        aws = current().aws_clients(deadline=None)
        for name in names:
            aws.load_profile(name)


def _warn_if_lifetime_is_shorter(
    job: Job, targets: TargetOptions, profile: str | None, prefix: str | None
) -> None:
    """Warned, not refused: the lifetime is known only from this machine's last push (a
    permission set's session duration can change since), or assumed to be the default."""
    from sso_sync.files import parse_utc_timestamp
    from sso_sync.keepfresh.schedule.job import lifetime_warning
    from sso_sync.keepfresh.state import StateStore, target_key
    from sso_sync.state_dir import state_dir

    sets = targets.sets(profile=profile, prefix=prefix)
    records = StateStore(state_dir(current().environ)).read()
    lifetimes = []
    for key in (target_key(t, s.prefix) for s in sets for t in s.targets):
        record = records.get(key)
        pushed = parse_utc_timestamp(record.pushed_at) if record else None
        if record is not None and record.expiry is not None and pushed is not None:
            lifetimes.append(record.expiry - pushed)
    warning = lifetime_warning(job.every, lifetimes)
    if warning:
        ui.err(warning)


@contextmanager
def _scheduler_lock() -> Iterator[None]:
    """One install or remove at a time: each reads the crontab (or unit files), changes it and
    writes it back, and two at once would lose one's change."""
    from sso_sync.files import locked
    from sso_sync.state_dir import state_dir

    with locked(state_dir(current().environ) / "schedule"):
        yield


def _list(backend: str, home: Path, as_json: bool) -> None:
    """Every job installed in the chosen backend (for auto: in every backend this platform has
    that answers), by name, with what it runs and its last run."""
    from sso_sync.keepfresh.schedule.backend import run_command
    from sso_sync.keepfresh.schedule.choose import make
    from sso_sync.keepfresh.state import StateStore
    from sso_sync.state_dir import state_dir

    names = [backend] if backend != "auto" else _platform_backends()
    store = StateStore(state_dir(current().environ))
    jobs: list[dict[str, Any]] = []
    for name in names:
        chosen = make(name, run_command, current().environ, home)
        if name == "cron" and not chosen.available():
            continue
        for found in chosen.installed():
            jobs.append(
                {
                    "job": found.name,
                    "backend": name,
                    "where": found.where,
                    "command": shlex.join(found.command[1:]),
                    "last_run": store.read_job(found.name),
                }
            )
    if as_json:
        ui.out_json({"jobs": jobs})
        return
    if not jobs:
        ui.out(f"no sso-sync job installed ({', '.join(names)})")
    for job in jobs:
        last = job["last_run"]
        ran = (
            "no run recorded yet"
            if last is None
            else f"last run {last['at']}: " + ("ok" if last["ok"] else "FAILED")
        )
        ui.out(ui.one_line(f"{job['job']} ({job['backend']}): {ran}"))
        ui.out(ui.one_line(f"  runs: sso-sync {job['command']}"))


def _platform_backends() -> list[str]:
    return ["launchd"] if sys.platform == "darwin" else ["systemd", "cron"]


def _app_args(targets: TargetOptions, app: AppSettings | None) -> list[str]:
    """The GitHub App settings the job cannot find by itself: those given here as options or
    environment variables (the job gets neither), the key by its absolute path, never its
    contents. A set's github-app-id and key the job reads from the config file, as its targets."""
    from sso_sync.github.app_auth import APP_ID_ENV, APP_KEY_ENV

    if app is None:
        return []
    args = []
    if targets.github_app_id or current().environ.get(APP_ID_ENV, "").strip():
        args += ["--github-app-id", app.app_id]
    if targets.github_app_key or current().environ.get(APP_KEY_ENV, "").strip():
        args += ["--github-app-key", str(app.key_file.resolve())]
    if app.installation_id is not None:
        args += ["--github-app-installation-id", str(app.installation_id)]
    return args


def _executable() -> Path:
    """The running sso-sync, by absolute path."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "sso-sync" and argv0.exists():
        return argv0.resolve()
    found = shutil.which("sso-sync") or shutil.which(
        "sso-sync", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise UsageError("cannot find the sso-sync executable: install sso-sync on PATH")
    return Path(found).resolve()


def _gh_dirs() -> list[str]:
    gh = shutil.which("gh")
    return [str(Path(gh).parent)] if gh else []


def _require_gh_token(api_url: str | None) -> None:
    """The job gets no GH_TOKEN (it is a secret): it must find `gh auth token` instead."""
    from sso_sync.github.token_sources import resolve_api_url, resolve_token

    url = resolve_api_url(api_url, current().environ)
    reduced = {
        k: v
        for k, v in current().environ.items()
        if k in ("PATH", "HOME", "GH_CONFIG_DIR", "XDG_CONFIG_HOME")
    }
    try:
        resolve_token(url, reduced)
    except UsageError:
        raise UsageError(
            "the scheduled job would find no GitHub token: GH_TOKEN and GITHUB_TOKEN are never "
            "written into a job. Put a token in a file only you can read (chmod 600) and pass "
            "--github-token-file FILE, sign in with `gh auth login`, or give a GitHub App "
            "(--github-app-id ID --github-app-key FILE)"
        ) from None


def _status(job: Job, chosen: Backend, as_json: bool) -> None:
    from sso_sync.keepfresh.state import StateStore
    from sso_sync.state_dir import state_dir

    status = chosen.status(job)
    last = StateStore(state_dir(current().environ)).read_job(job.name)
    report = {
        "job": job.name,
        "backend": chosen.name,
        "installed": status.installed,
        "schedule": status.schedule,
        "next_run": status.next_run,
        "last_run": last,
    }
    if as_json:
        current().out_json(report)
    else:
        ui.out(
            f"{job.name}: {'installed' if status.installed else 'not installed'} ({chosen.name})"
        )
        ui.out(f"schedule: {status.schedule}")
        ui.out(f"next run: {status.next_run or 'not known to ' + chosen.name}")
        if last is None:
            ui.out("last run: none recorded yet")
        else:
            ui.out(f"last run: {last['at']}: {'ok' if last['ok'] else 'FAILED'}")
            if last.get("error"):
                ui.out(f"  {last['error']}")
            if last.get("sign_in"):
                ui.out(f"  sign-in needed: run `{last['sign_in']}`")
    if last is not None and not last["ok"]:
        raise OperationFailed(f"{job.name}: the last run failed")
