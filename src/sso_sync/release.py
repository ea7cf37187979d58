"""The release this package was built from: repository, commit and tag.

The release workflow records them (`python -m sso_sync.release`, from `GITHUB_REPOSITORY`,
`GITHUB_SHA` and `GITHUB_REF_NAME`) in `_release.json` inside the package just before building,
so that `init-workflows` can pin the action to the exact commit of the release it came with. A
development install has no record: there, nothing is pinned by default.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sso_sync.errors import UsageError

RECORD = "_release.json"
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_TAG = re.compile(r"^v\d+\.\d+\.\d+([.-]?[A-Za-z0-9.]+)?$")


@dataclass(frozen=True)
class Release:
    repository: str
    commit: str
    tag: str

    @property
    def action(self) -> str:
        """The composite action of this release, pinned by commit."""
        return f"{self.repository}@{self.commit}"

    @classmethod
    def checked(cls, repository: str, commit: str, tag: str) -> Release:
        if not _REPOSITORY.match(repository):
            raise UsageError(f"release repository {repository!r} is not OWNER/NAME")
        if not _COMMIT.match(commit):
            raise UsageError(f"release commit {commit!r} is not a 40-character commit SHA")
        if not _TAG.match(tag):
            raise UsageError(f"release tag {tag!r} is not a version tag such as v1.2.3")
        return cls(repository, commit, tag)


def current() -> Release | None:
    """The release recorded in this installed package, or None (a development install)."""
    from importlib import resources

    record = resources.files("sso_sync").joinpath(RECORD)
    try:
        data = json.loads(record.read_text("utf-8"))
        return Release.checked(data["repository"], data["commit"], data["tag"])
    except (OSError, ValueError, KeyError, TypeError, UsageError):
        return None


def stamp(package_dir: Path, environ: Mapping[str, str]) -> Release:
    """Record the release GitHub Actions is building (a tag push) in `package_dir`."""
    release = Release.checked(
        environ.get("GITHUB_REPOSITORY", ""),
        environ.get("GITHUB_SHA", ""),
        environ.get("GITHUB_REF_NAME", ""),
    )
    text = json.dumps(
        {"repository": release.repository, "commit": release.commit, "tag": release.tag}
    )
    (package_dir / RECORD).write_text(text + "\n", encoding="utf-8")
    return release


def main() -> int:
    """`python -m sso_sync.release`: stamp the source tree this module is in."""
    import os

    try:
        release = stamp(Path(__file__).resolve().parent, os.environ)
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(f"recorded {release.tag} = {release.action}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
