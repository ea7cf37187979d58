"""`sso-sync init-workflows`: the scheduled check and the deploy gate, filled in for a repository.

The templates ship inside the package (`templates/*.yml`); `examples/workflows/` holds them
rendered with the defaults, and a test keeps the two identical. Plan, then apply: every file
is checked before the first one is written, so a refusal leaves the repository untouched.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sso_sync.errors import UsageError
from sso_sync.github.targets import validate_secret_names

TEMPLATES = ("verify-aws-credentials.yml", "deploy.yml")
# What examples/workflows/ show in `uses:`: a placeholder, since they are documentation;
# `init-workflows` itself only ever writes a real commit (the release's, or --action's).
EXAMPLE_ACTION = "OWNER/sso-sync@" + "0" * 40
ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
ACTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+(?:/[^@\s]+)?@[0-9a-f]{40}$")


def default_action() -> tuple[str, str] | None:
    """This release's action, pinned by commit, with its tag for the comment; None in a
    development install, which knows of no published commit."""
    from sso_sync.release import current

    release = current()
    return None if release is None else (release.action, release.tag)


def choose_action(given: str | None) -> tuple[str, str | None]:
    """The action to write (and its tag, if it is this release's): never one that cannot run."""
    if given is not None:
        return given, None
    default = default_action()
    if default is None:
        raise UsageError(
            "this sso-sync is a development install (not a release, nor installed from a release "
            "tag on github.com), so it knows no published commit of the action: pass --action "
            "OWNER/REPO@SHA (a full commit SHA), or run init-workflows from a release install "
            '(pipx install "git+https://github.com/OWNER/REPO@vX.Y.Z")'
        )
    return default


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    text: str
    exists: bool


def render(
    template: str, *, prefix: str, environment: str | None, action: str, tag: str | None = None
) -> str:
    """Fill one template. Without an environment its `environment:` lines are dropped; `tag`
    becomes the `# vX.Y.Z` comment after the pinned commit."""
    source = resources.files("sso_sync.action").joinpath("templates").joinpath(template)
    text = source.read_text("utf-8")
    uses = f"{action} # {tag}" if tag else action
    qualifier = "-".join(part for part in (environment, prefix.rstrip("_").lower()) if part)
    lines = [
        line
        for line in text.splitlines(keepends=True)
        if environment is not None or "@@ENVIRONMENT@@" not in line
    ]
    replacements = {
        "@@PREFIX@@": prefix,
        "@@ENVIRONMENT@@": environment or "",
        "@@ACTION@@": uses,
        "@@SUFFIX@@": f"-{qualifier}" if qualifier else "",
        "@@TITLE_SUFFIX@@": f" ({qualifier})" if qualifier else "",
    }
    rendered = "".join(lines)
    for marker, value in replacements.items():
        rendered = rendered.replace(marker, value)
    return rendered


def validate(prefix: str, environment: str | None, action: str) -> None:
    validate_secret_names([prefix + "AWS_ACCESS_KEY_ID"])
    if environment is not None and not ENVIRONMENT_RE.fullmatch(environment):
        raise UsageError(
            f"--env '{environment}' is not an environment name this command writes: use "
            "letters, digits, '.', '-' and '_'"
        )
    if not ACTION_RE.fullmatch(action):
        raise UsageError(
            f"--action '{action}' is not OWNER/REPO@COMMIT: pin the action by its full "
            "40-character commit SHA"
        )


def find_repository_root(start: Path) -> Path:
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    raise UsageError(
        f"{start} is not inside a git repository: cd into the repository the workflows are for"
    )


def plan(
    root: Path, *, prefix: str, environment: str | None, action: str, tag: str | None = None
) -> list[PlannedFile]:
    validate(prefix, environment, action)
    target = root / ".github" / "workflows"
    _refuse_links(root, target)
    return [
        PlannedFile(
            path=target / name,
            text=render(name, prefix=prefix, environment=environment, action=action, tag=tag),
            exists=(target / name).exists(),
        )
        for name in TEMPLATES
    ]


def _refuse_links(root: Path, target: Path) -> None:
    """The workflows are written inside the repository only: a `.github` or `workflows` that is
    a symbolic link (a cloned repository can hold one) would have them written wherever it
    points, outside anything `git status` shows."""
    for place in (root / ".github", target):
        if place.is_symlink():
            raise UsageError(
                f"{place.relative_to(root)} is a symbolic link (to {place.readlink()}): "
                "init-workflows writes only inside the repository; replace it with a directory, "
                "then retry"
            )


def apply(planned: list[PlannedFile], root: Path, *, force: bool) -> None:
    existing = [str(p.path.relative_to(root)) for p in planned if p.exists]
    if existing and not force:
        raise UsageError(
            f"{' and '.join(existing)} already {'exists' if len(existing) == 1 else 'exist'}: "
            "pass --force to overwrite; nothing was written"
        )
    for item in planned:
        try:
            _write(item)
        except OSError as exc:  # say, a file called .github where the directory should be
            raise UsageError(
                f"cannot write {item.path.relative_to(root)} ({exc.strerror or exc}): "
                "fix or move what is in the way, then retry"
            ) from None


def _write(item: PlannedFile) -> None:
    item.path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=item.path.parent, prefix=f".{item.path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(item.text)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(item.path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
