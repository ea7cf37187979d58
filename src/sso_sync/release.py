"""The release this package was built from: repository, commit and tag.

The release workflow records them (`python -m sso_sync.release`, from `GITHUB_REPOSITORY`,
`GITHUB_SHA` and `GITHUB_REF_NAME`) in `_release.json` inside the package just before building,
so that `init-workflows` can pin the action to the exact commit of the release it came with.

An install straight from a release tag's git URL (`pipx install "git+https://github.com/OWNER/
NAME@v1.2.3"`, `uv tool install`, `uvx --from`) builds from the tagged source, which has no
record; there the installer's own PEP 610 record (`direct_url.json` in the distribution's
metadata: URL, commit, requested tag) names the release instead. Anything else (a checkout, an
editable install, a branch, another host) is a development install: nothing is pinned by default.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sso_sync.errors import ConfigError, UsageError
from sso_sync.files import read_capped

RECORD = "_release.json"
DIRECT_URL = "direct_url.json"
# pip's and uv's records are a few hundred bytes; anything much bigger is not one.
MAX_DIRECT_URL_BYTES = 16 * 1024
_OWNER_NAME = r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+"
_REPOSITORY = re.compile(_OWNER_NAME)
_GITHUB_URL = re.compile(rf"https://github\.com/({_OWNER_NAME})")
_SUBDIRECTORY = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*/?")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
# vX.Y.Z, or a PEP 440 pre-, post- or dev-release of it in any spelling PEP 440 normalises
# (v1.2.3-rc.1 is 1.2.3rc1): the release workflow compares the normalised forms with the
# version setuptools-scm derives from the same tag.
_TAG = re.compile(
    r"^v[0-9]+\.[0-9]+\.[0-9]+"
    r"(?:[-_.]?(?:a|b|rc|alpha|beta|post|dev)[-_.]?[0-9]+)?$"
)


@dataclass(frozen=True)
class Release:
    repository: str
    commit: str
    tag: str
    # Where in the repository the package (and its action.yml) is, for an install from a
    # subdirectory (PEP 610 `subdirectory`); "" at the root.
    path: str = ""

    @property
    def action(self) -> str:
        """The composite action of this release, pinned by commit (`uses:` names an action
        in a subdirectory as OWNER/NAME/PATH@REF)."""
        where = f"{self.repository}/{self.path}" if self.path else self.repository
        return f"{where}@{self.commit}"

    @classmethod
    def checked(cls, repository: str, commit: str, tag: str) -> Release:
        if not _REPOSITORY.fullmatch(repository):
            raise UsageError(f"release repository {repository!r} is not OWNER/NAME")
        if not _COMMIT.fullmatch(commit):
            raise UsageError(f"release commit {commit!r} is not a 40-character commit SHA")
        if not _TAG.fullmatch(tag):
            raise UsageError(f"release tag {tag!r} is not a version tag such as v1.2.3")
        return cls(repository, commit, tag)


def current() -> Release | None:
    """The release this installed package came from, or None (a development install): the
    record the release workflow stamped, else the installer's record of a release tag."""
    from importlib import resources

    record = resources.files("sso_sync").joinpath(RECORD)
    try:
        data = json.loads(record.read_text("utf-8"))
        return Release.checked(data["repository"], data["commit"], data["tag"])
    except (OSError, ValueError, KeyError, TypeError, UsageError):
        return installed_from_tag()


def installed_from_tag() -> Release | None:
    """The release named by the PEP 610 record of the distribution this package was imported
    from, or None. The record is outside input (an installer wrote it from a URL someone
    typed): read capped, without following a link, and only a GitHub release tag counts."""
    from importlib import metadata

    import sso_sync

    try:
        dist = metadata.distribution("sso-sync")
        # Only the metadata of the files actually running: a checkout on PYTHONPATH must not
        # borrow the record of a release installed elsewhere.
        ours = Path(sso_sync.__file__).resolve()
        if Path(str(dist.locate_file("sso_sync/__init__.py"))).resolve() != ours:
            return None
        info = getattr(dist, "_path", None)  # the .dist-info directory of a PathDistribution
        if not isinstance(info, Path):
            return None
        raw = read_capped(info / DIRECT_URL, limit=MAX_DIRECT_URL_BYTES)
    except (metadata.PackageNotFoundError, OSError, ValueError, ConfigError):
        return None
    return None if raw is None else from_direct_url(raw)


def from_direct_url(raw: bytes) -> Release | None:
    """The release a PEP 610 `direct_url.json` names: a git install of a version tag from
    https://github.com/OWNER/NAME(.git), at a full commit; None for anything else (an editable
    or local install, a branch or commit without a tag, another host, a malformed record)."""
    if len(raw) > MAX_DIRECT_URL_BYTES:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(vcs := data.get("vcs_info"), dict):
        return None
    url = data.get("url")
    if vcs.get("vcs") != "git" or not isinstance(url, str):
        return None
    match = _GITHUB_URL.fullmatch(url.removesuffix(".git"))
    if match is None or not match.group(1).split("/")[1].strip("."):
        return None
    subdirectory = data.get("subdirectory", "")
    if not isinstance(subdirectory, str) or (
        subdirectory
        and (
            not _SUBDIRECTORY.fullmatch(subdirectory)
            or any(part in (".", "..") for part in subdirectory.split("/"))
        )
    ):
        return None  # not a path `uses:` can name: no default pin rather than a wrong one
    try:
        release = Release.checked(match.group(1), vcs["commit_id"], vcs["requested_revision"])
    except (UsageError, TypeError, KeyError):
        return None
    return dataclasses.replace(release, path=subdirectory.strip("/"))


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
