"""The benchmark's world: a sandbox with N repositories, a throwaway HOME, and ways to time runs.

Everything here drives real programs: `sso-sync` (as a process, or in-process through its typer
app), `gh`, and PyGithub, all talking HTTP to the sandbox, which counts every request and can add
latency to each one. Nothing reads or writes the user's own `~/.aws` or GitHub tokens.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sso_sync.sandbox import Sandbox, SandboxConfig

ORG = "bench-org"
ACCOUNT = "111122223333"
ROLE = "ci"
PROFILE = "bench"
SSO_SESSION = "bench"
ENVIRONMENT = "production"
BIN = Path(sys.executable).parent
SSO_SYNC = str(BIN / "sso-sync")


def repo_names(count: int) -> list[str]:
    return [f"{ORG}/repo-{i:02d}" for i in range(1, count + 1)]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_kib: int
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # the program's user + system time (fresh processes only)


# Linux carries the memory high-water mark of the process that calls exec into the new program's
# ru_maxrss, and with vfork/posix_spawn that is this (large) benchmark process. So each program is
# started by a tiny interpreter (-I -S: a few MiB), which spawns it, times it and reads its rusage:
# the reported peak is then the program's own whenever it exceeds the launcher's few MiB.
_LAUNCHER = """
import os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(out, "w") as f:
    code, cpu = os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime
    f.write(f"{seconds} {usage.ru_maxrss} {code} {cpu}")
"""


def run_process(argv: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> Run:
    """Run to completion: wall time from spawn to exit, and the program's own peak RSS."""
    home = Path(env["HOME"])
    out_path, err_path, measured = (home / f".bench-{n}" for n in ("out", "err", "rusage"))
    with out_path.open("wb") as out, err_path.open("wb") as err:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(measured), *argv],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            check=True,
        )
    seconds, max_rss, code, cpu = measured.read_text().split()
    return Run(
        float(seconds),
        int(max_rss),
        int(code),
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
        float(cpu),
    )


def base_env(home: Path) -> dict[str, str]:
    """The inherited environment minus anything that could reach a real account."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "GH_", "GITHUB_")) and k not in ("CI", "NO_COLOR")
    }
    env |= {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "GH_CONFIG_DIR": str(home / "gh-config"),
        "GH_NO_UPDATE_NOTIFIER": "1",
        "GH_PROMPT_DISABLED": "1",
        "CI": "1",  # never prompt for a sign-in
        "COLUMNS": "200",  # typer's help must not wrap option names onto two lines
    }
    return env


class World:
    """A running sandbox with `repos` repositories (each with a `production` environment) in
    one org, an AWS config whose profile points at it, and a fresh cached sign-in."""

    def __init__(self, sandbox: Sandbox, home: Path) -> None:
        self.sandbox = sandbox
        self.home = home
        self.env = base_env(home) | sandbox.env()
        config = home / ".aws" / "config"
        config.parent.mkdir(parents=True, exist_ok=True)
        start, region = sandbox.config.start_url, sandbox.config.region
        config.write_text(
            f"[profile {PROFILE}]\nsso_session = {SSO_SESSION}\nsso_account_id = {ACCOUNT}\n"
            f"sso_role_name = {ROLE}\nregion = {region}\n\n"
            f"[sso-session {SSO_SESSION}]\nsso_start_url = {start}\nsso_region = {region}\n"
            "sso_registration_scopes = sso:account:access\n"
        )
        self.seed_token()

    def seed_token(self, expires_in: int = 8 * 3600) -> None:
        """A cached sign-in; `expires_in` under 15 minutes makes botocore refresh it first."""
        entry = self.sandbox.mint_token(
            expires_in=expires_in, refreshable=True, session_name=SSO_SESSION
        )
        name = hashlib.sha1(SSO_SESSION.encode(), usedforsecurity=False).hexdigest()
        path = self.home / ".aws" / "sso" / "cache" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry))
        path.chmod(0o600)

    def push_argv(self, targets: Sequence[str]) -> list[str]:
        return ["push", "--profile", PROFILE, *targets]

    def run_cli(self, args: Sequence[str]) -> Run:
        """`sso-sync ARGS` as a separate process, as a user runs it."""
        return run_process([SSO_SYNC, *args], self.env, cwd=self.home)

    def invoke_cli(self, args: Sequence[str]) -> Run:
        """`sso-sync ARGS` in this process through its typer app: no interpreter start-up or
        first imports, so the time is the operation itself (clients, requests, sealing)."""
        from typer.testing import CliRunner

        from sso_sync.cli.app import app

        with _environ(self.env), _cwd(self.home):
            # Garbage from earlier runs (and the harness's) collected first: a full collection
            # it would trigger is not this run's work, as a fresh process would not have it.
            gc.collect()
            start = time.perf_counter()
            result = CliRunner().invoke(app, list(args))
            seconds = time.perf_counter() - start
        return Run(seconds, 0, result.exit_code, result.stdout, result.stderr)


@contextmanager
def world(repos: int) -> Iterator[World]:
    import tempfile

    names = repo_names(max(repos, 1))
    config = SandboxConfig(repos={name: [ENVIRONMENT] for name in names}, orgs=[ORG])
    with tempfile.TemporaryDirectory(prefix="sso-sync-bench-") as tmp, Sandbox(config) as sb:
        yield World(sb, Path(tmp))


@contextmanager
def warm_world(repos: int, latency: float) -> Iterator[tuple[World, list[str]]]:
    """A world of `repos` repositories, the push of all of them (its argv), pushed twice in
    this process (the sandbox's keys made, first imports done), then `latency` per request."""
    with world(repos) as w:
        no_delayed_ack_stalls()
        argv = w.push_argv([a for r in repo_names(repos) for a in ("--repo", r)])
        w.invoke_cli(argv)
        w.invoke_cli(argv)
        w.sandbox.set_latency(latency)
        yield w, argv


def no_delayed_ack_stalls() -> bool:
    """Turn on TCP_NODELAY for the sandbox's connections (in this process only); True if it had
    to. Without it every response with a body waits ~40 ms: the server sends headers and body
    in two writes, Nagle holds the second until the client ACKs the first, and the client delays
    that ACK. Real GitHub has no such stall, and it would swamp what is measured here."""
    from sso_sync.sandbox.http import SandboxHandler

    if SandboxHandler.disable_nagle_algorithm:
        return False
    SandboxHandler.disable_nagle_algorithm = True
    return True


@contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    saved = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(saved)


@dataclass(frozen=True)
class PushSupport:
    """What this build's `sso-sync push` accepts, read from its own `--help`."""

    env: bool
    org: bool
    concurrency: int | None  # the default of --concurrency, if the option exists

    @classmethod
    def detect(cls, help_text: Callable[[], str]) -> PushSupport:
        text = help_text()
        concurrency = None
        if "--concurrency" in text:
            after = text[text.index("--concurrency") :]
            found = re.search(r"default:?\s*(\d+)", after[:400], re.IGNORECASE)
            concurrency = int(found.group(1)) if found else None
        return cls(env="--env" in text, org="--org" in text, concurrency=concurrency)


def push_help(env: dict[str, str]) -> str:
    result = subprocess.run(
        [SSO_SYNC, "push", "--help"], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def push_pacing() -> tuple[float, float] | None:
    """(burst points, points per second) of the request bucket `push` uses by default, if the
    installed sso-sync has one."""
    try:
        from sso_sync.github.pacing import PacingPolicy
    except ImportError:
        return None
    policy = PacingPolicy()
    return float(policy.burst_points), float(policy.points_per_second)


def gh_binary() -> str | None:
    return shutil.which("gh")


def gh_version() -> str:
    gh = gh_binary()
    if gh is None:
        return "absent"
    out = subprocess.run([gh, "--version"], capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0].removeprefix("gh version ").strip() if out else "unknown"
