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
    # Start-up: four commands, each with a median in ms and a ratio.
    assert len(re.findall(r"^\| `[^`]+` \| \d+ ms \| \d+\.\d\d×", report, re.MULTILINE)) == 4
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


def _run_adhoc(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "adhoc" / script), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ghp_sandbox" not in result.stdout + result.stderr
    return result


def test_adhoc_concurrent_refresh_refreshes_once() -> None:
    result = _run_adhoc("concurrent_refresh.py", "--runs", "3", "login", "--profile", "ci")
    assert "3/3 exit 0" in result.stdout
    assert "'CreateToken': 1" in result.stdout


def test_adhoc_push_many_pushes_every_secret() -> None:
    result = _run_adhoc("push_many.py", "--repos", "2", "--latency", "0", "--concurrency", "1")
    assert "exit 0, ok=True" in result.stdout, result.stdout
    assert "{'GET': 2, 'PUT': 8}" in result.stdout


def test_adhoc_session_tools_reports_numbers() -> None:
    import json

    report = json.loads(_run_adhoc("session_tools.py", "--runs", "1", "--concurrent", "2").stdout)
    concurrent = report["concurrent_status_on_a_token_needing_refresh"]
    assert concurrent["exit_codes"] == {"0": 2}
    assert concurrent["sandbox_calls"]["CreateToken"] == 1
    assert concurrent["token_cache_intact"] is True


def test_adhoc_watch_idle_reports_a_cycle_and_the_idle_table() -> None:
    result = _run_adhoc("watch_idle.py", "--cycles", "1", "--idle", "1")
    assert "cycle 1: pushed 1 (octo-org/app)" in result.stdout
    assert "exit 0 after SIGTERM" in result.stdout
    assert re.search(r"^\| peak RSS \(VmHWM\) \| \d+ kB \|$", result.stdout, re.MULTILINE)
    assert "| requests sent while idle | 0 |" in result.stdout


def test_adhoc_hostile_peers_prints_its_table() -> None:
    result = _run_adhoc("hostile_peers.py", "--quick")
    assert re.search(r"^\| html \| github \| list .* \| \d+\.\d s \| 1 \|$", result.stdout, re.M)


def test_adhoc_push_profile_prints_the_profile_of_a_fresh_push() -> None:
    result = _run_adhoc("push_profile.py", "--repos", "1", "--runs", "1", "--top", "5", "--ours")
    assert re.search(r"^fresh push, 1 repos at 0 ms: median \d+\.\d+ s of 1", result.stdout, re.M)
    assert "cProfile, whole run" in result.stdout
    # Only our own functions with --ours, each with its share of the run.
    rows = re.findall(r"^ *\d+\.\d%.*\((\S+\.py):\d+\)$", result.stdout, re.MULTILINE)
    assert len(rows) == 5, result.stdout
