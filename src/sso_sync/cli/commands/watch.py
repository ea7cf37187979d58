"""`sso-sync watch`: keep the targets fresh for as long as the sign-in lasts."""

from __future__ import annotations

import os
import signal
import threading
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sso_sync.cli import ui
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
    TargetOptions,
    config_file_of,
    target_options,
)
from sso_sync.errors import EXIT_INTERRUPTED, Cancelled, LoginRequired, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from sso_sync.github.rest import GitHubApi
    from sso_sync.keepfresh.watch import Cycle


@target_options
def watch(
    targets: TargetOptions,
    profile: ProfileOption = None,
    prefix: PrefixOption = None,
    api_url: ApiUrlOption = None,
    github_token_file: GitHubTokenFileOption = None,
    refresh_before: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--refresh-before",
            metavar="DURATION",
            help="Push again this long before the credentials expire (default 15m; a third of "
            "their life when they live under 45 minutes).",
        ),
    ] = None,
    concurrency: ConcurrencyOption = DEFAULT_CONCURRENCY,
    timeout: CycleTimeoutOption = DEFAULT_TIMEOUT,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per cycle on stdout (JSON lines).")
    ] = False,
    expiration_variable: ExpirationVariableOption = None,
    record_variable: RecordVariableOption = None,
    record_who: RecordWhoOption = False,
) -> None:
    """Push now (unless fresh), then again shortly before each expiry, for as long as the IAM
    Identity Center sign-in lasts. --timeout bounds each cycle. Repository patterns
    (--repo OWNER/GLOB) are listed again every cycle, so new repositories are pushed too.

    One line per cycle on stderr. Ends with exit 3 when a browser sign-in is needed, 0 on
    SIGTERM, 130 on Ctrl-C.
    """
    import random

    from sso_sync.cli.pushing import PushJob, utc_now
    from sso_sync.cli.watch_cycle import WatchCycles
    from sso_sync.clients import checked_deadline
    from sso_sync.durations import parse_duration
    from sso_sync.github.app_auth import run_permissions
    from sso_sync.github.push import check_sets
    from sso_sync.github.variables import validate_variable
    from sso_sync.keepfresh.watch import Watcher

    sets = targets.sets(profile=profile, prefix=prefix)
    check_sets(sets)
    margin = parse_duration(refresh_before, "--refresh-before") if refresh_before else None
    if margin is not None and margin.total_seconds() <= 0:
        raise UsageError("--refresh-before must be longer than zero: give e.g. 15m")
    for name, option in (
        (expiration_variable, "--expiration-variable"),
        (record_variable, "--record-variable"),
    ):
        if name:
            validate_variable(name, [t for s in sets for t in s.targets], option=option)
    if record_who and not record_variable:
        raise UsageError("--record-who needs --record-variable NAME: name the variable to write")

    stop = threading.Event()
    exit_code = [0]
    current: list[GitHubApi] = []

    def stop_sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise Cancelled("stopped by a signal")

    def on_api(api: GitHubApi | None) -> None:
        current[:] = [api] if api is not None else []
        if api is not None and stop.is_set():
            api.cancel()

    cycles = WatchCycles(
        # Each cycle runs a copy of this job under its own deadline (this one checks the
        # profiles now).
        job=PushJob(
            sets,
            api_url,
            checked_deadline(timeout),
            concurrency,
            expiration_variable=expiration_variable,
            record_variable=record_variable,
            record_who=record_who,
            token_file=github_token_file,
            sleep=stop_sleep,
            on_api=on_api,
            announce_waits=False,
        ),
        given=sets,
        timeout=timeout,
        app=targets.github_app(sets),
        permissions=run_permissions(
            sets, write=True, variables=bool(expiration_variable or record_variable)
        ),
    )
    cycles.start()

    def on_signal(signum: int, _frame: Any) -> None:
        # Between requests: those not sent yet are not sent; those in flight finish and are
        # reported; the state file is written as usual.
        exit_code[0] = EXIT_INTERRUPTED if signum == signal.SIGINT else 0
        stop.set()
        for api in list(current):
            api.cancel()

    warned: dict[str, datetime] = {}

    def on_cycle(cycle: Cycle) -> None:
        ui.err(cycle.line())
        for reason in cycle.failure_lines():  # one line each, never a terminal control
            ui.err(ui.one_line(reason))
        job = cycles.current or cycles.job
        for line in job.budget_warnings(warned):  # once a day, under 24 hours left
            from sso_sync.keepfresh.notify import notify

            ui.err(line)
            notify("sso-sync: sign-in ends soon", line, os.environ)
        if as_json:
            import json

            ui.out(json.dumps({**cycle.as_dict(), "config_file": config_file_of(sets)}))

    watcher = Watcher(
        push=cycles.run,
        now=utc_now,
        wait=stop.wait,
        stopping=stop.is_set,
        on_cycle=on_cycle,
        jitter=lambda limit: random.uniform(0, limit),  # noqa: S311 - spread, not secrecy
        refresh_before=margin,
        warnings=cycles.warnings,
    )
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        watcher.run()
    except LoginRequired as exc:
        from sso_sync.keepfresh.notify import notify

        notify("sso-sync: sign-in needed", str(exc), os.environ)
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if exit_code[0] == EXIT_INTERRUPTED:
        ui.err("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED)
    if stop.is_set():
        ui.err("stopped: the state file is up to date")
