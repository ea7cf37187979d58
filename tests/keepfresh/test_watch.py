"""`sso-sync watch`: the loop against the sandbox (two slow end-to-end runs) and its timing
rules with a fake clock."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from sso_sync.errors import AwsError, LoginRequired, UsageError
from sso_sync.keepfresh.watch import Cycle, Watcher, refresh_margin
from sso_sync.push_run import PushRun
from sso_sync.sandbox import SandboxConfig
from sso_sync.state_dir import state_dir
from sso_sync.waiting import WAKE_SLICE
from tests.support.watch import Watch
from tests.support.world import World, assert_no_leak, issued_as_secrets

REPO = "octo-org/app"
SCOPE = f"repos/{REPO}/actions"


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0, role_lifetime=60)


@pytest.mark.slow
def test_watch_pushes_new_credentials_every_cycle_and_rides_out_faults(world: World) -> None:
    world.seed_token()
    sandbox = world.sandbox
    # Faults the first cycles must ride out: GitHub 502s and a reset, an SSO 500.
    sandbox.inject_fault("github", "PUT", r"AWS_SESSION_TOKEN$", 502, times=2)
    sandbox.inject_fault("github", "PUT", r"AWS_ACCESS_KEY_ID$", 0, reset_connection=True)
    sandbox.inject_fault(
        "sso", "GET", r"^/federation/credentials$", 500, times=1, body={"message": "oops"}
    )
    started = time.monotonic()
    watch = Watch("--repo", REPO, "-p", "ci", "--refresh-before", "50s", "--json")
    seen: list[dict[str, str]] = []
    while len(seen) < 3:
        line = watch.next_line(timeout=30)
        assert " cycle " in line and "next run" in line, line
        assert "pushed 1 (octo-org/app)" in line, line
        stored = {n: s.value for n, s in sandbox.secrets(SCOPE).items()}
        assert stored == issued_as_secrets(world)  # decrypted at GitHub: what SSO issued last
        seen.append(stored)
    assert time.monotonic() - started < 45
    statuses = {(r.service, r.status) for r in sandbox.requests}
    assert {("github", 502), ("github", 0), ("sso", 500)} <= statuses  # the faults did happen
    assert len({s["AWS_ACCESS_KEY_ID"] for s in seen}) == 3  # new values every cycle

    # SIGTERM in the middle of a cycle: requests slow, the next cycle's first one under way.
    sandbox.set_latency(1.0)
    count = len(sandbox.requests)
    deadline = time.monotonic() + 30
    while len(sandbox.requests) == count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    watch.proc.send_signal(signal.SIGTERM)
    code, out, err = watch.finish()
    assert code == 0, err
    assert "stopped" in err
    cycles = [json.loads(line) for line in out.splitlines()]
    assert [c["cycle"] for c in cycles[:3]] == [1, 2, 3]
    assert all(c["pushed"] == [REPO] for c in cycles[:3])
    state = json.loads((state_dir(os.environ) / "targets.json").read_text())
    [record] = state["targets"].values()
    # Where the signal lands depends on timing: in the writes (they finish), or before them
    # (each cycle lists the target first, for changes made elsewhere: then nothing is sent).
    outcomes = ("updated", "failed", "mixed", "not-attempted")
    assert record["target"] == REPO and record["outcome"] in outcomes
    assert_no_leak(out + err + json.dumps(state), world.secret_values())


@pytest.mark.slow
def test_watch_ends_with_exit_3_and_the_line_when_the_session_ends(world: World) -> None:
    world.seed_token()
    watch = Watch("--repo", REPO, "-p", "ci", "--refresh-before", "55s")
    first = watch.next_line(timeout=30)
    assert "pushed 1" in first, first
    world.sandbox.end_sessions()  # the refresh token is refused too
    code, out, err = watch.finish(timeout=40)
    assert code == 3, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and "sso-sync login --profile ci" in last, last
    assert_no_leak(out + err, world.secret_values())


def test_watch_with_a_revoked_refresh_token_exits_3_at_once(world: World, run) -> None:
    world.seed_token(expires_in=-60)
    world.sandbox.revoke_refresh_tokens()
    result = run("watch", "--repo", REPO, "-p", "ci")
    assert result.exit_code == 3, result.stderr
    assert "sso-sync login --profile ci" in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("bad", [(), ("--refresh-before", "soon")])
def test_watch_json_ending_in_an_error_prints_json_lines_only(
    world: World, run, bad: tuple[str, ...]
) -> None:
    world.seed_token(expires_in=-60)
    world.sandbox.revoke_refresh_tokens()
    result = run("watch", "--repo", REPO, "-p", "ci", "--json", *bad)
    assert result.exit_code == (2 if bad else 3), result.stderr
    lines = result.stdout.splitlines()
    assert lines, result.stderr
    objects = [json.loads(line) for line in lines]  # every line one whole object
    assert objects[-1]["ok"] is False and objects[-1]["error"]["exit_code"] == result.exit_code


def test_an_explicit_refresh_before_not_shorter_than_the_lifetime_is_exit_2(
    world: World, run
) -> None:
    world.seed_token()
    result = run("watch", "--repo", REPO, "-p", "ci", "--refresh-before", "2m")
    assert result.exit_code == 2, result.stderr
    assert "--refresh-before 120s is not shorter than the credentials' lifetime" in result.stderr


@pytest.mark.parametrize("given", ["60s", "61s"])
def test_a_refresh_before_as_long_as_the_lifetime_is_exit_2_after_the_first_cycle(
    world: World, given: str
) -> None:
    # 60-second credentials: the lifetime is only known once they are issued, so the first
    # cycle pushes, says so, and then watch ends (it never loops without sleeping).
    world.seed_token()
    with Watch("--repo", REPO, "-p", "ci", "--refresh-before", given) as watch:
        code, _out, err = watch.finish(timeout=20)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert " cycle 1: pushed 1 (octo-org/app)" in lines[0] and lines[0].endswith("; no next run")
    # The lifetime is measured from the answer's arrival, to the whole second: on a loaded
    # machine an answer more than half a second on its way makes it 59s.
    assert re.match(rf"error: --refresh-before {given} is not shorter than the credentials' "
                    r"lifetime \((59|60)s\)", lines[1]), lines[1]  # fmt: skip
    github_puts = [r for r in world.sandbox.requests if r.service == "github" and r.method == "PUT"]
    assert len(github_puts) == 4  # one cycle's four secrets


# --- the timing rules, with a fake clock ----------------------------------------------------


def test_only_the_default_margin_shortens_for_short_lived_credentials() -> None:
    assert refresh_margin(None, timedelta(hours=1)) == timedelta(minutes=15)
    assert refresh_margin(None, timedelta(minutes=30)) == timedelta(minutes=10)
    assert refresh_margin(timedelta(minutes=20), timedelta(minutes=30)) == timedelta(minutes=20)
    with pytest.raises(UsageError):
        refresh_margin(timedelta(minutes=30), timedelta(minutes=30))


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
        self.waits: list[float] = []
        self.slices: list[float] = []
        self._asleep = False
        self.ticks = 0.0  # the monotonic clock: it runs while awake only
        self.jumps: dict[int, timedelta] = {}  # at the n-th slice (from 1), the wall clock jumps

    def monotonic(self) -> float:
        return self.ticks

    def now(self) -> datetime:
        return self.at

    def wait(self, seconds: float) -> bool:
        """One slice of a sleep: `waits` adds up each sleep between two pushes."""
        self.slices.append(seconds)
        if self._asleep:
            self.waits[-1] += seconds
        else:
            self.waits.append(seconds)
        self._asleep = True
        self.at += timedelta(seconds=seconds) + self.jumps.get(len(self.slices), timedelta())
        self.ticks += seconds
        return False

    def pushing(self, push: Callable[[timedelta], PushRun]) -> Callable[[timedelta], PushRun]:
        def woken(min_remaining: timedelta) -> PushRun:
            self._asleep = False
            return push(min_remaining)

        return woken


def one_hour_run(clock: FakeClock) -> PushRun:
    from sso_sync.aws.role_credentials import RoleCredentials

    creds = RoleCredentials("1", "ci", "a", "b", "c", clock.at + timedelta(hours=1))
    return PushRun([], [("ci", creds)], profiles=[None], remaining={REPO: 3600.0})


def test_cycles_sleep_until_the_margin_and_back_off_after_a_failure() -> None:
    clock = FakeClock()
    outcomes: list[object] = ["ok", AwsError("cannot reach IAM Identity Center"), "fail", "ok"]
    asked: list[timedelta] = []
    lines: list[str] = []

    def push(min_remaining: timedelta) -> PushRun:
        asked.append(min_remaining)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == "fail":
            raise AwsError("still unreachable")
        return one_hour_run(clock)

    Watcher(
        push=clock.pushing(push),
        now=clock.now,
        wait=clock.wait,
        monotonic=clock.monotonic,
        stopping=lambda: False,
        on_cycle=lambda c: lines.append(c.line()),
        jitter=lambda limit: limit,
        max_cycles=4,
    ).run()
    # 60 min - 15 min margin - 30 s jitter; then 5 s and 10 s back-off; then 45 min again.
    assert clock.waits == [45 * 60 - 30, 5, 10]
    assert asked[0] == timedelta(minutes=15, seconds=31)
    assert "cycle 2 failed: cannot reach IAM Identity Center" in lines[1]
    assert lines[3].endswith("expiry 2026-11-30T13:44:45Z; next run 2026-11-30T13:29:15Z")


def fake_watcher(
    clock: FakeClock,
    push: Callable[[timedelta], PushRun],
    on_cycle: Callable[[Cycle], None] = lambda c: None,
    **options: Any,
) -> Watcher:
    """The loop on `clock`, never stopped, no jitter unless `options` say otherwise."""
    return Watcher(
        push=clock.pushing(push),
        now=clock.now,
        wait=clock.wait,
        monotonic=clock.monotonic,
        stopping=lambda: False,
        on_cycle=on_cycle,
        **{"jitter": lambda limit: 0.0, **options},
    )


def watcher_over(clock: FakeClock, cycles: list[Cycle], count: int = 2) -> Watcher:
    return fake_watcher(clock, lambda _min: one_hour_run(clock), cycles.append, max_cycles=count)


def test_after_a_suspend_a_due_cycle_runs_within_a_slice_of_waking() -> None:
    # Ten minutes into the 45-minute sleep the lid closes for 55 minutes: the monotonic clock
    # stops (it does on Linux), the wall clock does not.
    clock = FakeClock()
    clock.jumps[20] = timedelta(minutes=55)
    cycles: list[Cycle] = []
    watcher_over(clock, cycles).run()
    woke = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc) + timedelta(minutes=10 + 55)
    assert cycles[1].at > cycles[0].next_at  # type: ignore[operator]
    assert cycles[1].at - woke <= timedelta(seconds=WAKE_SLICE)
    assert max(clock.slices) <= WAKE_SLICE


def test_a_wall_clock_set_back_neither_spins_nor_stretches_the_sleep() -> None:
    clock = FakeClock()
    clock.jumps[3] = -timedelta(hours=2)
    cycles: list[Cycle] = []
    watcher_over(clock, cycles).run()
    # The sleep asked for (45 minutes) passes on the monotonic clock, in whole slices.
    assert clock.waits == [45 * 60]
    assert len(clock.slices) == 45 * 60 / WAKE_SLICE


def test_a_target_due_already_is_never_pushed_again_without_a_sleep() -> None:
    # Ten seconds left against a 15-minute margin: due in the past; the next cycle still waits.
    clock = FakeClock()
    three_cycles(clock, lambda _min: PushRun([], [], remaining={REPO: 10.0}))
    assert clock.waits == [5.0, 5.0]


def three_cycles(clock: FakeClock, push: Callable[[timedelta], PushRun]) -> None:
    """Three cycles on the fake clock, the most jitter each time."""
    fake_watcher(clock, push, jitter=lambda limit: limit, max_cycles=3).run()


def test_the_lifetime_is_measured_from_when_the_credentials_arrived() -> None:
    # The cycle's sign-in refresh took 3 s: from the cycle's start they look like 63 s.
    from sso_sync.aws.role_credentials import RoleCredentials

    clock = FakeClock()
    received = clock.at + timedelta(seconds=3)
    creds = RoleCredentials("1", "ci", "a", "b", "c", received + timedelta(seconds=60), received)
    cycles: list[Cycle] = []
    watcher = fake_watcher(
        clock,
        lambda _min: PushRun([], [("ci", creds)], remaining={REPO: 63.0}),
        cycles.append,
        refresh_before=timedelta(seconds=60),
    )
    with pytest.raises(UsageError, match="lifetime \\(60s\\)"):
        watcher.run()
    assert [c.next_at for c in cycles] == [None]
    assert clock.waits == []


def test_a_sign_in_needed_ends_the_loop() -> None:
    clock = FakeClock()

    def push(_min: timedelta) -> PushRun:
        raise LoginRequired("run `aws sso login --profile ci`")

    watcher = Watcher(
        push=push,
        now=clock.now,
        wait=clock.wait,
        monotonic=clock.monotonic,
        stopping=lambda: False,
        on_cycle=lambda c: None,
        jitter=lambda limit: 0.0,
    )
    with pytest.raises(LoginRequired):
        watcher.run()


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0), (signal.SIGHUP, 0)]
)
def test_a_signal_while_asleep_ends_watch_at_once(
    world: World, sandbox_config: SandboxConfig, signum: int, code: int
) -> None:
    sandbox_config.role_lifetime = 3600  # the first sleep is about 45 minutes
    world.seed_token()
    watch = Watch("--repo", REPO, "-p", "ci")
    assert "pushed 1" in watch.next_line(timeout=30)
    started = time.monotonic()
    watch.proc.send_signal(signum)
    returned, _out, err = watch.finish(timeout=10)
    assert returned == code, err
    assert time.monotonic() - started < 5
    assert err.strip().splitlines()[-1] == (
        "interrupted" if code else "stopped: the state file is up to date"
    )


def _one_hour_and_a_missing_repository(clock: FakeClock, missing_error: str) -> PushRun:
    from sso_sync.github.push import SecretResult, TargetResult
    from sso_sync.github.targets import Target

    run = one_hour_run(clock)
    run.results = [
        TargetResult(
            Target("repo", "nobody", "none"),
            [SecretResult("AWS_ACCESS_KEY_ID", "failed", missing_error)],
            missing_error,
        )
    ]
    return run


@pytest.mark.parametrize(
    ("error", "waits"),
    [
        # GitHub says it does not exist: tried again with the next regular cycle, not in 5 s.
        (None, [45 * 60 - 30, 45 * 60 - 30]),
        # It may pass by itself: the quick retry, backing off.
        ("cannot reach GitHub (ConnectionError): check the network", [5, 10]),
    ],
)
def test_a_repository_that_does_not_exist_waits_for_the_next_regular_cycle(error, waits) -> None:
    from sso_sync.github.targets import Target

    clock = FakeClock()
    missing = Target("repo", "nobody", "none")
    text = error or f"fetching the public key: {missing.not_found_hint}"
    three_cycles(clock, lambda _min: _one_hour_and_a_missing_repository(clock, text))
    assert clock.waits == waits
