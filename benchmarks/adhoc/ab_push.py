"""Before and after on a shared machine: two source trees timed in alternation, run by run.

    .venv/bin/python benchmarks/adhoc/ab_push.py --base-src /tmp/base/src [--repos 5]
        [--latency 0.05] [--rounds 15] [--fresh]

`--base-src` is another checkout's `src` (for instance `git archive main src | tar -x -C
/tmp/base`, plus this checkout's `src/sso_sync/_version.py`). Two workers, each with its own
sandbox world, one importing `--base-src` (PYTHONPATH) and one this checkout, take turns: each
round times one push in each (in-process, or with `--fresh` as a new `sso-sync` process, which
inherits the worker's PYTHONPATH), in an order that alternates, and the CPU time it took (the
worker's own in-process, sandbox included; the child's with `--fresh`): less swayed by load.
Load from other work then falls on both alike: the medians and their ratio are comparable
where whole runs minutes apart are not. Prints each side's medians, the ratio to run.py's
floor, and after ÷ before. Not a test: nothing asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import harness  # noqa: E402


def worker(repos: int, latency: float, fresh: bool) -> None:
    with harness.warm_world(repos, latency) as (w, argv):
        print("ready", flush=True)
        who = resource.RUSAGE_CHILDREN if fresh else resource.RUSAGE_SELF
        for _line in sys.stdin:
            before = resource.getrusage(who)
            run = w.run_cli(argv) if fresh else w.invoke_cli(argv)
            after = resource.getrusage(who)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            print(f"{run.seconds if run.returncode == 0 else -1.0} {cpu}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-src", type=Path)
    parser.add_argument("--repos", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--fresh", action="store_true", help="a new process per push")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.repos, args.latency, args.fresh)
        return
    if args.base_src is None:
        parser.error("--base-src is required")
    import compileall

    from run import floor_seconds

    compileall.compile_dir(str(HERE.parents[1] / "src"), quiet=1)
    compileall.compile_dir(str(args.base_src), quiet=1)
    command = [sys.executable, __file__, "--worker", "--repos", str(args.repos)]
    command += ["--latency", str(args.latency)] + (["--fresh"] if args.fresh else [])
    base_env = {**os.environ, "PYTHONPATH": str(args.base_src.resolve())}
    new_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    sides = {
        name: subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for name, env in (("before", base_env), ("after", new_env))
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    cpus: dict[str, list[float]] = {name: [] for name in sides}
    load = os.getloadavg()
    try:
        for proc in sides.values():
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        for i in range(args.rounds):
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for name in order:
                proc = sides[name]
                assert proc.stdin is not None
                assert proc.stdout is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
                seconds, cpu = proc.stdout.readline().split()
                times[name].append(float(seconds))
                cpus[name].append(float(cpu))
    finally:
        for proc in sides.values():
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=60)
    floor = floor_seconds(args.repos, args.latency, 8, harness.push_pacing())
    kind = "fresh process" if args.fresh else "in-process"
    end = os.getloadavg()
    print(
        f"{kind}, {args.repos} repos at {args.latency * 1000:.0f} ms, {args.rounds} rounds; "
        f"load average {load[0]:.2f} {load[1]:.2f} at start, {end[0]:.2f} {end[1]:.2f} at end"
    )
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        ratio = f", {median / floor:.2f}× floor" if floor else ""
        each = " ".join(f"{t:.3f}" for t in times[name])
        cpu = statistics.median(cpus[name])
        print(f"  {name:6}: median {median:.3f} s{ratio}, CPU {cpu:.3f} s  ({each})")
    cpu_ratio = statistics.median(cpus["after"]) / statistics.median(cpus["before"])
    print(f"  after ÷ before: {medians['after'] / medians['before']:.2f} (CPU {cpu_ratio:.2f})")


if __name__ == "__main__":
    main()
