"""`watch` across a suspend, with the wall clock moved by libfaketime in `watch` and in the
sandbox alike (tests/support/faketime.py): a target that fell due while the machine slept is
pushed within a slice of waking, not when the monotonic clock gets there."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.support.faketime import ChildSandbox, FakeWallClock, wait_until_blocked
from tests.support.watch import Watch
from tests.support.world import assert_no_leak, write_config_for

REPO = "octo-org/app"


def test_a_target_due_after_a_55_minute_suspend_is_pushed_on_waking(
    isolated_env: Path, tmp_path: Path
) -> None:
    clock = FakeWallClock(tmp_path)
    sandbox = ChildSandbox(clock.env)  # its credentials last an hour by its (moved) clock
    try:
        info = sandbox.info
        write_config_for(isolated_env, info["start_url"], info["region"])
        cache = isolated_env / ".aws" / "sso" / "cache"
        cache.mkdir(parents=True)
        entry = cache / (hashlib.sha1(b"corp").hexdigest() + ".json")
        entry.write_text(json.dumps(info["sso_token"]))
        entry.chmod(0o600)
        with Watch("--repo", REPO, "-p", "ci", env={**info["env"], **clock.env}) as watch:
            first = watch.next_line(timeout=60)
            assert "cycle 1: pushed 1" in first, first
            wait_until_blocked(watch.proc.pid)
            # The lid closes: both clocks jump 55 minutes, past the next run (about 45 minutes
            # on) and 5 minutes before the credentials expire. Without the wall clock, watch
            # would sleep on for 45 minutes.
            clock.set("+3300")
            second = watch.next_line(timeout=120)
            assert "cycle 2: pushed 1" in second, second
            watch.proc.terminate()
            code, out, err = watch.finish()
        assert code == 0, err
        assert_no_leak(err + out, sandbox.secrets())
    finally:
        sandbox.stop()
