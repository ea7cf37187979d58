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

from sso_sync import __version__
from sso_sync.errors import UsageError
from sso_sync.github.targets import validate_secret_names

TEMPLATES = ("verify-aws-credentials.yml", "deploy.yml")
# Where the composite action is published, pinned by commit as zizmor and GitHub advise.
# Release-time constants: set to the release's repository and commit when tagging.
ACTION_REPOSITORY = "sso-sync/sso-sync"
ACTION_COMMIT = "0000000000000000000000000000000000000000"
ENVIRONMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
ACTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+(?:/[^@\s]+)?@[0-9a-f]{40}$")


def default_action() -> str:
    return f"{ACTION_REPOSITORY}@{ACTION_COMMIT}"


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    text: str
    exists: bool


def render(template: str, *, prefix: str, environment: str | None, action: str) -> str:
    """Fill one template. Without an environment its `environment:` lines are dropped."""
    source = resources.files("sso_sync.action").joinpath("templates").joinpath(template)
    text = source.read_text("utf-8")
    uses = action if action != default_action() else f"{action} # v{__version__}"
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


def plan(root: Path, *, prefix: str, environment: str | None, action: str) -> list[PlannedFile]:
    validate(prefix, environment, action)
    target = root / ".github" / "workflows"
    return [
        PlannedFile(
            path=target / name,
            text=render(name, prefix=prefix, environment=environment, action=action),
            exists=(target / name).exists(),
        )
        for name in TEMPLATES
    ]


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
