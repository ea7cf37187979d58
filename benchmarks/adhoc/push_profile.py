"""Where a fresh `sso-sync push` spends its time: cProfile of one push as a new process against
the loopback sandbox, with a throwaway HOME (after one untimed push, so the sandbox has its keys).

    .venv/bin/python benchmarks/adhoc/push_profile.py [--repos 5] [--latency 0] [--top 25]
        [--runs 5] [--importtime] [--timeline]

Prints the wall time of `--runs` plain fresh pushes (median), then the cumulative-time profile of
one push (`python -m cProfile`), restricted to the top entries, each with its share of the whole
run. `--importtime` adds `python -X importtime`'s largest imports. `--timeline` instead times
`--runs` pushes in this process (after two warm-ups) and prints when each request of the last one
reached the sandbox, from the push's start: what is on the critical path at that latency.
Not a test: nothing asserted.
"""

from __future__ import annotations

import argparse
import pstats
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import harness

# cProfile sees one thread; the push's requests and sealing run in worker threads, so each
# thread gets its own profiler and the stats are merged (a wait in the main thread then also
# counts the work it waited for: the shares are of the whole run, and overlap).
PROFILED = """
import cProfile, pstats, sys, threading, time
profiles = []
run = threading.Thread.run
def profiled_run(self):
    p = cProfile.Profile()
    profiles.append(p)
    p.runcall(run, self)
threading.Thread.run = profiled_run
main_profile = cProfile.Profile()
start = time.perf_counter()
main_profile.enable()
try:
    from sso_sync.cli import main
    sys.argv[0] = "sso-sync"
    main()
except SystemExit:
    pass
finally:
    main_profile.disable()
    stats = pstats.Stats(main_profile)
    for p in profiles:
        stats.add(p)
    stats.stats[("~", 0, "<main>")] = (1, 1, 0.0, time.perf_counter() - start, {{}})
    stats.dump_stats({out!r})
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--ours", action="store_true", help="only sso_sync's own functions")
    parser.add_argument("--timeline", action="store_true", help="in-process: each request's start")
    args = parser.parse_args()
    if args.timeline:
        timeline(args.repos, args.latency, args.runs)
        return
    import compileall

    # Installed packages have bytecode; an editable checkout under PYTHONDONTWRITEBYTECODE would
    # compile our sources in every run (as benchmarks/run.py, compile once first).
    compileall.compile_dir(str(Path(__file__).resolve().parents[2] / "src"), quiet=1)
    with harness.world(args.repos) as w:
        harness.no_delayed_ack_stalls()
        targets = [a for r in harness.repo_names(args.repos) for a in ("--repo", r)]
        argv = w.push_argv(targets)
        w.run_cli(argv)  # the sandbox makes its keys; bytecode is written
        w.sandbox.set_latency(args.latency)
        times = [w.run_cli(argv).seconds for _ in range(args.runs)]
        each = " ".join(f"{t:.3f}" for t in times)
        print(
            f"fresh push, {args.repos} repos at {args.latency * 1000:.0f} ms: median "
            f"{statistics.median(times):.3f} s of {args.runs} ({each})"
        )
        out = w.home / "push.prof"
        script = w.home / "sso_sync_main.py"
        script.write_text(PROFILED.format(out=str(out)))
        prof = [sys.executable, str(script), *argv]
        run = subprocess.run(
            prof, env=w.env, cwd=w.home, capture_output=True, text=True, check=False
        )
        if run.returncode != 0:
            raise SystemExit(f"profiled push failed: {run.stderr.strip()}")
        stats = pstats.Stats(str(out))
        total = stats.stats[("~", 0, "<main>")][3]
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][3], reverse=True)
        if args.ours:
            rows = [r for r in rows if "/sso_sync/" in r[0][0]]
        print(f"\ncProfile, whole run {total:.3f} s wall (profiler overhead included)")
        print("cumulative, all threads (a share over 100% counts work in several threads):")
        for (path, line, name), (_cc, calls, _tt, cum, _callers) in rows[: args.top]:
            where = f"{Path(path).name}:{line}" if line else path
            print(f"{cum / total:6.1%} {cum:7.3f} s {calls:6d}x  {name}  ({where})")
        if args.importtime:
            it = subprocess.run(
                [sys.executable, "-X", "importtime", str(script), *argv],
                env=w.env,
                cwd=w.home,
                capture_output=True,
                text=True,
                check=False,
            )
            top = []
            for line in it.stderr.splitlines()[1:]:
                if not line.startswith("import time:"):
                    continue
                _self_us, cum_us, name = line.removeprefix("import time:").split("|")
                if not name.startswith("  "):  # imported by the program itself, not a module
                    top.append((int(cum_us), name.strip()))
            top.sort(reverse=True)
            print("\n-X importtime, top-level imports (cumulative):")
            for cum_us, name in top[:15]:
                print(f"{cum_us / 1e6:7.3f} s  {name.strip()}")


def timeline(repos: int, latency: float, runs: int) -> None:
    """In-process pushes at `latency`; the arrival of each request of the last one."""
    import time

    with harness.warm_world(repos, latency) as (w, argv):
        times = []
        for _ in range(runs):
            w.sandbox.clear_requests()
            run = w.invoke_cli(argv)
            # From the timed start (after invoke_cli's garbage collection), not from the call.
            start = time.monotonic() - run.seconds
            if run.returncode != 0:
                raise SystemExit(f"push failed: {run.stderr.strip()}")
            times.append(run.seconds)
        for r in sorted(w.sandbox.requests, key=lambda r: r.started):
            what = r.operation or f"{r.method} {r.path}"
            print(f"{(r.started - start) * 1000:7.1f} ms  {r.service:6} {what}")
        print(f"{times[-1] * 1000:7.1f} ms  end")
        each = " ".join(f"{t:.3f}" for t in times)
        print(
            f"in-process push, {repos} repos at {latency * 1000:.0f} ms: median "
            f"{statistics.median(times):.3f} s of {runs} ({each})"
        )


if __name__ == "__main__":
    main()
