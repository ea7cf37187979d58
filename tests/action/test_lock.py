"""The hashed locks the action and the release install from: every constraint of pyproject.toml
(dependencies and build backend) is met by a pinned, hashed entry, and action.yml installs
only from them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
ENTRY = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)(?:\s*;\s*(.*?))?\s*\\?$")


def lock_entries(path: Path) -> list[tuple[str, Version, str | None, int]]:
    """(name, version, marker, number of hashes) for each pinned line."""
    entries: list[tuple[str, Version, str | None, int]] = []
    for line in path.read_text().splitlines():
        match = ENTRY.match(line)
        if match:
            entries.append((canonicalize_name(match[1]), Version(match[2]), match[3], 0))
        elif line.strip().startswith("--hash=sha256:") and entries:
            name, version, marker, hashes = entries[-1]
            entries[-1] = (name, version, marker, hashes + 1)
    return entries


def applies(marker: str | None, python: str) -> bool:
    env = {"python_version": python, "python_full_version": python + ".0"}
    return marker is None or Marker(marker).evaluate({**env, "sys_platform": "linux"})


def constraints() -> list[Requirement]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    given = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    for line in (LOCKS / "action.in").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            given.append(line.strip())
    return [Requirement(r) for r in given]


def test_every_constraint_is_met_by_a_pinned_hashed_entry_on_every_python() -> None:
    entries = lock_entries(LOCKS / "action.txt")
    assert entries, "the lock has no entries"
    assert all(hashes >= 1 for _, _, _, hashes in entries), "an entry without hashes"
    for requirement in constraints():
        for python in PYTHONS:
            if requirement.marker and not requirement.marker.evaluate(
                {"python_version": python, "python_full_version": python + ".0"}
            ):
                continue
            pins = [
                v
                for n, v, m, _ in entries
                if n == canonicalize_name(requirement.name) and applies(m, python)
            ]
            assert len(pins) == 1, f"{requirement.name} on {python}: pins {pins}"
            assert requirement.specifier.contains(pins[0], prereleases=True), (
                f"{requirement} not met by {pins[0]} on {python}: run requirements/compile.sh"
            )


def test_the_other_locks_are_pinned_and_hashed() -> None:
    for name in ("uv.txt", "release.txt"):
        entries = lock_entries(LOCKS / name)
        assert entries and all(hashes >= 1 for *_, hashes in entries), name
    assert {n for n, *_ in lock_entries(LOCKS / "uv.txt")} == {"uv"}
    release = {n for n, *_ in lock_entries(LOCKS / "release.txt")}
    assert {"build", "twine", "setuptools", "setuptools-scm"} <= release


@pytest.mark.parametrize("lock", ["action.txt", "uv.txt", "release.txt"])
def test_each_lock_says_how_it_was_made(lock: str) -> None:
    header = (LOCKS / lock).read_text().splitlines()[1]
    assert "uv pip compile" in header and "--generate-hashes" in header
    assert f"-o requirements/{lock}" in header
    assert f"-o requirements/{lock}" in (LOCKS / "compile.sh").read_text()


def test_the_action_installs_only_from_the_locks() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = action["runs"]["steps"][0]["run"]
    installs = [line.strip() for line in script.splitlines() if '"${installer[@]}"' in line]
    assert installs == [
        '"${installer[@]}" --require-hashes --only-binary :all: -r "$locks/action.txt"',
        '"${installer[@]}" --no-deps --no-build-isolation "$GITHUB_ACTION_PATH"',
    ]
    assert "--require-hashes --only-binary :all: --target" in script  # uv itself, hashed too
