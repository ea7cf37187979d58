"""Each hostile peer x command: the real `sso-sync` CLI, its time to exit and its exit code.

    .venv/bin/python benchmarks/adhoc/hostile_peers.py                  # this checkout
    .venv/bin/python benchmarks/adhoc/hostile_peers.py --python /work/main/.venv/bin/python
    .venv/bin/python benchmarks/adhoc/hostile_peers.py --quick        # one cell, a few seconds

`--python` picks the interpreter (and so the installed sso-sync) that runs the CLI; the peers
(tests/support/hostile.py) and the loopback sandbox run here. Every cell passes `--timeout 3`
where the command takes it (a command without the option runs without it) and is killed at
`--cap` seconds (reported as ">CAP s"). Prints a Markdown table. Not a test: nothing asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.hostile import HostilePeer  # noqa: E402
from tests.support.world import World, write_config  # noqa: E402

from sso_sync.sandbox import Sandbox, SandboxConfig  # noqa: E402

REPO = "octo-org/app"
PEERS = ("stall", "drip", "redirect", "html", "json")


@dataclass(frozen=True)
class Cell:
    side: str  # which endpoint the peer replaces: github, sso, oidc
    command: tuple[str, ...]
    token_expires_in: int = 3600


CELLS = [
    Cell("github", ("push", "--repo", REPO, "--profile", "ci")),
    Cell("github", ("list", "--repo", REPO)),
    Cell("github", ("remove", "--repo", REPO, "--yes")),
    Cell("sso", ("push", "--repo", REPO, "--profile", "ci")),
    Cell("sso", ("status", "--profile", "ci")),
    Cell("sso", ("export", "--profile", "ci")),
    Cell("oidc", ("push", "--repo", REPO, "--profile", "ci"), token_expires_in=300),
]
VARIABLE = {
    "github": "GITHUB_API_URL",
    "sso": "AWS_ENDPOINT_URL_SSO",
    "oidc": "AWS_ENDPOINT_URL_SSO_OIDC",
}


def takes_timeout(python: str, command: str, env: dict[str, str]) -> bool:
    helped = subprocess.run(
        [python, "-c", "from sso_sync.cli import main; main()", command, "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return "--timeout" in helped.stdout


def run_cell(
    python: str,
    sandbox: Sandbox,
    argv: list[str],
    variable: str | None,
    peer_kind: str | None,
    expires_in: int,
    cap: float,
    latency_repos: int = 0,
) -> tuple[str, str]:
    home = Path(tempfile.mkdtemp(prefix="hostile-"))
    write_config(home, sandbox)
    World(sandbox=sandbox, home=home).seed_token(expires_in=expires_in)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GH_", "GITHUB_"))}
    env |= sandbox.env()
    env |= {"HOME": str(home), "AWS_CONFIG_FILE": str(home / ".aws" / "config"), "CI": "1"}
    env["GH_CONFIG_DIR"] = str(home / "gh")
    peer = HostilePeer(peer_kind, interval=2.0) if peer_kind else None
    if peer is not None:
        peer.__enter__()
        assert variable is not None
        env[variable] = peer.url
    try:
        started = time.monotonic()
        proc = subprocess.Popen(
            [python, "-c", "from sso_sync.cli import main; main()", *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            code = proc.wait(timeout=cap)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return f">{cap:.0f} s", "-"
        return f"{time.monotonic() - started:.1f} s", str(code)
    finally:
        if peer is not None:
            peer.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--cap", type=float, default=60.0)
    parser.add_argument("--parallel", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one cell: `list` against HTML")
    args = parser.parse_args()
    cells = CELLS[1:2] if args.quick else CELLS
    peers = ("html",) if args.quick else PEERS
    rows: list[tuple[str, str, str, str, str]] = []
    with Sandbox(SandboxConfig(device_interval=0)) as sandbox:
        base_env = {**os.environ, "HOME": tempfile.mkdtemp()}
        jobs = []
        for cell in cells:
            argv = list(cell.command)
            if takes_timeout(args.python, argv[0], base_env):
                argv += ["--timeout", "3"]
            for kind in peers:
                jobs.append((cell.side, argv, VARIABLE[cell.side], kind, cell.token_expires_in))
        with ThreadPoolExecutor(args.parallel) as pool:
            futures = [
                (
                    side,
                    argv,
                    kind,
                    pool.submit(
                        run_cell, args.python, sandbox, argv, variable, kind, expires, args.cap
                    ),
                )
                for side, argv, variable, kind, expires in jobs
            ]
            for side, argv, kind, future in futures:
                took, code = future.result()
                rows.append((kind, side, " ".join(argv), took, code))
    # 20 repositories at 0.5 s a request, one at a time (a slow GitHub, no hostile peer).
    with (
        contextlib.nullcontext()
        if args.quick
        else Sandbox(
            SandboxConfig(device_interval=0, repos={f"octo-org/r{i:02}": [] for i in range(20)})
        ) as slow
    ):
        if slow is None:
            print_table(rows)
            return
        slow.set_latency(0.5)
        argv = ["push", *[a for i in range(20) for a in ("-R", f"octo-org/r{i:02}")]]
        argv += ["-p", "ci", "--concurrency", "1", "--timeout", "3"]
        took, code = run_cell(args.python, slow, argv, None, None, 3600, args.cap)
        rows.append(
            ("0.5 s latency", "github", "push 20 repos --concurrency 1 --timeout 3", took, code)
        )
    print_table(rows)


def print_table(rows: list[tuple[str, str, str, str, str]]) -> None:
    print("| peer | replaces | command | time to exit | exit code |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
