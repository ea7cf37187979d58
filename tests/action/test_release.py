"""The release workflow's build steps, run as written there on a tagged copy of this tree:
the sdist and the wheel carry what they must (templates, py.typed, the release record) and
nothing else (tests, benchmarks, caches), and the built package pins its own release."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from sso_sync.action.workflows import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
TAG, REPOSITORY = "v1.2.3", "octo-org/sso-sync"
STRAYS = ("tests", "benchmarks", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache")


def build_steps() -> dict[str, str]:
    steps = yaml.safe_load(RELEASE.read_text())["jobs"]["build"]["steps"]
    return {step["id"]: step["run"] for step in steps if "id" in step and "run" in step}


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def tagged_copy(destination: Path) -> str:
    """The tracked files of this tree in a fresh repository tagged TAG; returns the commit."""
    for name in git(ROOT, "ls-files", "-z").split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "release")
    git(destination, "tag", TAG)
    return git(destination, "rev-parse", "HEAD")


def strays(names: list[str]) -> list[str]:
    return [
        n
        for n in names
        if any(part in STRAYS or part == "node_modules" for part in n.split("/"))
        or n.endswith((".pyc", ".pyo"))
    ]


@pytest.mark.slow
def test_the_release_build_steps_make_clean_artifacts_that_pin_their_release(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    commit = tagged_copy(tree)
    steps = build_steps()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SHA": commit,
        "GITHUB_REF_NAME": TAG,
    }
    for step in ("stamp", "build"):
        done = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", steps[step]],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{step}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    dist = tree / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [
        "sso_sync-1.2.3-py3-none-any.whl",
        "sso_sync-1.2.3.tar.gz",
    ]
    wheel = dist / "sso_sync-1.2.3-py3-none-any.whl"
    in_wheel = zipfile.ZipFile(wheel).namelist()
    with tarfile.open(dist / "sso_sync-1.2.3.tar.gz") as sdist:
        in_sdist = [n.split("/", 1)[1] for n in sdist.getnames() if "/" in n]

    package = ["py.typed", "_release.json", "_version.py", "cli/app.py"]
    package += [f"action/templates/{name}" for name in TEMPLATES]
    for name in package:
        assert f"sso_sync/{name}" in in_wheel, name
        assert f"src/sso_sync/{name}" in in_sdist, name
    assert {"pyproject.toml", "README.md", "CHANGELOG.md"} <= set(in_sdist)
    assert strays(in_wheel) == [] and strays(in_sdist) == []
    assert not [n for n in in_sdist if n.startswith((".github/", "examples/", "action.yml"))]

    # The built package knows its release: --version and the pin init-workflows writes.
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), wheel],
        check=True,
        capture_output=True,
    )
    user_repo = tmp_path / "user-repo"
    (user_repo / ".git").mkdir(parents=True)
    cli = [sys.executable, "-c", "from sso_sync.cli import main; main()"]
    built = {**os.environ, "PYTHONPATH": str(site)}
    version = subprocess.run(
        [*cli, "--version"], env=built, capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == "sso-sync 1.2.3"
    done = subprocess.run(
        [*cli, "init-workflows"],
        cwd=user_repo,
        env=built,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    deploy = (user_repo / ".github" / "workflows" / "deploy.yml").read_text()
    assert f"uses: {REPOSITORY}@{commit} # {TAG}\n" in deploy


def test_the_build_steps_the_test_runs_are_in_the_workflow() -> None:
    steps = build_steps()
    assert {"stamp", "build", "smoke"} <= set(steps)
    assert "sso_sync.release" in steps["stamp"]
    assert 'sso-sync" demo' in steps["smoke"] or "sso-sync demo" in steps["smoke"]
