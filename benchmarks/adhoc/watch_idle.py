"""`sso-sync watch` against the loopback sandbox: a transcript of its cycles, and what it costs
while it sleeps between them (not part of the test suite).

    .venv/bin/python benchmarks/adhoc/watch_idle.py [--cycles N] [--idle SECONDS]

First run: role credentials living 60 s, `--refresh-before 50s`: prints the stderr lines and the
`--json` lines of N cycles (new credentials each time), then SIGTERM. Second run: one-hour
credentials (the default margin, 15 min, so the first sleep is about 45 min): after the first
cycle, the CPU time it uses over --idle seconds (utime + stime from /proc/PID/stat) and its peak
RSS (VmHWM from /proc/PID/status). Linux only. Everything under a temporary HOME.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sso_sync.sandbox import Sandbox, SandboxConfig

SSO_SYNC = str(Path(sys.executable).with_name("sso-sync"))
REPO = "octo-org/app"


def _home(root: Path, sandbox: Sandbox) -> dict[str, str]:
    home = root / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        "[profile ci]\nsso_session = corp\nsso_account_id = 111122223333\n"
        "sso_role_name = ci\nregion = us-east-1\n\n[sso-session corp]\n"
        f"sso_start_url = {sandbox.config.start_url}\nsso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n"
    )
    token = home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")  # noqa: S324
    token.write_text(json.dumps(sandbox.mint_token(session_name="corp")))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "GH_", "GITHUB_", "XDG_", "SSO_SYNC_"))
    }
    return env | sandbox.env() | {"HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws/config")}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status(pid: int, key: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def transcript(cycles: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, Sandbox(SandboxConfig(role_lifetime=60)) as sb:
        env = _home(Path(tmp), sb)
        argv = [SSO_SYNC, "watch", "--repo", REPO, "-p", "ci", "--refresh-before", "50s", "--json"]
        print("$ sso-sync " + " ".join(argv[1:]))
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert proc.stderr is not None
        assert proc.stdout is not None
        keys = []
        for _ in range(cycles):
            line = proc.stderr.readline()
            print("stderr: " + line.rstrip())
            print("stdout: " + proc.stdout.readline().rstrip())
            keys.append(sb.secrets(f"repos/{REPO}/actions")["AWS_ACCESS_KEY_ID"].value[:8] + "...")
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        print("stderr: " + rest.rstrip().replace("\n", "\nstderr: "))
        print(f"exit {proc.wait()} after SIGTERM")
        print(f"access key ids GitHub decrypted after each cycle: {', '.join(keys)}")
        print(f"credentials issued by the sandbox: {len(sb.issued_credentials)}")


def idle(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, Sandbox(SandboxConfig()) as sb:
        env = _home(Path(tmp), sb)
        argv = [SSO_SYNC, "watch", "--repo", REPO, "-p", "ci"]
        proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        first = proc.stderr.readline().rstrip()
        time.sleep(1)  # let the cycle's threads and connections wind down
        before, started = _cpu_seconds(proc.pid), time.monotonic()
        requests = len(sb.requests)
        time.sleep(seconds)
        used, span = _cpu_seconds(proc.pid) - before, time.monotonic() - started
        print(f"first cycle: {first}")
        print("| measure | value |\n|---|---|")
        print(f"| idle span | {span:.1f} s |")
        print(f"| CPU time used while idle (utime+stime) | {used:.3f} s |")
        print(f"| requests sent while idle | {len(sb.requests) - requests} |")
        print(f"| peak RSS (VmHWM) | {_status(proc.pid, 'VmHWM')} |")
        print(f"| RSS now (VmRSS) | {_status(proc.pid, 'VmRSS')} |")
        print(f"| threads | {_status(proc.pid, 'Threads')} |")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--idle", type=float, default=60.0, metavar="SECONDS")
    args = parser.parse_args()
    if args.cycles:
        transcript(args.cycles)
    if args.idle:
        idle(args.idle)


if __name__ == "__main__":
    main()
