"""`watch` with registry tokens: each secret keeps its own expiry, so a short-lived ECR password
is renewed on its own schedule while the role credentials beside it are still fresh."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta, timezone

import pytest

from sso_sync.aws.role_credentials import RoleCredentials
from sso_sync.keepfresh.watch import Watcher
from sso_sync.push_run import PushRun
from sso_sync.sandbox import SandboxConfig
from tests.support.watch import Watch
from tests.support.world import World

REPO = "octo-org/app"
SCOPE = f"repos/{REPO}/actions"
LINE = re.compile(
    r"(?P<at>\S+) cycle 1: pushed 1 \(octo-org/app\); expiry (?P<exp>\S+); next run \S+"
)


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    # Credentials for an hour, ECR passwords for 20 seconds (the margin: a third of that).
    return SandboxConfig(device_interval=0, role_lifetime=3600, ecr_token_lifetime=20)


def ecr_passwords(world: World) -> list[str]:
    return [t["value"] for t in world.sandbox.issued_registry_tokens if t["kind"] == "ecr"]


@pytest.mark.slow
def test_watch_renews_a_short_lived_ecr_password_while_the_credentials_are_fresh(
    world: World,
) -> None:
    world.seed_token()
    with Watch("--repo", REPO, "-p", "ci", "--ecr") as watch:
        lines = [watch.next_line(timeout=60) for _ in range(2)]
        stored = {n: s.value for n, s in world.sandbox.secrets(SCOPE).items()}
        watch.proc.terminate()
        code, _out, err = watch.finish()
    assert code == 0, err
    assert all("pushed 1 (octo-org/app)" in line for line in lines), lines
    # Two passwords, each pushed in its turn; GitHub holds the newest.
    assert len(ecr_passwords(world)) >= 2
    assert stored["ECR_PASSWORD"] in ecr_passwords(world)[1:]
    # Each cycle's expiry (and so its next run) is the password's, 20 s on, not the hour the
    # credentials pushed beside it still had: they were fresh when the password was renewed.
    first = LINE.fullmatch(lines[0].strip())
    assert first is not None, lines[0]
    at, expiry = (datetime.fromisoformat(first[n].replace("Z", "+00:00")) for n in ("at", "exp"))
    assert expiry - at <= timedelta(seconds=21)
    credentials = world.sandbox.issued_credentials[0]
    lasts = datetime.fromtimestamp(credentials["expiration"] / 1000, timezone.utc)
    assert lasts - expiry > timedelta(minutes=55)
    assert stored["AWS_ACCESS_KEY_ID"] in {
        c["accessKeyId"] for c in world.sandbox.issued_credentials
    }


def test_the_next_run_follows_the_soonest_secret_not_the_credentials() -> None:
    """An hour of credentials beside a 15-minute ECR password: the margin is a third of the
    password's life (5 min), so watch sleeps 15 - 5 min (less 30 s jitter) between pushes,
    rather than waking every few seconds against the credentials' 15-minute margin."""
    at = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    clock = [at]
    waits: list[float] = []

    pushed_at: list[datetime] = []

    def push(_min_remaining: timedelta) -> PushRun:
        now = clock[0]
        pushed_at.append(now)
        creds = RoleCredentials("1", "ci", "a", "b", "c", at + timedelta(hours=1), at)
        issued = {
            "AWS_ACCESS_KEY_ID": creds.expiration,
            "ECR_PASSWORD": now + timedelta(minutes=15),
        }
        return PushRun(
            [], [("ci", creds)], profiles=[None], remaining={REPO: 900.0}, issued={None: issued}
        )

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        clock[0] += timedelta(seconds=seconds)
        return False

    Watcher(
        push=push,
        now=lambda: clock[0],
        wait=wait,
        stopping=lambda: False,
        on_cycle=lambda _c: None,
        jitter=lambda limit: limit,
        max_cycles=3,
    ).run()
    # Waits come in slices on the wall clock (sleep and wake); between pushes, 570 s each time.
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(pushed_at)]
    assert gaps == [570.0, 570.0], gaps
    assert sum(waits) == 1140.0
