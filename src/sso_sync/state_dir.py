"""Where sso-sync keeps what it must remember between runs: `$XDG_STATE_HOME/sso-sync/`.

The XDG Base Directory layout (`$XDG_STATE_HOME`, default `~/.local/state`), as pip, less and
bash's history use it. The directory is created mode 0700: what is in it (which config files
the user confirmed, refresh state) is nobody else's business. Each concern keeps its own file in
it (`trusted-configs.json`, ...), so no two writers share one.

What is in it decides what is pushed without asking (`trusted-configs.json`), what is skipped as
fresh (`targets.json`) and who may write a target (`locks/`): so, as config files are
(`config_trust.check_safe_to_read`), the directory and everything in it must be the user's own
and writable by nobody else, else it is refused. With XDG_STATE_HOME in a shared place another
user could otherwise plant a "fresh until 2099" record, or a trust list.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from sso_sync.errors import ConfigError
from sso_sync.files import unusable_file

APP_DIR = "sso-sync"
# The subdirectories sso-sync makes (`locks/`, `logs/`) are checked entry by entry too; deeper
# than that it writes nothing.
CHECKED_DEPTH = 2


def state_dir(environ: Mapping[str, str]) -> Path:
    """`$XDG_STATE_HOME/sso-sync` (a relative XDG_STATE_HOME is ignored, as the spec says),
    else `~/.local/state/sso-sync`; created 0700 if missing, refused (ConfigError, exit 2) when
    it or anything in it is another user's or writable by others."""
    base = environ.get("XDG_STATE_HOME", "")
    if not base or not Path(base).is_absolute():
        home = environ.get("HOME") or str(Path.home())
        base = str(Path(home) / ".local" / "state")
    directory = Path(base) / APP_DIR
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise unusable_file(directory, exc) from None
    check_private_tree(directory)
    try:
        directory.chmod(0o700)  # what is in it is nobody else's to read either
    except OSError as exc:
        raise unusable_file(directory, exc) from None
    return directory


def check_private_tree(directory: Path) -> None:
    """ConfigError unless `directory`, its parent's hold on it, and its entries (two levels)
    are ours and writable by nobody else."""
    _check_entry(directory, directory)
    try:
        parent = directory.parent.stat()
    except OSError:
        parent = None
    if parent is not None and parent.st_mode & stat.S_IWOTH and not parent.st_mode & stat.S_ISVTX:
        raise ConfigError(
            f"refusing the state directory {directory}: others can write to {directory.parent} "
            "(and so replace it): chmod o-w that directory, or set XDG_STATE_HOME to a "
            "directory of your own"
        )
    _check_entries(directory, directory, CHECKED_DEPTH)


def _check_entries(root: Path, directory: Path, depth: int) -> None:
    try:
        entries = list(os.scandir(directory))
    except OSError as exc:
        raise unusable_file(directory, exc) from None
    for entry in entries:
        path = Path(entry.path)
        _check_entry(root, path)
        if depth > 1 and entry.is_dir(follow_symlinks=False):
            _check_entries(root, path, depth - 1)


def _check_entry(root: Path, path: Path) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return  # gone since it was listed (a lock released): nothing to trust
    except OSError as exc:
        raise unusable_file(path, exc) from None
    refusing = f"refusing the state directory {root}" if path == root else f"refusing {path}"
    if info.st_uid != os.geteuid():
        raise ConfigError(
            f"{refusing}: it is owned by another user (uid {info.st_uid}), who could make "
            "sso-sync push without asking or skip a target as fresh: remove it, or set "
            "XDG_STATE_HOME to a directory of your own"
        )
    if not stat.S_ISLNK(info.st_mode) and info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(f"{refusing}: its group or others can write to it: chmod go-w {path}")
