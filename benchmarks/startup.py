"""How fast `sso-sync --help` and `--version` start, against `python -c "import typer"`.

    .venv/bin/python benchmarks/startup.py [--runs N]

Prints, as JSON, the median wall time of each over N fresh processes and the ratio to
importing typer alone (the floor for a typer CLI). Run `python -m compileall src` first when
PYTHONDONTWRITEBYTECODE is set, or every run also compiles our sources.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

SSO_SYNC = str(Path(sys.executable).with_name("sso-sync"))


def median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    floor = median_seconds([sys.executable, "-c", "import typer"], runs)
    report: dict[str, object] = {"runs": runs, "import typer ms": round(floor * 1000, 1)}
    for args in (["--help"], ["--version"], ["push", "--help"]):
        took = median_seconds([SSO_SYNC, *args], runs)
        name = "sso-sync " + " ".join(args)
        report[f"{name} ms"] = round(took * 1000, 1)
        report[f"{name} / import typer"] = round(took / floor, 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
