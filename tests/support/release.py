"""A throwaway git repository holding this tree's tracked files, tagged as a release would be:
what the release workflow builds from, and what `pipx install git+URL@TAG` clones."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


def tagged_copy(destination: Path, tag: str) -> str:
    """The tracked files of this tree (as they are now, changes included) in a fresh repository
    at `destination`, tagged `tag`; returns the commit."""
    for name in git(ROOT, "ls-files", "-z").split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "release")
    git(destination, "tag", tag)
    return git(destination, "rev-parse", "HEAD")
