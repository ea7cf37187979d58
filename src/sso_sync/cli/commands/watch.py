"""`sso-sync watch`: keep the targets fresh for as long as the sign-in lasts."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sso_sync.cli import ui
from sso_sync.cli.context import Context, current
from sso_sync.cli.groups import GitHubAuth, Writing
from sso_sync.cli.options import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    ApiUrlOption,
    ConcurrencyOption,
    CycleTimeoutOption,
    ExpirationVariableOption,
    GitHubTokenFileOption,
    PrefixOption,
    ProfileOption,
    RecordVariableOption,
    RecordWhoOption,
)
from sso_sync.cli.target_options import TargetOptions, config_file_of, target_options
from sso_sync.errors import EXIT_INTERRUPTED, Cancelled, LoginRequired, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime, timedelta

    from sso_sync.deadline import Deadline
    from sso_sync.github.app_auth import AppInstallations
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import TargetSet
    from sso_sync.keepfresh.cycles import WatchCycles
    from sso_sync.keepfresh.watch import Cycle


RefreshBeforeOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--refresh-before",
        metavar="DURATION",
        help="Push again this long before the credentials expire (default 15m; a third of "
        "their life when they live under 45 minutes).",
    ),
]

OnChangeOption = Annotated[
    str,
    typer.Option(
        "--on-change",
        metavar="POLICY",
        help="When a secret was changed elsewhere (updated over a minute after this machine "
        "wrote it): overwrite (push this machine's credentials again, and warn), keep (leave "
        "it, and stop writing that target), or stop (exit 1). Reported and notified in every "
        "case.",
    ),
]

AsJsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON object per cycle on stdout (JSON lines).")
]


@target_options
def watch(
    targets: TargetOptions,
    profile: ProfileOption = None,
    prefix: PrefixOption = None,
    api_url: ApiUrlOption = None,
    github_token_file: GitHubTokenFileOption = None,
    refresh_before: RefreshBeforeOption = None,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    timeout: CycleTimeoutOption = DEFAULT_TIMEOUT,
    as_json: AsJsonOption = False,
    expiration_variable: ExpirationVariableOption = None,
    record_variable: RecordVariableOption = None,
    record_who: RecordWhoOption = False,
    on_change: OnChangeOption = "overwrite",
) -> None:
    """Push now (unless fresh), then again shortly before each expiry, for as long as the IAM
    Identity Center sign-in lasts. --timeout bounds each cycle. Repository patterns
    (--repo OWNER/GLOB) are listed again every cycle, so new repositories are pushed too.

    One line per cycle on stderr. Ends with exit 3 when a browser sign-in is needed, 0 on
    SIGTERM, 130 on Ctrl-C.
    """
    import random

    from sso_sync.github.plan import check_sets
    from sso_sync.keepfresh.watch import Watcher

    ctx = current()
    sets = targets.sets(profile=profile, prefix=prefix)
    check_sets(sets)
    margin = _margin(refresh_before)
    writing = Writing(concurrency, timeout, expiration_variable, record_variable, record_who)
    writing.validate(sets)
    auth = GitHubAuth(api_url, github_token_file)

    stop = threading.Event()
    exit_code = [0]
    in_flight: list[GitHubApi] = []

    def stop_sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise Cancelled("stopped by a signal")

    def on_api(api: GitHubApi | None) -> None:
        in_flight[:] = [api] if api is not None else []
        if api is not None and stop.is_set():
            api.cancel()

    cycles = _cycles(ctx, targets, sets, auth, writing, stop_sleep, on_api, on_change)
    cycles.start()

    def on_signal(signum: int, _frame: Any) -> None:
        # Between requests: those not sent yet are not sent; those in flight finish and are
        # reported; the state file is written as usual.
        exit_code[0] = EXIT_INTERRUPTED if signum == signal.SIGINT else 0
        stop.set()
        for api in list(in_flight):
            api.cancel()

    warned: dict[str, datetime] = {}

    def on_cycle(cycle: Cycle) -> None:
        ui.err(cycle.line())
        for reason in cycle.failure_lines():  # one line each, never a terminal control
            ui.err(ui.one_line(reason))
        if cycles.current is not None:
            cycles.current.warn_budget(warned)  # once a day, under 24 hours left
        if as_json:
            import json

            ui.out(json.dumps({**cycle.as_dict(), "config_file": config_file_of(sets)}))

    watcher = Watcher(
        push=cycles.run,
        now=ctx.now,
        wait=stop.wait,
        stopping=stop.is_set,
        on_cycle=on_cycle,
        jitter=lambda limit: random.uniform(0, limit),  # noqa: S311 - spread, not secrecy
        refresh_before=margin,
        warnings=cycles.warnings,
        changed=cycles.changed,
    )
    # SIGHUP (the terminal closed, an ssh session dropped) stops it as SIGTERM does.
    stops = (signal.SIGTERM, signal.SIGINT, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []))
    previous = {s: signal.signal(s, on_signal) for s in stops}
    try:
        watcher.run()
    except LoginRequired as exc:
        ctx.terminal.notify("sso-sync: sign-in needed", str(exc))
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if exit_code[0] == EXIT_INTERRUPTED:
        ui.err("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED)
    if stop.is_set():
        ui.err("stopped: the state file is up to date")


def _margin(refresh_before: str | None) -> timedelta | None:
    """--refresh-before, if given: a duration longer than zero."""
    from sso_sync.durations import parse_duration

    margin = parse_duration(refresh_before, "--refresh-before") if refresh_before else None
    if margin is not None and margin.total_seconds() <= 0:
        raise UsageError("--refresh-before must be longer than zero: give e.g. 15m")
    return margin


def _cycles(
    ctx: Context,
    targets: TargetOptions,
    sets: tuple[TargetSet, ...],
    auth: GitHubAuth,
    writing: Writing,
    sleep: Callable[[float], None],
    on_api: Callable[[GitHubApi | None], None],
    on_change: str,
) -> WatchCycles:
    """The push use case, once per cycle under the cycle's own deadline; only the first cycle
    may sign in, and only with a person there. `on_change`: what to do about a secret changed
    elsewhere (keepfresh/elsewhere.py)."""
    from sso_sync.clients import checked_deadline
    from sso_sync.github.app_auth import run_permissions
    from sso_sync.keepfresh.cycles import WatchCycles
    from sso_sync.keepfresh.elsewhere import policy
    from sso_sync.pushing import Push, PushRequest, PushSides

    chosen = policy(on_change)

    def github(deadline: Deadline, app: AppInstallations | None) -> GitHubApi:
        return ctx.github(auth.api_url, deadline, auth.token_file, announce_waits=False, app=app)

    request = PushRequest(
        sets,
        checked_deadline(writing.timeout),  # replaced by each cycle's own
        writing.concurrency,
        expiration_variable=writing.expiration_variable,
        record_variable=writing.record_variable,
        record_who=writing.record_who,
        allow_sign_in=ctx.interactive(),
        progress=False,  # the cycle lines are watch's progress
    )
    sides = PushSides(
        aws=ctx.aws_factory(request.deadline),
        github=lambda: github(request.deadline, None),
        store=ctx.state_store(),
        terminal=ctx.terminal,
        now=ctx.now,
        sleep=sleep,
        on_api=on_api,
    )
    Push(request, sides)  # the profiles checked now, before the first cycle
    return WatchCycles(
        request=request,
        sides=sides,
        aws_for=lambda p, deadline: ctx.aws_factory(deadline)(p),
        github_for=github,
        given=sets,
        timeout=writing.timeout,
        app=targets.github_app(sets),
        permissions=run_permissions(sets, write=True, variables=writing.variables),
        on_change=chosen,
    )
