"""`sso-sync watch`: keep the targets fresh for as long as the sign-in lasts."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import Context, current
from sso_sync.cli.groups import GitHubAuth, Notifying, Sources, Writing, github_auth_options
from sso_sync.cli.source_options import source_options
from sso_sync.cli.target_options import TargetOptions, config_file_of, target_options
from sso_sync.errors import EXIT_INTERRUPTED, Cancelled, LoginRequired, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime, timedelta

    from sso_sync.deadline import Deadline
    from sso_sync.github.app_auth import AppInstallations
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import TargetSet
    from sso_sync.keepfresh.cycles import WatchCycles
    from sso_sync.keepfresh.notices import Notifier
    from sso_sync.keepfresh.watch import Cycle, Watcher
    from sso_sync.pushing import Push


RefreshBeforeOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--refresh-before",
        metavar="DURATION",
        help="Push again this long before the credentials expire (default 15m; a third of "
        "their life when they live under 45 minutes).",
    ),
]

RemoteSignInOption = Annotated[
    bool,
    typer.Option(
        "--remote-sign-in",
        help="When the session can no longer be refreshed, start a device-code sign-in and "
        "send its link and code by webhook or desktop notification (never to an issue); "
        "push only if the same person approves.",
    ),
]
RemoteSignInForOption = Annotated[
    str,
    typer.Option(
        "--remote-sign-in-for",
        metavar="DURATION",
        help="With --remote-sign-in: how long to keep offering new codes before giving up.",
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
@source_options
@github_auth_options
def watch(
    targets: TargetOptions,
    sources: Sources,
    *,
    profile: opt.ProfileOption = None,
    prefix: opt.PrefixOption = None,
    auth: GitHubAuth,
    refresh_before: RefreshBeforeOption = None,
    concurrency: opt.ConcurrencyOption = opt.DEFAULT_CONCURRENCY,
    timeout: opt.CycleTimeoutOption = opt.DEFAULT_TIMEOUT,
    as_json: AsJsonOption = False,
    expiration_variable: opt.ExpirationVariableOption = None,
    record_variable: opt.RecordVariableOption = None,
    record_who: opt.RecordWhoOption = False,
    notify_url_file: opt.NotifyUrlFileOption = None,
    notify_issue: opt.NotifyIssueOption = None,
    remote_sign_in: RemoteSignInOption = False,
    remote_sign_in_for: RemoteSignInForOption = "24h",
    on_change: OnChangeOption = "overwrite",
) -> None:
    """Push now (unless fresh), then again shortly before each expiry, for as long as the IAM
    Identity Center sign-in lasts. --timeout bounds each cycle. Repository patterns
    (--repo OWNER/GLOB) are listed again every cycle, so new repositories are pushed too.

    One line per cycle on stderr. Ends with exit 3 when a browser sign-in is needed, 0 on
    SIGTERM, 130 on Ctrl-C.
    """
    import gc
    import random

    from sso_sync.github.plan import check_sets
    from sso_sync.keepfresh.watch import Watcher

    # `sso-sync` runs its commands with the cyclic garbage collector off (cli/app.py `main`):
    # this one runs for weeks, and the garbage its cycles leave must be collected.
    gc.enable()
    ctx = current()
    sets = targets.sets(profile=profile, prefix=prefix, sources=sources)
    check_sets(sets)
    margin = _margin(refresh_before)
    writing = Writing(concurrency, timeout, expiration_variable, record_variable, record_who)
    writing.validate(sets)
    notifying = Notifying(notify_url_file, notify_issue)
    remote = (remote_sign_in, remote_sign_in_for)
    notifier, remote_with = _notifier(ctx, notifying, sets, auth, targets, remote)
    stop = _Stop()
    cycles = _cycles(
        ctx, targets, sets, auth, writing, stop.sleep, stop.on_api, on_change, notifier
    )
    cycles.start()

    warned: dict[str, datetime] = {}

    def on_cycle(cycle: Cycle) -> None:
        ui.err(cycle.line())
        for reason in cycle.failure_lines():  # one line each, never a terminal control
            ui.err(ui.one_line(reason))
        _after_cycle(ctx, cycles.current, cycle, warned, remember=remote_sign_in)
        if as_json:
            import json  # here: `watch --help` need not load it

            ui.out(json.dumps({**cycle.as_dict(), "config_file": config_file_of(sets)}))

    watcher = Watcher(
        push=cycles.run,
        now=ctx.now,
        wait=stop.event.wait,
        stopping=stop.event.is_set,
        on_cycle=on_cycle,
        jitter=lambda limit: random.uniform(0, limit),  # noqa: S311 - spread, not secrecy
        refresh_before=margin,
        warnings=cycles.warnings,
        changed=cycles.changed,
    )
    with stop.on_signals():
        _watch_until_done(ctx, watcher, cycles, stop.sleep, remote_with)
    if stop.exit_code == EXIT_INTERRUPTED:
        ui.err("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED)
    if stop.event.is_set():
        ui.err("stopped: the state file is up to date")


class _Stop:
    """How a signal stops `watch` between requests: those not sent yet are not sent, those in
    flight finish and are reported, the state file is written as usual; SIGINT is exit 130,
    SIGTERM and SIGHUP (the terminal closed, an ssh session dropped) exit 0."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.exit_code = 0
        self._in_flight: list[GitHubApi] = []

    def sleep(self, seconds: float) -> None:
        if self.event.wait(seconds):
            raise Cancelled("stopped by a signal")

    def on_api(self, api: GitHubApi | None) -> None:
        self._in_flight[:] = [api] if api is not None else []
        if api is not None and self.event.is_set():
            api.cancel()

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.exit_code = EXIT_INTERRUPTED if signum == signal.SIGINT else 0
        self.event.set()
        for api in list(self._in_flight):
            api.cancel()

    @contextmanager
    def on_signals(self) -> Iterator[None]:
        hup = [signal.SIGHUP] if hasattr(signal, "SIGHUP") else []
        previous = {
            s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT, *hup)
        }
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


def _margin(refresh_before: str | None) -> timedelta | None:
    """--refresh-before, if given: a duration longer than zero."""
    from sso_sync.durations import parse_duration

    margin = parse_duration(refresh_before, "--refresh-before") if refresh_before else None
    if margin is not None and margin.total_seconds() <= 0:
        raise UsageError("--refresh-before must be longer than zero: give e.g. 15m")
    return margin


def _notifier(
    ctx: Context,
    notifying: Notifying,
    sets: tuple[TargetSet, ...],
    auth: GitHubAuth,
    targets: TargetOptions,
    remote: tuple[bool, str],
) -> tuple[Notifier, tuple[Notifier, timedelta] | None]:
    """The notifier, and with --remote-sign-in what it needs (the notifier, the bound)."""
    from sso_sync.cli.notifying import build_notifier
    from sso_sync.durations import parse_duration
    from sso_sync.keepfresh.channels import Webhook
    from sso_sync.keepfresh.notify import can_notify

    notifier = build_notifier(ctx, notifying, sets, auth, targets.github_app(sets))
    has_webhook = any(isinstance(c, Webhook) for c in notifier.channels)
    bound = parse_duration(remote[1], "--remote-sign-in-for")
    if not remote[0]:
        return notifier, None
    if not has_webhook and not can_notify(ctx.environ):
        raise UsageError(
            "--remote-sign-in needs somewhere to send the sign-in link: a webhook "
            "($SSO_SYNC_NOTIFY_URL or --notify-url-file FILE) or a desktop (notify-send)"
        )
    return notifier, (notifier, bound)


def _after_cycle(
    ctx: Context, push: Push | None, cycle: Cycle, warned: dict[str, datetime], *, remember: bool
) -> None:
    """The once-a-day budget warning (under 24 hours left); with --remote-sign-in, who signed
    in, once per profile: what a sign-in by link must match."""
    if push is None:
        return
    push.warn_budget(warned)
    if remember and cycle.run is not None:
        _remember_identities(ctx, push)


def _watch_until_done(
    ctx: Context,
    watcher: Watcher,
    cycles: WatchCycles,
    sleep: Callable[[float], None],
    remote: tuple[Notifier, timedelta] | None,
) -> None:
    """The loop; with --remote-sign-in, a sign-in needed is a sign-in by link, then the loop
    again. The notifier hears of a sign-in needed from the push itself (Push.run)."""
    while True:
        try:
            watcher.run()
            return
        except LoginRequired:
            if remote is None or cycles.current is None:
                raise
            _sign_in_by_link(ctx, cycles.current, remote[0], sleep, remote[1])


def _remember_identities(ctx: Context, push: Push) -> None:
    """Who signed in, per profile, once: what a remote sign-in must match. A failed look-up
    is tried again after the next cycle."""
    from sso_sync.errors import SsoSyncError
    from sso_sync.keepfresh.remote_signin import identity_of, remember, remembered

    store = ctx.state_store()
    for aws in push.aws.values():
        if remembered(store, aws.profile.name) is None:
            try:
                remember(store, aws.profile.name, identity_of(aws))
            except SsoSyncError:
                continue


def _sign_in_by_link(
    ctx: Context,
    push: Push,
    notifier: Notifier,
    sleep: Callable[[float], None],
    bound: timedelta,
) -> None:
    """Each profile whose session is gone (IAM Identity Center refuses it, whatever the cache
    says), signed in again by a link sent to a person."""
    from sso_sync.keepfresh.remote_signin import RemoteSignIn

    ended = []
    for aws in push.aws.values():
        try:
            aws.role_credentials(allow_sign_in=False)
        except LoginRequired:
            ended.append(aws)
    if not ended:  # nothing to sign in: let the sign-in needed end watch as before
        raise LoginRequired("a sign-in is needed, but every profile's session works again")
    for aws in ended:
        ui.err(f"session for profile '{aws.profile.name}' ended: sending a sign-in link")
        who = RemoteSignIn(aws, notifier, ctx.state_store(), ctx.now, sleep, bound).run()
        ui.err(f"signed in again by link as '{who}': watching again")


def _cycles(
    ctx: Context,
    targets: TargetOptions,
    sets: tuple[TargetSet, ...],
    auth: GitHubAuth,
    writing: Writing,
    sleep: Callable[[float], None],
    on_api: Callable[[GitHubApi | None], None],
    on_change: str,
    notifier: Notifier,
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
        notifier=notifier,
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
