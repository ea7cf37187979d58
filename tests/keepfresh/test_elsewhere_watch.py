"""What `watch` does about a secret changed elsewhere, by `--on-change`: `overwrite` (the
default) pushes this machine's credentials again at once and warns, `keep` leaves the other
writer's value and stops writing that target, `stop` ends watch (exit 1). Each is reported on
the cycle line and notified once.

Driven in process: the real cycles (keepfresh/cycles.py) and loop (keepfresh/watch.py) against
the sandbox, the wait between cycles replaced by the other writer's PUT (tests/support/
elsewhere.py), so two cycles take no sleeping."""

from __future__ import annotations

import os

import pytest

from sso_sync.cli.context import Context
from sso_sync.cli.streams import Streams
from sso_sync.clients import checked_deadline
from sso_sync.errors import ChangedElsewhere
from sso_sync.github.targets import Target, TargetSet
from sso_sync.keepfresh.cycles import WatchCycles
from sso_sync.keepfresh.elsewhere import Policy
from sso_sync.keepfresh.watch import Cycle, Watcher
from sso_sync.pushing import PushRequest, PushSides
from sso_sync.sandbox import SandboxConfig
from tests.support.elsewhere import OTHER_VALUE, Told, hand_edit
from tests.support.watch import Watch
from tests.support.world import World, assert_no_leak, issued_as_secrets

APP = Target("repo", "octo-org", "app")
WEB = Target("repo", "octo-org", "web")


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0, repos={"octo-org/app": [], "octo-org/web": []})


def watch_cycles(
    world: World, policy: Policy, cycles: int
) -> tuple[list[Cycle], Told, Exception | None]:
    """`watch --on-change POLICY` on octo-org/app and octo-org/web for `cycles` cycles; before
    the second, another writer sets octo-org/app's AWS_SECRET_ACCESS_KEY."""
    world.seed_token()
    terminal = Told()
    ctx = Context(environ=dict(os.environ), terminal=terminal, streams=Streams(stdin_tty=False))
    sets = (TargetSet(None, "ci", "", (APP, WEB)),)
    request = PushRequest(sets, checked_deadline(60), 4, progress=False)
    sides = PushSides(
        aws=lambda p: ctx.aws(p, deadline=request.deadline),
        github=lambda: ctx.github(None, request.deadline),
        store=ctx.state_store(),
        terminal=terminal,
        now=ctx.now,
    )
    watch = WatchCycles(
        request=request,
        sides=sides,
        aws_for=lambda p, deadline: ctx.aws(p, deadline=deadline),
        github_for=lambda deadline, app: ctx.github(None, deadline, app=app),
        given=sets,
        timeout=60,
        app=None,
        permissions={},
        on_change=policy,
    )
    watch.start()
    seen: list[Cycle] = []
    edits = [1]
    ticks = [0.0]  # the monotonic clock: a wait's slice passes at once

    def between(delay: float) -> bool:
        ticks[0] += delay
        if edits:
            edits.pop()
            hand_edit(
                world, "/repos/octo-org/app/actions/secrets", "AWS_SECRET_ACCESS_KEY", OTHER_VALUE
            )
        return False

    watcher = Watcher(
        push=watch.run,
        now=ctx.now,
        wait=between,
        monotonic=lambda: ticks[0],
        stopping=lambda: False,
        on_cycle=seen.append,
        jitter=lambda _limit: 0.0,
        warnings=watch.warnings,
        changed=watch.changed,
        max_cycles=cycles,
    )
    ended: Exception | None = None
    try:
        watcher.run()
    except ChangedElsewhere as exc:
        ended = exc
    text = "\n".join(c.line() + "\n" + "\n".join(c.failure_lines()) for c in seen)
    assert_no_leak(text + str(terminal.notes), world.secret_values() | {OTHER_VALUE})
    return seen, terminal, ended


def sides_record(world: World) -> dict[str, str]:
    """octo-org/app's recorded write times, as the state file holds them now."""
    from sso_sync.keepfresh.state import StateStore, target_key
    from sso_sync.state_dir import state_dir

    record = StateStore(state_dir(os.environ)).read()[target_key(APP, "")]
    assert record.written is not None
    return record.written


def app_secrets(world: World) -> dict[str, str]:
    return {n: s.value for n, s in world.sandbox.secrets("repos/octo-org/app/actions").items()}


def test_by_default_watch_overwrites_a_changed_secret_at_once_and_warns(world: World) -> None:
    seen, terminal, ended = watch_cycles(world, "overwrite", 3)
    assert ended is None
    first, second, third = seen
    assert first.changed == [] and first.pushed == ["octo-org/app", "octo-org/web"]
    # Fresh by the record, pushed anyway: the other writer's value is gone.
    assert [c.name for c in second.changed] == ["AWS_SECRET_ACCESS_KEY"]
    assert second.pushed == ["octo-org/app"] and second.fresh == ["octo-org/web"]
    assert app_secrets(world) == issued_as_secrets(world)
    line = second.line()
    assert ", CHANGED ELSEWHERE 1 (octo-org/app)" in line, line
    under = second.failure_lines()
    assert under[0].startswith("  octo-org/app: AWS_SECRET_ACCESS_KEY changed elsewhere at ")
    assert under[0].endswith(": overwritten with this machine's credentials")
    assert under[1].startswith("  fix: stop the other writer, or let one writer own it")
    [found] = second.changed
    stored = world.sandbox.secrets("repos/octo-org/app/actions")
    written = sides_record(world)["AWS_SECRET_ACCESS_KEY"]
    assert second.as_dict()["changed_elsewhere"] == [
        {
            "target": "octo-org/app",
            "set": None,
            "secret": "AWS_SECRET_ACCESS_KEY",
            "updated_at": found.updated_at,
            "written_at": found.written_at,
            "done": "overwritten with this machine's credentials",
        }
    ]
    # The other writer's time, and this machine's write before it (now overwritten again).
    assert found.updated_at <= stored["AWS_SECRET_ACCESS_KEY"].updated_at <= written
    assert found.written_at < found.updated_at  # two minutes of GitHub's clock apart
    assert second.as_dict()["ok"] is True  # handled: not a failure that brings the next cycle on
    # The overwrite is this machine's write again: the next cycle sees nothing changed.
    assert third.changed == [] and "CHANGED" not in third.line()
    assert len(terminal.notes) == 1
    title, message = terminal.notes[0]
    assert "changed elsewhere" in title and "AWS_SECRET_ACCESS_KEY" in message


def test_with_keep_watch_leaves_the_other_writers_value_and_tells_it_once(world: World) -> None:
    seen, terminal, ended = watch_cycles(world, "keep", 3)
    assert ended is None
    _first, second, third = seen
    for cycle in (second, third):  # reported every cycle, never written
        assert [c.name for c in cycle.changed] == ["AWS_SECRET_ACCESS_KEY"]
        assert cycle.pushed == [] and cycle.fresh == ["octo-org/web"]
        assert cycle.failure_lines()[0].endswith(
            ": kept: watch no longer writes this target (a `push` takes it back)"
        )
    assert app_secrets(world)["AWS_SECRET_ACCESS_KEY"] == OTHER_VALUE
    assert len(terminal.notes) == 1


def test_with_stop_watch_reports_the_cycle_and_ends_with_exit_1(world: World) -> None:
    seen, terminal, ended = watch_cycles(world, "stop", 3)
    assert isinstance(ended, ChangedElsewhere) and ended.exit_code == 1
    assert len(seen) == 2
    last = seen[-1]
    assert last.next_at is None and last.run is None
    assert "1 secret changed elsewhere (octo-org/app): stopped" in last.line()
    assert last.line().endswith("; no next run")
    assert last.failure_lines()[0].endswith(": watch stopped")
    assert app_secrets(world)["AWS_SECRET_ACCESS_KEY"] == OTHER_VALUE  # nothing written
    assert len(terminal.notes) == 1


def test_an_unknown_on_change_is_exit_2(world: World, run) -> None:
    result = run("watch", "--repo", "octo-org/app", "-p", "ci", "--on-change", "ignore")
    assert result.exit_code == 2
    assert "--on-change 'ignore': give one of overwrite, keep, stop" in result.stderr


@pytest.mark.slow
def test_watch_on_change_stop_ends_the_process_with_exit_1(world: World) -> None:
    """The option reaches the loop: a real `watch` process, one cycle every few seconds."""
    world.seed_token()
    world.sandbox.config.role_lifetime = 60
    with Watch(
        "--repo", "octo-org/app", "-p", "ci", "--refresh-before", "50s", "--on-change", "stop"
    ) as w:
        first = w.next_line(timeout=30)
        assert "pushed 1 (octo-org/app)" in first, first
        hand_edit(world, "/repos/octo-org/app/actions/secrets", "AWS_SESSION_TOKEN", OTHER_VALUE)
        code, out, err = w.finish(timeout=60)
    assert code == 1, err
    assert "changed elsewhere (octo-org/app): stopped" in err
    assert "AWS_SESSION_TOKEN changed elsewhere at" in err
    assert_no_leak(out + err, world.secret_values() | {OTHER_VALUE})
