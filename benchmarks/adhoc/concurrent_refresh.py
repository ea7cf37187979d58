"""Twenty concurrent sso-sync runs against one sandbox, the cached token due for refresh.

    .venv/bin/python benchmarks/adhoc/concurrent_refresh.py push --repo octo-org/app --profile ci
    .venv/bin/python benchmarks/adhoc/concurrent_refresh.py --runs 5 login --profile ci

Prints the wall time, how many runs exited 0, and the sandbox's call counts by operation: with
the lock around check-refresh-write there is exactly one CreateToken however the runs interleave.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sso_sync.sandbox import Sandbox, SandboxConfig

RUNS = 20


def main(args: list[str], runs_wanted: int = RUNS) -> None:
    home = Path(tempfile.mkdtemp(prefix="sso-sync-bench-"))
    sso_sync = Path(sys.executable).with_name("sso-sync")
    with Sandbox(SandboxConfig()) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GH_", "GITHUB_"))}
        env |= sandbox.env() | {"HOME": str(home), "AWS_CONFIG_FILE": str(home / "config")}
        start, region = sandbox.config.start_url, sandbox.config.region
        (home / "config").write_text(
            f"[profile ci]\nsso_session = corp\nsso_account_id = 111122223333\n"
            f"sso_role_name = ci\nregion = {region}\n\n"
            f"[sso-session corp]\nsso_start_url = {start}\nsso_region = {region}\n"
        )
        cache = home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")  # noqa: S324
        cache.parent.mkdir(parents=True)
        # Two minutes left: inside botocore's 15-minute refresh window for every run.
        cache.write_text(json.dumps(sandbox.mint_token(expires_in=120, session_name="corp")))
        began = time.monotonic()
        runs = [
            subprocess.Popen(
                [str(sso_sync), *args],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(runs_wanted)
        ]
        codes = [run.wait(timeout=300) for run in runs]
        calls = Counter(r.operation or f"github {r.method}" for r in sandbox.requests)
        json.loads(cache.read_text())  # the cache is intact
        print(
            f"{' '.join(args)}: {time.monotonic() - began:.1f} s wall, "
            f"{codes.count(0)}/{runs_wanted} exit 0, calls: {dict(sorted(calls.items()))}"
        )


if __name__ == "__main__":
    argv = sys.argv[1:]
    count = RUNS
    if argv[:1] == ["--runs"]:
        count, argv = int(argv[1]), argv[2:]
    main(argv or ["login", "--profile", "ci"], count)
