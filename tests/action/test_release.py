"""The release workflow's build steps, run as written there on a tagged copy of this tree:
the sdist and the wheel pass `twine check --strict`, carry what they must (templates, py.typed,
the release record) and nothing else (tests, benchmarks, caches), the built package pins its own
release, and its version matches a prerelease tag as setuptools-scm normalises it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

from sso_sync.action.workflows import TEMPLATES
from sso_sync.errors import UsageError
from sso_sync.release import Release
from tests.support.release import tagged_copy

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
# A prerelease tag: setuptools-scm makes it 1.2.3rc1, which the version step must accept.
TAG, VERSION, REPOSITORY = "v1.2.3-rc.1", "1.2.3rc1", "octo-org/sso-sync"
# Caches a developer's tree holds (untracked): the build must leave them out.
CACHES = ("src/sso_sync/__pycache__/app.cpython-312.pyc", ".mypy_cache/3.12/x.json")
CACHES += ("src/sso_sync/.mypy_cache/x.json", "src/sso_sync/action/__pycache__/x.pyc")
STRAYS = ("tests", "benchmarks", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache")


def build_steps() -> dict[str, str]:
    steps = yaml.safe_load(RELEASE.read_text())["jobs"]["build"]["steps"]
    return {step["id"]: step["run"] for step in steps if "id" in step and "run" in step}


def run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


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
    commit = tagged_copy(tree, TAG)
    for cache in CACHES:
        (tree / cache).parent.mkdir(parents=True, exist_ok=True)
        (tree / cache).write_bytes(b"cache")
    steps = build_steps()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SHA": commit,
        "GITHUB_REF_NAME": TAG,
    }
    for step in ("stamp", "build", "check"):
        done = run_step(steps[step], tree, env)
        assert done.returncode == 0, f"{step}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.count("PASSED") == 2, done.stdout  # twine: both artifacts

    dist = tree / "dist"
    assert sorted(p.name for p in dist.iterdir()) == [
        f"sso_sync-{VERSION}-py3-none-any.whl",
        f"sso_sync-{VERSION}.tar.gz",
    ]
    wheel = dist / f"sso_sync-{VERSION}-py3-none-any.whl"
    in_wheel = zipfile.ZipFile(wheel).namelist()
    with tarfile.open(dist / f"sso_sync-{VERSION}.tar.gz") as sdist:
        in_sdist = [n.split("/", 1)[1] for n in sdist.getnames() if "/" in n]

    package = ["py.typed", "_release.json", "_version.py", "cli/app.py"]
    package += [f"action/templates/{name}" for name in TEMPLATES]
    for name in package:
        assert f"sso_sync/{name}" in in_wheel, name
        assert f"src/sso_sync/{name}" in in_sdist, name
    assert {"pyproject.toml", "README.md", "CHANGELOG.md"} <= set(in_sdist)
    assert strays(in_wheel) == [] and strays(in_sdist) == []
    caches = ("__pycache__", ".mypy_cache", ".pyc")
    assert not [n for n in in_wheel + in_sdist if any(c in n for c in caches)]
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
    assert version.stdout.strip() == f"sso-sync {VERSION}"

    # The workflow's version step, as written, on this build: the prerelease tag agrees with
    # the normalised version, and another tag does not.
    runner = tmp_path / "runner"
    (runner / "smoke" / "bin").mkdir(parents=True)
    shim = runner / "smoke" / "bin" / "sso-sync"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH={shlex.quote(str(site))} exec {shlex.join(cli)} "$@"\n')
    shim.chmod(0o755)
    checked = run_step(steps["version"], tree, {**env, "RUNNER_TEMP": str(runner)})
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == f"sso-sync {VERSION}"
    wrong = {**env, "RUNNER_TEMP": str(runner), "GITHUB_REF_NAME": "v1.2.3"}
    checked = run_step(steps["version"], tree, wrong)
    assert checked.returncode == 1
    assert checked.stderr.strip() == f"built {VERSION}, but the tag is v1.2.3"
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
    assert {"stamp", "build", "check", "smoke", "version"} <= set(steps)
    assert "sso_sync.release" in steps["stamp"]
    assert "twine check --strict dist/*" in steps["check"]
    assert 'sso-sync" demo' in steps["smoke"] or "sso-sync demo" in steps["smoke"]


def test_the_smoke_install_takes_its_dependencies_from_the_hashed_lock_only() -> None:
    # Joined continuation lines: one pip call per line.
    lines = build_steps()["smoke"].replace("\\\n", " ").splitlines()
    installs = [line.split() for line in lines if " install " in line]
    assert len(installs) == 2, installs
    lock, wheel = installs
    assert {"--require-hashes", "--only-binary", ":all:", "requirements/action.txt"} <= set(lock)
    assert "--no-deps" in wheel and "dist/*.whl" in wheel
    demo = next(i for i, line in enumerate(lines) if line.rstrip().endswith('sso-sync" demo'))
    assert demo > max(i for i, line in enumerate(lines) if " install " in line)
    # The lock is the runtime's: compiled from pyproject.toml's dependencies.
    compile_script = (ROOT / "requirements" / "compile.sh").read_text()
    assert "pyproject.toml requirements/action.in -o requirements/action.txt" in compile_script


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("v1.2.3", "1.2.3"),
        ("v1.2.3-rc.1", "1.2.3rc1"),
        ("v1.2.3rc1", "1.2.3rc1"),
        ("v1.2.3-alpha.2", "1.2.3a2"),
        ("v1.2.3-beta2", "1.2.3b2"),
        ("v1.2.3.post1", "1.2.3.post1"),
        ("v1.2.3-dev.4", "1.2.3.dev4"),
    ],
)
def test_a_release_tag_is_one_the_version_step_can_compare(tag: str, version: str) -> None:
    # The version step compares PEP 440 versions: every tag the stamp accepts must be one.
    assert Release.checked(REPOSITORY, "a" * 40, tag).tag == tag
    assert str(Version(tag)) == version


@pytest.mark.parametrize(
    "tag",
    [
        *("v1.2.3-foo", "v1.2.3.abc", "v1.2.3-rc.1.x", "v1.2.3+local", "v1.2", "1.2.3"),
        *("v1.2.3\n", "v\u0661.2.3", "v1.2.3-rc"),
    ],
)
def test_a_tag_the_version_step_could_not_compare_is_refused_at_the_stamp(tag: str) -> None:
    with pytest.raises(UsageError, match="is not a version tag"):
        Release.checked(REPOSITORY, "a" * 40, tag)
