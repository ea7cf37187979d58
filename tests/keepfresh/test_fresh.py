"""The state file, `push --min-remaining`, and the per-target locks, against the sandbox."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sso_sync.github.targets import Target
from sso_sync.keepfresh.state import StateStore, new_record, target_key
from sso_sync.state_dir import state_dir
from tests.support.world import World, assert_no_leak, issued_as_secrets

APP, API = "octo-org/app", "octo-org/api"


def store() -> StateStore:
    return StateStore(state_dir(os.environ))


def sso_sync(*args: str, timeout: float = 60) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("sso-sync")), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def test_state_file_records_each_push_without_a_secret(world: World, run) -> None:
    world.seed_token(expires_in=60)  # refreshed silently: the token cache is locked too
    assert run("push", "--repo", APP, "--repo", API, "-p", "ci").exit_code == 0
    path = Path(os.environ["HOME"]) / ".local" / "state" / "sso-sync" / "targets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # The lock files too: nobody else has a reason to open them.
    locks = [path.with_name("targets.json.lock"), *(path.parent / "locks").iterdir()]
    locks += world.sso_cache.glob("*.lock")
    assert len(locks) >= 4, locks
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in locks} == {p.name: 0o600 for p in locks}
    text = path.read_text()
    assert_no_leak(text, world.secret_values())
    records = store().read()
    app = records[target_key(Target("repo", "octo-org", "app"), "")]
    assert app.outcome == "created" and app.account_id == "111122223333"
    assert app.expires_at == issued_as_secrets(world)["AWS_CREDENTIAL_EXPIRATION"]
    assert app.role_name == "ci" and app.pushed_at == app.attempted_at
    assert len(records) == 2
    locks[0].chmod(0o644)  # as an older version left it: made private again on the next use
    assert run("push", "--repo", APP, "--repo", API, "-p", "ci").exit_code == 0
    assert stat.S_IMODE(locks[0].stat().st_mode) == 0o600


def test_min_remaining_right_after_a_push_makes_no_request_at_all(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--repo", APP, "--repo", API, "-p", "ci").exit_code == 0
    world.sandbox.clear_requests()
    again = run("push", "--repo", APP, "--repo", API, "-p", "ci", "--min-remaining", "30m")
    assert again.exit_code == 0, again.stderr
    assert world.sandbox.requests == []  # neither AWS nor GitHub
    assert f"{APP}: fresh (59 min left)" in again.stdout
    assert len(world.sandbox.issued_credentials) == 1
    as_json = run("push", "--repo", APP, "-p", "ci", "--min-remaining", "30m", "--json")
    [target] = json.loads(as_json.stdout)["targets"]
    assert target["outcome"] == "fresh" and 3500 < target["remaining_seconds"] <= 3600
    assert world.sandbox.requests == []


def test_min_remaining_with_a_pattern_all_fresh_sends_only_the_listing(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--repo", "octo-org/ap*", "-p", "ci").exit_code == 0
    world.sandbox.clear_requests()
    again = run("push", "--repo", "octo-org/ap*", "-p", "ci", "--min-remaining", "30m")
    assert again.exit_code == 0, again.stderr
    sent = [(r.service, r.method, r.path) for r in world.sandbox.requests]
    assert sent == [("github", "GET", "/orgs/octo-org/repos")]  # the read-only listing only
    assert f"{APP}: fresh (59 min left)" in again.stdout and f"{API}: fresh" in again.stdout


def test_min_remaining_writes_only_the_stale_targets(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--repo", APP, "-p", "ci").exit_code == 0
    world.sandbox.config.role_lifetime = 600  # API's credentials will live 10 minutes
    assert run("push", "--repo", API, "-p", "ci").exit_code == 0
    world.sandbox.config.role_lifetime = 3600
    world.sandbox.clear_requests()
    result = run("push", "--repo", APP, "--repo", API, "-p", "ci", "--min-remaining", "30m")
    assert result.exit_code == 0, result.stderr
    written = {r.path for r in world.sandbox.requests if r.method == "PUT"}
    assert written and all(p.startswith(f"/repos/{API}/") for p in written)
    assert f"{APP}: fresh" in result.stdout
    # Without the option, push always pushes.
    world.sandbox.clear_requests()
    assert run("push", "--repo", APP, "-p", "ci").exit_code == 0
    assert any(r.method == "PUT" for r in world.sandbox.requests)


def test_a_target_locked_until_the_deadline_is_busy_and_untouched(world: World, run) -> None:
    from filelock import FileLock

    world.seed_token()
    key = target_key(Target("repo", "octo-org", "app"), "")
    lock = FileLock(str(store().lock_path(key)))
    with lock:
        # The wait for the held lock takes half the deadline; the free target gets the rest.
        result = run("push", "--repo", APP, "--repo", API, "-p", "ci", "--timeout", "4", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    outcomes = {t["target"]: t["outcome"] for t in report["targets"]}
    assert outcomes == {APP: "busy", API: "created"}
    assert world.sandbox.secrets(f"repos/{APP}/actions") == {}
    assert "1 of 2 targets failed: octo-org/app (busy)" in result.stderr


def test_keys_are_fetched_while_the_push_waits_for_a_lock_and_not_again(world: World) -> None:
    """With every target due, the public keys are asked for as the push starts: reads, they
    do not wait for the locks or the state file (and in a push of many targets they are the
    round trips the writes wait for). The key fetched then is the one the writes use."""
    from filelock import FileLock

    world.seed_token()
    key = target_key(Target("repo", "octo-org", "app"), "")
    lock = FileLock(str(store().lock_path(key)))
    lock.acquire()
    try:
        waiting = sso_sync("push", "--repo", APP, "-p", "ci")
        seen = _github_requests_within(world, 30)
        assert waiting.poll() is None, waiting.communicate()  # still waiting for the lock
        assert seen == [("GET", f"/repos/{APP}/actions/secrets/public-key")]
        assert store().read() == {}  # nothing marked due: the lock is not taken yet
    finally:
        lock.release()
    _out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    github = [r.method for r in world.sandbox.requests if r.service == "github"]
    assert github == ["GET"] + ["PUT"] * 4
    stored = {n: s.value for n, s in world.sandbox.secrets(f"repos/{APP}/actions").items()}
    assert stored == issued_as_secrets(world)


def _github_requests_within(world: World, seconds: float) -> list[tuple[str, str]]:
    """The GitHub requests the sandbox has seen, once it has seen one (or `seconds` passed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen = [(r.method, r.path) for r in world.sandbox.requests if r.service == "github"]
        if seen:
            return seen
        time.sleep(0.05)
    return []


def test_ctrl_c_while_waiting_for_a_lock_does_not_wait_for_the_early_key_fetch(
    world: World,
) -> None:
    """The key fetch asked for as the push started is cut by Ctrl-C, not waited for: GitHub
    answering it slowly (8 s here) must not hold the exit up."""
    import signal

    from filelock import FileLock

    world.seed_token()
    world.sandbox.set_latency(8)
    key = target_key(Target("repo", "octo-org", "app"), "")
    with FileLock(str(store().lock_path(key))):
        waiting = sso_sync("push", "--repo", APP, "-p", "ci")
        # The key fetch has arrived (and waits out its latency); the push waits for the lock.
        deadline = time.monotonic() + 30
        while not world.sandbox.peak_in_flight("github") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert world.sandbox.peak_in_flight("github") == 1, waiting.poll()
        waiting.send_signal(signal.SIGINT)
        _out, err = waiting.communicate(timeout=7)  # sooner than the key fetch's answer
    assert waiting.returncode == 130, err
    assert "interrupted" in err


def test_keys_asked_for_early_end_with_a_push_that_finds_every_target_busy(
    world: World, run
) -> None:
    """Another run holds the only target until the deadline: the early key fetch is all that
    was sent, and the push ends busy, on time, with nothing written."""
    from filelock import FileLock

    world.seed_token()
    world.sandbox.set_latency(0.5)
    key = target_key(Target("repo", "octo-org", "app"), "")
    with FileLock(str(store().lock_path(key))):
        started = time.monotonic()
        result = run("push", "--repo", APP, "-p", "ci", "--timeout", "3", "--json")
        took = time.monotonic() - started
    assert result.exit_code == 1, result.stderr
    assert json.loads(result.stdout)["targets"][0]["outcome"] == "busy"
    assert took < 3 + 2  # the deadline, and the exit
    assert [r.method for r in world.sandbox.requests if r.service == "github"] == ["GET"]
    assert world.sandbox.secrets(f"repos/{APP}/actions") == {}


def test_a_waiting_push_checks_freshness_again_once_it_has_the_lock(world: World) -> None:
    from filelock import FileLock

    world.seed_token()
    target = Target("repo", "octo-org", "app")
    key = target_key(target, "")
    lock = FileLock(str(store().lock_path(key)))
    lock.acquire()
    try:
        waiting = sso_sync("push", "--repo", APP, "-p", "ci", "--min-remaining", "30m")
        time.sleep(2)
        # Still waiting for the lock (if not: what it said, for a failure seen once, not since).
        assert waiting.poll() is None, waiting.communicate()
        # Meanwhile the lock's holder pushed: its record lands before the lock is released.
        now = datetime.now(timezone.utc)
        record = new_record(
            target, "", outcome="updated", at=now, previous=None,
            expires_at=now + timedelta(hours=1), account_id="111122223333", role_name="ci",
        )  # fmt: skip
        store().update({key: record})
    finally:
        lock.release()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert f"{APP}: fresh (59 min left)" in out
    assert world.sandbox.requests == []


@pytest.mark.slow
def test_two_pushes_on_one_target_never_write_together(world: World) -> None:
    world.seed_token()
    world.sandbox.set_latency(0.3)
    first = sso_sync("push", "--repo", APP, "-p", "ci")
    second = sso_sync("push", "--repo", APP, "-p", "ci")
    for proc in (first, second):
        _out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err
    github = sorted(
        (r for r in world.sandbox.requests if r.service == "github"), key=lambda r: r.started
    )
    # Each push fetches the key once, as it starts (a read: it need not wait for the lock).
    assert sorted(r.method for r in github) == ["GET"] * 2 + ["PUT"] * 8
    # One push's four writes, each answered 0.3 s after it arrived, all end before the
    # other's begin: never interleaved.
    puts = [r.started for r in github if r.method == "PUT"]
    assert puts[4] - puts[3] >= 0.3, puts
    records = store().read()
    assert records[target_key(Target("repo", "octo-org", "app"), "")].outcome == "updated"


def test_an_interrupted_push_is_never_recorded_fresh(tmp_path: Path) -> None:
    import time as clock

    from sso_sync.github.targets import TargetSet
    from sso_sync.keepfresh.fresh import push_when_due
    from sso_sync.keepfresh.locks import TargetLockWait
    from sso_sync.push_run import PushRun

    states = StateStore(tmp_path)
    target = Target("repo", "octo-org", "app")
    key = target_key(target, "")
    now = datetime.now(timezone.utc)
    states.update({key: new_record(target, "", outcome="updated", at=now, previous=None,
                                   expires_at=now + timedelta(minutes=20))})  # fmt: skip

    def interrupted(_sets: object) -> PushRun:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        push_when_due(
            [TargetSet(None, None, "", (target,))],
            interrupted,
            store=states,
            lock_wait=TargetLockWait(1, clock.monotonic, clock.sleep),
            min_remaining=timedelta(minutes=30),
            now=lambda: now,
            empty_run=lambda: PushRun([], []),
        )
    record = states.read()[key]
    assert record.outcome == "interrupted" and record.expires_at is None
    from filelock import FileLock

    with FileLock(str(states.lock_path(key)), timeout=0):  # released on the way out
        pass


def test_a_target_holding_another_roles_credentials_is_never_fresh(world: World, run) -> None:
    with (world.home / ".aws" / "config").open("a") as config:
        config.write(
            "\n[profile deploy]\nsso_session = corp\nsso_account_id = 111122223333\n"
            "sso_role_name = Deployer\nregion = us-east-1\n"
        )
    world.seed_token()
    assert run("push", "--repo", APP, "-p", "ci").exit_code == 0
    world.sandbox.clear_requests()
    result = run("push", "--repo", APP, "-p", "deploy", "--min-remaining", "30m", "--json")
    assert result.exit_code == 0, result.stderr
    [target] = json.loads(result.stdout)["targets"]
    assert target["outcome"] == "updated"
    assert store().read()[target_key(Target("repo", "octo-org", "app"), "")].role_name == "Deployer"


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGHUP"])
def test_a_push_killed_between_its_writes_is_never_recorded_fresh(
    world: World, run, sig: str
) -> None:
    """A fresh target is pushed, then a second push dies after its first PUT (SIGKILL; SIGHUP,
    as a closed terminal sends): the target holds a new key id beside the old session token, so
    the next `push --min-remaining` must push it again, not call it fresh."""
    import signal

    world.seed_token()
    assert run("push", "--repo", APP, "-p", "ci").exit_code == 0
    world.sandbox.set_latency(0.5)
    world.sandbox.clear_requests()
    proc = sso_sync("push", "--repo", APP, "-p", "ci", "--concurrency", "1")
    deadline = time.monotonic() + 60
    while not [r for r in world.sandbox.requests if r.method == "PUT"]:
        assert time.monotonic() < deadline and proc.poll() is None, "no PUT was sent"
        time.sleep(0.02)
    proc.send_signal(getattr(signal, sig))
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    record = store().read()[target_key(Target("repo", "octo-org", "app"), "")]
    assert record.expires_at is None and record.outcome in ("interrupted", "mixed")
    world.sandbox.set_latency(0)
    again = run("push", "--repo", APP, "-p", "ci", "--min-remaining", "10m", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["targets"][0]["outcome"] == "updated"
