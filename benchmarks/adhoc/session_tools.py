"""Numbers for `status` and `export` against the loopback sandbox (not part of the test suite).

    .venv/bin/python benchmarks/adhoc/session_tools.py [--runs N] [--concurrent N]

Prints, as JSON: the wall time of `sso-sync export --format credential-process` as an SDK
would run it (a fresh process) with and without a live role-cache entry, and the sandbox's
call counts for N concurrent `sso-sync status` processes on a token that needs a refresh.
Everything happens under a temporary HOME; the real ~/.aws is never read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sso_sync.sandbox import Sandbox, SandboxConfig

SSO_SYNC = str(Path(sys.executable).with_name("sso-sync"))


def _config(home: Path, sandbox: Sandbox) -> None:
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    (aws / "config").write_text(
        "[profile ci]\nsso_session = corp\nsso_account_id = 111122223333\n"
        "sso_role_name = ci\nregion = us-east-1\n\n[sso-session corp]\n"
        f"sso_start_url = {sandbox.config.start_url}\nsso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n"
    )


def _seed(home: Path, sandbox: Sandbox, expires_in: int) -> None:
    import hashlib

    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / (hashlib.sha1(b"corp").hexdigest() + ".json")  # noqa: S324
    path.write_text(json.dumps(sandbox.mint_token(expires_in=expires_in, session_name="corp")))


def _env(home: Path, sandbox: Sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GH_", "GITHUB_"))}
    env |= sandbox.env() | {"HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws/config")}
    return env


def _export_once(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [SSO_SYNC, "export", "--format", "credential-process", "--profile", "ci"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=20)
    args = parser.parse_args()
    report: dict[str, object] = {}
    with Sandbox(SandboxConfig(device_interval=0)) as sandbox:
        home = Path(tempfile.mkdtemp(prefix="sso-sync-bench-"))
        try:
            _config(home, sandbox)
            _seed(home, sandbox, expires_in=8 * 3600)
            env = _env(home, sandbox)
            cli_cache = home / ".aws" / "cli" / "cache"
            misses, hits = [], []
            for _ in range(args.runs):
                shutil.rmtree(cli_cache, ignore_errors=True)
                misses.append(_export_once(env))
                hits.append(_export_once(env))
            report["export_credential_process_seconds"] = {
                "role_cache_miss_median": round(statistics.median(misses), 3),
                "role_cache_hit_median": round(statistics.median(hits), 3),
                "runs": args.runs,
            }

            # A token 2 minutes from expiry: botocore refreshes it in every process that looks.
            shutil.rmtree(home / ".aws" / "sso", ignore_errors=True)
            shutil.rmtree(cli_cache, ignore_errors=True)
            _seed(home, sandbox, expires_in=120)
            sandbox.clear_requests()
            procs = [
                subprocess.Popen(
                    [SSO_SYNC, "status", "--profile", "ci", "--json"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for _ in range(args.concurrent)
            ]
            codes = Counter(p.wait(timeout=120) for p in procs)
            calls = Counter(r.operation for r in sandbox.requests)
            token = json.loads(next((home / ".aws" / "sso" / "cache").glob("*.json")).read_text())
            report["concurrent_status_on_a_token_needing_refresh"] = {
                "processes": args.concurrent,
                "exit_codes": dict(codes),
                "sandbox_calls": dict(calls),
                "token_cache_intact": {"accessToken", "refreshToken"} <= token.keys(),
            }
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
