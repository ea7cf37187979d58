"""Benchmarks for sso-sync: start-up, requests per operation, fan-out, peak memory.

    .venv/bin/python benchmarks/run.py            # the full run (about 10 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # one tiny case of each kind, a few seconds
    .venv/bin/python benchmarks/run.py --startup-only [--startup-runs 30]   # start-up alone
    .venv/bin/python benchmarks/run.py --startup-only --help-of push,watch   # some commands only
    .venv/bin/python benchmarks/run.py --fanout-only --repos 5,20 --latencies 0,50 --no-gh
                                                  # some fan-out cells alone

Prints Markdown tables and writes them with the machine, versions and date to
benchmarks/RESULTS.md (or --output). Drives the real `sso-sync` command, so it measures whatever
`push` does in the checkout it runs from. Not a test: timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import harness
from harness import ENVIRONMENT, ORG, PushSupport, Run, World, median, repo_names
from pygithub_loop import SECRETS

HERE = Path(__file__).resolve().parent
LOOP_SCRIPT = HERE / "pygithub_loop.py"
SECRETS_PER_TARGET = 4
# GitHub's secondary-limit cost of a request ("Rate limits for the REST API").
READ_POINTS, WRITE_POINTS = 1, 5
# GitHub's documented cap on concurrent requests; the floor's cap when `push` sets none itself.
GITHUB_MAX_IN_FLIGHT = 100
TARGET_STARTUP = 1.3  # `sso-sync --help`, `--version`
TARGET_COMMAND_HELP = 1.5  # a command's `--help` (issue #22)
TARGET_FLOOR = 1.3
TARGET_VS_PYGITHUB = 10.0
TARGET_VS_GH = 1.0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    startup_runs: int
    repo_counts: tuple[int, ...]
    latencies_ms: tuple[int, ...]
    runs: int
    runs_20: int  # repetitions for the largest fan-out, where every run takes seconds
    pygithub: bool
    pygithub_runs: int
    gh: bool
    output: Path
    command: str
    floor_cap: int | None = None  # in-flight cap for the floor; None: read from `push --help`
    # GitHub request bucket (burst points, points per second); None: read from github.pacing
    pacing: tuple[float, float] | None = None
    startup_only: bool = False
    fanout_only: bool = False
    help_of: tuple[str, ...] | None = None  # commands whose --help is timed; None: every one

    @classmethod
    def parse(cls, argv: Sequence[str] | None) -> Settings:
        parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
        parser.add_argument("--quick", action="store_true", help="one tiny case of each kind")
        parser.add_argument(
            "--startup-only", action="store_true", help="only the start-up table (not written)"
        )
        parser.add_argument(
            "--fanout-only",
            action="store_true",
            help="only the fan-out cells of --repos and --latencies (printed, not written)",
        )
        parser.add_argument(
            "--startup-runs", type=int, default=30, help="interleaved start-up runs (default 30)"
        )
        parser.add_argument(
            "--help-of",
            metavar="COMMAND,...",
            help="time only these commands' --help (default: every command's)",
        )
        parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
        parser.add_argument("--repos", default="1,5,20", help="repository counts (default 1,5,20)")
        parser.add_argument("--latencies", default="0,50,100", help="in ms (default 0,50,100)")
        parser.add_argument("--runs", type=int, default=5, help="repetitions per fan-out case")
        parser.add_argument("--no-pygithub", action="store_true", help="skip the PyGithub loop")
        parser.add_argument("--no-gh", action="store_true", help="skip the gh loop")
        parser.add_argument(
            "--floor-cap",
            type=int,
            help="requests in flight the floor allows (default: push's --concurrency default, "
            f"else {GITHUB_MAX_IN_FLIGHT})",
        )
        parser.add_argument(
            "--pacing",
            metavar="BURST,PER_SECOND",
            help="push's request bucket in GitHub points (GET 1, PUT 5) for the floor: BURST "
            "points at once, then PER_SECOND (default: sso_sync.github.pacing's policy, if any)",
        )
        args = parser.parse_args(argv)
        command = "python benchmarks/run.py" + ("".join(f" {shlex.quote(a)}" for a in argv or []))
        pacing = None
        if args.pacing:
            burst, rate = (float(x) for x in args.pacing.split(","))
            pacing = (burst, rate)
        if args.quick:
            quick = (3, (1,), (0,), 1, 1, False, 0, not args.no_gh, args.output, command)
            return cls(*quick, help_of=("push",))
        return cls(
            startup_runs=args.startup_runs,
            startup_only=args.startup_only,
            fanout_only=args.fanout_only,
            help_of=tuple(args.help_of.split(",")) if args.help_of else None,
            repo_counts=tuple(int(n) for n in args.repos.split(",")),
            latencies_ms=tuple(int(n) for n in args.latencies.split(",")),
            runs=args.runs,
            runs_20=max(1, min(args.runs, 3)),
            pygithub=not args.no_pygithub,
            pygithub_runs=3,
            gh=not args.no_gh,
            output=args.output,
            command=command,
            floor_cap=args.floor_cap,
            pacing=pacing,
        )


# --- 1. start-up ----------------------------------------------------------------------------


@dataclass
class Startup:
    medians: dict[str, float]
    runs: int
    # Median user + system time: less moved than wall time by other work on a shared machine.
    cpu_medians: dict[str, float] = field(default_factory=dict)

    @property
    def baseline(self) -> float:
        return self.medians['python -c "import typer"']


def bench_startup(runs: int, env: dict[str, str], help_of: Sequence[str] | None) -> Startup:
    from sso_sync.cli.app import COMMANDS

    unknown = set(help_of or ()) - {name for name, _, _ in COMMANDS}
    if unknown:
        raise SystemExit(f"--help-of: no such command: {', '.join(sorted(unknown))}")
    commands = {
        "sso-sync --help": [harness.SSO_SYNC, "--help"],
        "sso-sync --version": [harness.SSO_SYNC, "--version"],
        **{
            f"sso-sync {name} --help": [harness.SSO_SYNC, name, "--help"]
            for name, _, _ in COMMANDS
            if help_of is None or name in help_of
        },
        'python -c "import typer"': [sys.executable, "-c", "import typer"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    # An installed package has bytecode (pip compiles it); an editable checkout under
    # PYTHONDONTWRITEBYTECODE would compile our sources on every run instead.
    import compileall

    compileall.compile_dir(str(HERE.parent / "src"), quiet=1)
    for argv in commands.values():  # warm the page cache and bytecode once, untimed
        harness.run_process(argv, env)
    # Interleaved, so a burst of background load hurts every command alike.
    for _ in range(runs):
        for name, argv in commands.items():
            run = harness.run_process(argv, env)
            if run.returncode != 0:
                raise SystemExit(f"{name} failed: {run.stderr.strip()}")
            times[name].append(run.seconds)
            cpu[name].append(run.cpu_seconds)
    return Startup(
        {name: median(t) for name, t in times.items()},
        runs,
        {name: median(t) for name, t in cpu.items()},
    )


# --- 2. requests per operation --------------------------------------------------------------


@dataclass
class RequestCase:
    name: str
    args: list[str] | None  # None: this build of push cannot do it
    expected: Counter[str]
    seen: Counter[str] = field(default_factory=Counter)
    exit_code: int = 0
    refresh: bool = False

    @property
    def verdict(self) -> str:
        if self.args is None:
            return "not supported by this build"
        if self.exit_code != 0:
            return f"✗ exit {self.exit_code}"
        return "✓" if self.seen == self.expected else "✗"


def request_kind(service: str, method: str, path: str, operation: str) -> str:
    if service != "github":
        return operation or f"{service} {method} {path}"
    if method == "GET" and path.endswith("/secrets/public-key"):
        return "GET public-key"
    if method == "PUT" and "/secrets/" in path:
        return "PUT secret"
    if method == "GET" and path.startswith("/orgs/") and "/secrets/" in path:
        return "GET org secret (its visibility, kept)"
    return f"{method} {path}"


def expected_requests(targets: int, refresh: bool = False, org: bool = False) -> Counter[str]:
    counts = Counter(
        {
            "GET public-key": targets,
            "PUT secret": targets * SECRETS_PER_TARGET,
            "GetRoleCredentials": 1,
        }
    )
    if refresh:
        counts["CreateToken"] = 1
    if org:  # without --visibility, each organization secret's visibility is read, to keep it
        counts["GET org secret (its visibility, kept)"] = targets * SECRETS_PER_TARGET
    return counts


def bench_requests(w: World, support: PushSupport) -> list[RequestCase]:
    repo = repo_names(1)[0]
    cases = [
        RequestCase("one repository", ["--repo", repo], expected_requests(1)),
        RequestCase(
            "one environment",
            ["--repo", repo, "--env", ENVIRONMENT] if support.env else None,
            expected_requests(1),
        ),
        RequestCase(
            "one organization",
            ["--org", ORG] if support.org else None,
            expected_requests(1, org=True),
        ),
        RequestCase(
            "one repository, sign-in token near expiry (refreshed)",
            ["--repo", repo],
            expected_requests(1, refresh=True),
            refresh=True,
        ),
    ]
    for case in cases:
        if case.args is None:
            continue
        # Within 15 minutes of expiry botocore refreshes the token before using it.
        w.seed_token(expires_in=300 if case.refresh else 8 * 3600)
        w.sandbox.clear_requests()
        run = w.invoke_cli(w.push_argv(case.args))
        case.exit_code = run.returncode
        case.seen = Counter(
            request_kind(r.service, r.method, r.path, r.operation) for r in w.sandbox.requests
        )
    w.seed_token()
    return cases


# --- 3. fan-out -----------------------------------------------------------------------------


def floor_seconds(
    repos: int, latency: float, cap: int, pacing: tuple[float, float] | None = None
) -> float:
    """The least time the protocol allows: the key fetches and GetRoleCredentials are
    independent (one round trip), every PUT needs its key (a second one), and no more than `cap`
    GitHub requests may be in flight at once; plus the wait a token bucket of (burst points,
    points per second) imposes beyond its burst, counting GitHub's points (a GET 1, a PUT 5).
    Local work (start-up, sealing) is not counted."""
    github_requests = repos * (1 + SECRETS_PER_TARGET)
    rounds = max(2, math.ceil(github_requests / cap))
    paced = 0.0
    if pacing is not None:
        burst, per_second = pacing
        points = repos * (READ_POINTS + SECRETS_PER_TARGET * WRITE_POINTS)
        paced = max(0.0, points - burst) / per_second
    return rounds * latency + paced


@dataclass
class Cell:
    """Medians of one tool at one size and latency (None: not run)."""

    seconds: float | None = None
    runs: int = 0
    note: str = ""
    requests: int | None = None  # GitHub requests in one run


@dataclass
class FanoutRow:
    repos: int
    latency_ms: int
    floor: float
    in_process: Cell
    process: Cell
    pygithub: Cell
    gh: Cell


@dataclass
class Fanout:
    rows: list[FanoutRow]
    requests: dict[int, dict[str, int]]  # repos -> tool -> GitHub requests in one run
    peak_rss_kib: dict[str, int]  # tool -> peak RSS of one process at the largest size
    cap: int
    pacing: tuple[float, float] | None


def _timed(w: World, runs: int, once: Callable[[], Run]) -> tuple[Cell, list[Run]]:
    """`runs` runs of `once`; the median time and the GitHub requests one run made."""
    w.sandbox.clear_requests()
    results = [once() for _ in range(runs)]
    github = sum(1 for r in w.sandbox.requests if r.service == "github")
    failed = [r for r in results if r.returncode != 0]
    if failed:
        return Cell(None, runs, f"failed: exit {failed[0].returncode}"), results
    return Cell(median([r.seconds for r in results]), runs, requests=github // runs), results


def gh_loop(front_env: dict[str, str], repos: list[str], secrets_file: Path) -> Run:
    """`gh secret set -f FILE --repo R`, once per repository, one after the other."""
    gh = harness.gh_binary()
    assert gh is not None
    start = time.perf_counter()
    peak, code, err = 0, 0, ""
    for repo in repos:
        argv = [gh, "secret", "set", "-f", str(secrets_file), "--repo", repo]
        run = harness.run_process(argv, front_env)
        peak = max(peak, run.max_rss_kib)
        if run.returncode != 0:
            code, err = run.returncode, run.stderr
            break
    return Run(time.perf_counter() - start, peak, code, "", err)


def bench_fanout(settings: Settings, support: PushSupport) -> Fanout:
    cap = settings.floor_cap or support.concurrency or GITHUB_MAX_IN_FLIGHT
    fanout = Fanout([], {}, {}, cap, settings.pacing or harness.push_pacing())
    for count in settings.repo_counts:
        _fanout_size(settings, count, fanout)
    return fanout


def _fanout_size(settings: Settings, count: int, fanout: Fanout) -> None:
    """Every latency and tool for `count` repositories, in one sandbox."""
    from tls_front import TlsFront

    largest = count == max(settings.repo_counts)
    gh_present = harness.gh_binary() is not None
    with harness.world(count) as w, TlsFront(w.sandbox.github_url, w.home) as front:
        repos = repo_names(count)
        push = w.push_argv([arg for r in repos for arg in ("--repo", r)])
        loop = [sys.executable, str(LOOP_SCRIPT), *repos]
        secrets_file = w.home / "secrets.env"
        secrets_file.write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
        front_env = w.env | {
            "GH_HOST": front.host,
            "GH_ENTERPRISE_TOKEN": w.sandbox.github_token,
            "SSL_CERT_FILE": str(front.cert_file),
        }

        def run_gh() -> Run:
            return gh_loop(front_env, repos, secrets_file)

        def run_loop() -> Run:
            return harness.run_process(loop, w.env)

        w.invoke_cli(push)  # warm-up: first imports, first key generation on the sandbox
        runs = settings.runs_20 if count >= 20 else settings.runs
        for latency_ms in settings.latencies_ms:
            w.sandbox.set_latency(latency_ms / 1000)
            say(f"fan-out: N = {count} at {latency_ms} ms")
            # The floor target is judged on this median, and these runs are cheap: more of
            # them, so that one run's noise on a shared machine does not decide it.
            in_process, _ = _timed(w, 2 * runs + 1, lambda: w.invoke_cli(push))
            process, process_runs = _timed(w, runs, lambda: w.run_cli(push))
            pygithub = gh = Cell(note="skipped")
            if settings.pygithub:
                # PyGithub's 1 s pause between writes makes these runs long: fewer of them.
                pygithub, loop_runs = _timed(
                    w, settings.pygithub_runs if count == 1 else 1, run_loop
                )
                if largest:
                    fanout.peak_rss_kib["PyGithub loop"] = max(r.max_rss_kib for r in loop_runs)
            if settings.gh and not gh_present:
                gh = Cell(note="gh not installed")
            elif settings.gh:
                gh, gh_runs = _timed(w, runs, run_gh)
                if largest:
                    fanout.peak_rss_kib["gh (largest call)"] = max(r.max_rss_kib for r in gh_runs)
            if largest:
                fanout.peak_rss_kib["sso-sync push"] = max(r.max_rss_kib for r in process_runs)
            floor = floor_seconds(count, latency_ms / 1000, fanout.cap, fanout.pacing)
            tools = {"sso-sync": process, "PyGithub loop": pygithub, "gh loop": gh}
            counts = {name: c.requests for name, c in tools.items() if c.requests is not None}
            fanout.requests.setdefault(count, counts)
            fanout.rows.append(
                FanoutRow(count, latency_ms, floor, in_process, process, pygithub, gh)
            )
        w.sandbox.set_latency(0)


# --- rendering ------------------------------------------------------------------------------


def _s(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.2f} s"


def _cell(cell: Cell) -> str:
    if cell.seconds is None:
        return cell.note or "–"
    return _s(cell.seconds) + (f" (n={cell.runs})" if cell.runs != 1 else " (n=1)")


def _ratio(value: float | None, target: float, *, at_most: bool) -> str:
    if value is None:
        return "–"
    ok = value <= target if at_most else value >= target
    return f"{value:.2f}× {'✓' if ok else '✗'}"


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return a / b


def render_startup(s: Startup) -> list[str]:
    lines = [
        f"| command | median of {s.runs} | × `import typer` | CPU time (user + sys) | × |",
        "|---|---|---|---|---|",
    ]
    cpu_baseline = s.cpu_medians['python -c "import typer"']
    for name, value in s.medians.items():
        ratio = value / s.baseline
        target = TARGET_STARTUP if name.count(" ") == 1 else TARGET_COMMAND_HELP
        verdict = "" if name.startswith("python") else (" ✓" if ratio <= target else " ✗")
        cpu = s.cpu_medians[name]
        lines.append(
            f"| `{name}` | {value * 1000:.0f} ms | {ratio:.2f}×{verdict} | {cpu * 1000:.0f} ms "
            f"| {cpu / cpu_baseline:.2f}× |"
        )
    return lines


def render_requests(cases: list[RequestCase]) -> list[str]:
    def show(counts: Counter[str]) -> str:
        return ", ".join(f"{k} ×{v}" for k, v in sorted(counts.items())) or "none"

    lines = ["| push to | requests seen at the sandbox | expected | |", "|---|---|---|---|"]
    for c in cases:
        seen = "–" if c.args is None else show(c.seen)
        lines.append(f"| {c.name} | {seen} | {show(c.expected)} | {c.verdict} |")
    return lines


def render_fanout(f: Fanout) -> list[str]:
    lines = [
        "| repos × 4 secrets | latency | floor | sso-sync in-process | ÷ floor "
        "| sso-sync process | PyGithub loop | PyGithub ÷ sso-sync | gh loop | gh ÷ sso-sync |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in f.rows:
        floor_ratio = _div(r.in_process.seconds, r.floor) if r.latency_ms else None
        vs_pygithub = _div(r.pygithub.seconds, r.process.seconds)
        vs_gh = _div(r.gh.seconds, r.process.seconds)
        lines.append(
            f"| {r.repos} | {r.latency_ms} ms | {_s(r.floor)} | {_cell(r.in_process)} "
            f"| {_ratio(floor_ratio, TARGET_FLOOR, at_most=True)} | {_cell(r.process)} "
            f"| {_cell(r.pygithub)} "
            f"| {_ratio(vs_pygithub, TARGET_VS_PYGITHUB, at_most=False)} "
            f"| {_cell(r.gh)} | {_ratio(vs_gh, TARGET_VS_GH, at_most=False)} |"
        )
    return lines


def render_fanout_requests(f: Fanout) -> list[str]:
    tools = sorted({tool for counts in f.requests.values() for tool in counts})
    lines = ["| repos × 4 secrets | " + " | ".join(tools) + " |", "|---" * (len(tools) + 1) + "|"]
    for repos, counts in f.requests.items():
        lines.append(f"| {repos} | " + " | ".join(str(counts.get(t, "–")) for t in tools) + " |")
    return lines


def render_memory(f: Fanout, repos: int) -> list[str]:
    lines = [f"| one process, N = {repos} repositories × 4 secrets | peak RSS |", "|---|---|"]
    for tool, kib in f.peak_rss_kib.items():
        lines.append(f"| {tool} | {kib / 1024:.0f} MiB |")
    return lines


def machine(load_at_start: tuple[float, float, float]) -> list[str]:
    from importlib.metadata import version

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, sso-sync {version('sso-sync')}, "
        f"boto3 {version('boto3')}, botocore {version('botocore')}, "
        f"PyGithub {version('PyGithub')}, typer {version('typer')}, gh {harness.gh_version()}",
        f"- git: {_git_describe()}",
        "- load average (1, 5, 15 min) at start: "
        + ", ".join(f"{x:.2f}" for x in load_at_start)
        + "; at end: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (above the CPU count, other work shared the machine: CPU-bound cells, start-up "
        "and 0 ms, are then noisy; latency-bound cells much less so)",
    ]


def _git_describe() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(HERE), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def render(
    settings: Settings,
    startup: Startup,
    support: PushSupport,
    cases: list[RequestCase],
    fanout: Fanout,
    elapsed: float,
    patched_sandbox: bool,
    load_at_start: tuple[float, float, float],
) -> str:
    largest = max(settings.repo_counts)
    if settings.floor_cap:
        cap_source = f"{settings.floor_cap}, from --floor-cap"
    elif support.concurrency:
        cap_source = f"{support.concurrency}, `push --concurrency`'s default"
    else:
        cap_source = f"`push` sets none, so GitHub's limit of {GITHUB_MAX_IN_FLIGHT} in flight"
    if fanout.pacing:
        burst, rate = fanout.pacing
        source = "--pacing" if settings.pacing else "sso_sync.github.pacing's policy"
        pacing = (
            f" Plus the pacing ({source}: {burst:g} points at once, then {rate:g}/s; a key "
            f"fetch costs {READ_POINTS}, a PUT {WRITE_POINTS}): "
            f"max(0, {READ_POINTS + SECRETS_PER_TARGET * WRITE_POINTS}N − {burst:g}) / {rate:g} s."
        )
    else:
        pacing = " No pacing is added (push has none; `--pacing BURST,PER_SECOND` to set one)."
    unsupported = [c.name for c in cases if c.args is None]
    parts = [
        "# sso-sync benchmarks",
        "",
        f"Reproduce: `{settings.command}` (took {elapsed:.0f} s)",
        "",
        *machine(load_at_start),
        "",
        "## Start-up",
        "",
        f'Target: ≤ {TARGET_STARTUP}× `python -c "import typer"` for `sso-sync --help` and '
        f"`--version`, ≤ {TARGET_COMMAND_HELP}× for each command's `--help` (same interpreter; "
        f"medians of {startup.runs} interleaved runs after one warm-up).",
        "",
        *render_startup(startup),
        "",
        "## Requests per operation",
        "",
        "Counted at the sandbox, one push each (in-process). Target: one public-key fetch per "
        "target, one PUT per secret, one GetRoleCredentials (and one CreateToken when the "
        "sign-in token is refreshed), and for an organization one read per secret of the "
        "visibility it keeps (a 404 for a new one), nothing else.",
        "",
        *render_requests(cases),
        "",
        *(
            [
                f"Not measured: {', '.join(unsupported)} (`sso-sync push --help` offers no "
                "`--env`/`--org` in this build; re-run after they land).",
                "",
            ]
            if unsupported
            else []
        ),
        "## Fan-out",
        "",
        "N repositories × 4 secrets, with the sandbox delaying every request (AWS and GitHub) by "
        "the latency shown. Medians; n = runs."
        + (
            " The benchmark turns on TCP_NODELAY in the sandbox's server (it was off: each "
            "response with a body then stalls ~40 ms on Nagle + delayed ACK)."
            if patched_sandbox
            else ""
        ),
        "",
        "- **floor**: 2 dependent round trips (GetRoleCredentials ∥ key fetches, then the PUTs), "
        f"or more when the requests exceed the in-flight cap ({cap_source}): "
        "max(2, ⌈5N / cap⌉) × latency. Excludes local work, so at 0 ms it is 0 and no ratio "
        f"is given.{pacing} Target: sso-sync in-process ≤ {TARGET_FLOOR}× floor.",
        "- **sso-sync in-process**: the typer app called in this process after a warm-up: the "
        "operation itself without interpreter start-up and first imports. The sandbox runs in "
        "this process too (its work shares the interpreter), and each run starts after a "
        "garbage collection: a full collection of what earlier runs and the sandbox left is "
        "not the run's own work, as a fresh process would not have it.",
        "- **sso-sync process**: `sso-sync push --repo ...` as a fresh process, as a user runs "
        "it (interpreter start-up and importing botocore and PyGithub included). The PyGithub "
        "and gh ratios use this, so every column is a whole process run end to end.",
        "- **PyGithub loop**: `benchmarks/pygithub_loop.py` as a process, PyGithub defaults "
        "(lazy=False `get_repo`, then `create_secret` per secret, which refetches the key each "
        "time; 1 s pause between writes). Fixed values: it does not even fetch AWS "
        "credentials. Run once per case beyond 1 repository (its sleeps make it minutes long). "
        f"Target: ≥ {TARGET_VS_PYGITHUB:.0f}× slower than sso-sync.",
        "- **gh loop**: `gh secret set -f FILE --repo R` once per repository, sequentially, "
        "through a TLS front (`benchmarks/tls_front.py`, self-signed cert, `/api/v3` → sandbox). "
        f"Target: not faster than sso-sync (ratio ≥ {TARGET_VS_GH:.0f}).",
        "",
        *render_fanout(fanout),
        "",
        "GitHub requests per run (sandbox count, one run):",
        "",
        *render_fanout_requests(fanout),
        "",
        "## Peak memory",
        "",
        *render_memory(fanout, largest),
        "",
    ]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = Settings.parse(argv)
    started = time.perf_counter()
    patched_sandbox = harness.no_delayed_ack_stalls()
    load_at_start = os.getloadavg()
    if settings.fanout_only:
        return fanout_only(settings, load_at_start)
    with tempfile.TemporaryDirectory(prefix="sso-sync-bench-") as tmp:
        env = harness.base_env(Path(tmp))
        support = PushSupport.detect(lambda: harness.push_help(env))
        say(f"start-up: {settings.startup_runs} runs of each command")
        startup = bench_startup(settings.startup_runs, env, settings.help_of)
    if settings.startup_only:
        print("\n".join(render_startup(startup)))
        return 0
    say("requests per operation")
    with harness.world(1) as w:
        w.invoke_cli(w.push_argv(["--repo", repo_names(1)[0]]))  # warm-up imports
        cases = bench_requests(w, support)
    fanout = bench_fanout(settings, support)
    elapsed = time.perf_counter() - started
    text = render(
        settings, startup, support, cases, fanout, elapsed, patched_sandbox, load_at_start
    )
    print(text)
    settings.output.parent.mkdir(parents=True, exist_ok=True)
    settings.output.write_text(text + kept_action_section(settings.output))
    say(f"wrote {settings.output}")
    return 0


def fanout_only(settings: Settings, load_at_start: tuple[float, float, float]) -> int:
    """Some fan-out cells, printed with the load average around them (a shared machine)."""
    with tempfile.TemporaryDirectory(prefix="sso-sync-bench-") as tmp:
        support = PushSupport.detect(lambda: harness.push_help(harness.base_env(Path(tmp))))
    fanout = bench_fanout(settings, support)
    load = ", ".join(f"{x:.2f}" for x in load_at_start)
    end = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"`{settings.command}`; load average (1, 5, 15 min) at start: {load}; at end: {end}\n")
    print("\n".join(render_fanout(fanout)))
    return 0


def kept_action_section(output: Path) -> str:
    """The section `benchmarks/action_fast_path.py` wrote into the previous results (its own
    run, minutes long and needing the package index), carried over as it was."""
    previous = output.read_text() if output.exists() else ""
    start = previous.find("\n## The action under act\n")
    if start < 0:
        return ""
    end = previous.find("\n## ", start + 1)
    return "\n" + previous[start + 1 : end + 1 if end >= 0 else None].rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.exit(main())
