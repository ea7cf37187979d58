"""Confirming a discovered config file once: show where it sends credentials, ask, remember.

Without a terminal (cron, CI, a pipe) nobody can be asked: a discovered file must have been
confirmed before, or be named with --config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.errors import UsageError

if TYPE_CHECKING:
    from sso_sync.sets import ConfigFile


def describe(config: ConfigFile) -> list[str]:
    """The plan a config file asks for: each set, its profile and prefix, and its targets."""
    lines = []
    for target_set in config.sets:
        profile = target_set.profile or "--profile / $AWS_PROFILE"
        prefix = f", prefix {target_set.prefix}" if target_set.prefix else ""
        lines.append(f"  set {target_set.name}: credentials of profile {profile}{prefix} to")
        lines.extend(f"    {t.label}" for t in target_set.targets)
    return lines


def confirm_discovered(config: ConfigFile) -> None:
    """Return if the user has confirmed `config` as it is now (asking at a terminal if need
    be); raise UsageError otherwise."""
    from sso_sync.config_trust import is_trusted, remember

    path = config.path
    if is_trusted(path, current().environ):
        return
    if not current().interactive():
        raise UsageError(
            f"{path} was found by searching upward from here and has not been confirmed (or "
            "has changed since): run the command once at a terminal to review and confirm it, "
            f"or name it with --config {path}"
        )
    ui.err(f"{path} was found by searching upward from here. It asks for:")
    for line in describe(config):
        ui.err(line)
    if not ui.TerminalPrompter().confirm(f"Use {path}?"):
        raise UsageError(f"{path} not confirmed: nothing done (name a file with --config)")
    memory = remember(path, current().environ)
    ui.err(f"Confirmed; remembered in {memory} until the file changes.")
