"""Tab completion past command and option names: an option's choices, `schedule`'s actions,
and profile names from the AWS config file. typer asks these functions as the shell completes;
they read no network and import nothing heavy (a shell waits on them at every Tab)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# `[profile NAME]` and `[default]`, as the AWS CLI names profiles in its config file.
_PROFILE_SECTION = re.compile(r"^\s*\[\s*(?:profile\s+([^\]\s]+)|(default))\s*\]", re.MULTILINE)
_MAX_CONFIG_BYTES = 1 << 20  # as the AWS config's other readers: a bigger file is no config


def choices(values: Sequence[str]) -> Callable[[str], list[str]]:
    """The values that start with what was typed."""

    def complete(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete)]

    return complete


def profile_names(incomplete: str) -> list[str]:
    """The profiles of the AWS config file (`AWS_CONFIG_FILE`, else `~/.aws/config`)."""
    from sso_sync.aws.profiles import AwsPaths
    from sso_sync.cli.context import current

    path = AwsPaths.from_environ(current().environ).config_file
    try:
        with path.open("rb") as file:
            text = file.read(_MAX_CONFIG_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return []
    names = dict.fromkeys(a or b for a, b in _PROFILE_SECTION.findall(text))
    return [n for n in names if n.startswith(incomplete)]
