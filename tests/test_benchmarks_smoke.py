"""The benchmark script still runs: its quickest case, end to end, in a few seconds.

Timings are never asserted here (they belong to `benchmarks/run.py` itself); this only checks
that the script drives the real CLI to success and produces its tables.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_produces_the_tables(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = output.read_text()
    assert result.stdout == report + "\n"  # the same tables on stdout and in the file
    for heading in ("## Start-up", "## Requests per operation", "## Fan-out", "## Peak memory"):
        assert heading in report
    # Start-up: three commands, each with a median in ms and a ratio.
    assert len(re.findall(r"^\| `[^`]+` \| \d+ ms \| \d+\.\d\d×", report, re.MULTILINE)) == 3
    # The pushes the benchmark made succeeded: a request count, not an exit code, per case.
    one_repo = re.search(r"^\| one repository \|(.*)$", report, re.MULTILINE)
    assert one_repo is not None and "PUT secret ×4" in one_repo.group(1)
    assert "✗ exit" not in report
    # Fan-out: one row for 1 repository at 0 ms with sso-sync timings in both modes.
    row = re.search(r"^\| 1 \| 0 ms \| 0\.00 s \| (\d+\.\d\d) s .*\| (\d+\.\d\d) s ", report, re.M)
    assert row is not None, report
    assert re.search(r"^\| sso-sync push \| \d+ MiB \|$", report, re.MULTILINE)
    # The sandbox's GitHub token (and anything else from it) never reaches the report.
    assert "ghp_sandbox" not in report + result.stderr
