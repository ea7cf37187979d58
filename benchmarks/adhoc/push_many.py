"""Wall time and request count of `sso-sync push` to 20 repositories x 4 secrets with 100 ms of
latency added to every sandbox request.

    .venv/bin/python benchmarks/adhoc/push_many.py [--repos 20] [--latency 0.1] [--concurrency 1 8]

Runs the real CLI in a subprocess against the loopback sandbox, with a throwaway HOME.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    repos = {f"octo-org/repo{i:02d}": [] for i in range(args.repos)}
    config = SandboxConfig(device_interval=0, repos=repos)
    with Sandbox(config) as sandbox, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        aws = home / ".aws"
        (aws / "sso" / "cache").mkdir(parents=True)
        (aws / "config").write_text(
            "[profile ci]\nsso_session = corp\nsso_account_id = 111122223333\n"
            f"sso_role_name = ci\nregion = {config.region}\n\n[sso-session corp]\n"
            f"sso_start_url = {config.start_url}\nsso_region = {config.region}\n"
        )
        cache = aws / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")  # noqa: S324
        cache.write_text(json.dumps(sandbox.mint_token(session_name="corp")))
        cache.chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GH_", "GITHUB_"))}
        env |= sandbox.env() | {"HOME": str(home), "AWS_CONFIG_FILE": str(aws / "config")}
        sandbox.set_latency(args.latency)
        cli = str(Path(sys.executable).with_name("sso-sync"))
        argv = [cli, "push", "--profile", "ci", "--json"]
        for name in repos:
            argv += ["--repo", name]
        for concurrency in args.concurrency:
            sandbox.clear_requests()
            started = time.monotonic()
            done = subprocess.run(
                [*argv, "--concurrency", str(concurrency)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.monotonic() - started
            report = json.loads(done.stdout)
            github = [r for r in sandbox.requests if r.service == "github"]
            aws_calls = [r for r in sandbox.requests if r.service != "github"]
            print(
                f"{args.repos} repos x 4 secrets, {args.latency * 1000:.0f} ms latency, "
                f"--concurrency {concurrency}: exit {done.returncode}, ok={report['ok']}, "
                f"wall {wall:.2f} s, GitHub requests {len(github)} "
                f"{dict(Counter(r.method for r in github))}, AWS requests {len(aws_calls)}"
            )


if __name__ == "__main__":
    main()
