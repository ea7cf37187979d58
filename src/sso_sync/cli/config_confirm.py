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
    """The plan a config file asks for: each set, its profile and prefix, the GitHub App it
    signs in as, its targets and its repository patterns (which reach every repository a
    pattern matches, so they are spelled out with their excludes). Every name from the file is
    shown escaped (`ui.one_line`): a newline in a set name cannot fake a line of the plan."""
    shown = ui.one_line
    lines = []
    for target_set in config.sets:
        profile = shown(target_set.profile or "--profile / $AWS_PROFILE")
        prefix = f", prefix {shown(target_set.prefix)}" if target_set.prefix else ""
        lines.append(
            f"  set {shown(target_set.name or '')}: credentials of profile {profile}{prefix} to"
        )
        lines.extend(f"    {shown(t.label)}" for t in target_set.targets)
        for pattern in target_set.patterns:
            where = f"{pattern.app} secrets" if pattern.app != "actions" else "secrets"
            envs = ", ".join(shown(e) for e in pattern.environments)
            lines.append(
                f"    every repository of {shown(pattern.owner)} matching "
                f"{shown(pattern.glob)} ({where}{', environments ' + envs if envs else ''})"
            )
            if pattern.excludes:
                excluded = ", ".join(shown(x) for x in pattern.excludes)
                lines.append(f"      except those matching {excluded}")
        if target_set.github_app_id is not None:
            key = shown(str(target_set.github_app_key))
            lines.append(
                f"    as GitHub App {shown(target_set.github_app_id)}, with the key in {key}"
            )
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
    ui.err(f"{ui.one_line(str(path))} was found by searching upward from here. It asks for:")
    for line in describe(config):
        ui.err(line)
    if not ui.TerminalPrompter().confirm(f"Use {path}?"):
        raise UsageError(f"{path} not confirmed: nothing done (name a file with --config)")
    memory = remember(path, current().environ)
    ui.err(f"Confirmed; remembered in {memory} until the file changes.")
