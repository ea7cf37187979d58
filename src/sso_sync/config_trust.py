"""Which discovered config files the user has confirmed, and whether a config file is safe to
read at all.

A config file decides where credentials are pushed. One found by searching upward from the
current directory may belong to a repository the user just cloned, so it is used only once the
user has seen its plan and said yes (remembered by path and content hash, so an edit asks
again), or when it is named with `--config`. Like git's `safe.directory` check, a file owned by
someone else, or in a directory others can write, is refused whatever way it was named.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from sso_sync.errors import ConfigError
from sso_sync.files import locked, read_capped, read_json, write_private_json
from sso_sync.state_dir import state_dir

TRUST_FILE = "trusted-configs.json"


def check_safe_to_read(path: Path) -> None:
    """ConfigError unless `path` (and what a link points to) is ours and not replaceable by
    other users: owned by us, not writable by others, in directories others cannot write to
    (the sticky bit, as on /tmp, stops them replacing our file)."""
    for place in dict.fromkeys((path, Path(os.path.realpath(path)))):
        try:
            info = place.stat()
            parent = place.parent.stat()
        except OSError:
            continue  # reading it will report what is wrong
        if info.st_uid != os.geteuid():
            raise ConfigError(
                f"{path}: refusing a config file owned by another user (uid {info.st_uid}): "
                "copy it to a file of your own and pass --config"
            )
        if info.st_mode & stat.S_IWOTH:
            raise ConfigError(f"{path}: refusing a config file others can write: chmod o-w {path}")
        if parent.st_mode & stat.S_IWOTH and not parent.st_mode & stat.S_ISVTX:
            raise ConfigError(
                f"{path}: refusing a config file in a directory others can write "
                f"({place.parent}): move it, or chmod o-w that directory"
            )


def content_hash(path: Path) -> str:
    return hashlib.sha256(read_capped(path, follow_symlinks=True) or b"").hexdigest()


def _trust_file(environ: Mapping[str, str]) -> Path:
    return state_dir(environ) / TRUST_FILE


def is_trusted(path: Path, environ: Mapping[str, str]) -> bool:
    data = read_json(_trust_file(environ)) or {}
    configs = data.get("configs")
    key = str(path.resolve())
    return isinstance(configs, dict) and configs.get(key) == content_hash(path)


def remember(path: Path, environ: Mapping[str, str]) -> Path:
    """Record that the user confirmed `path` as it is now; returns the memory file's path."""
    target = _trust_file(environ)
    with locked(target):
        data = read_json(target) or {}
        configs = data.get("configs")
        configs = dict(configs) if isinstance(configs, dict) else {}
        configs[str(path.resolve())] = content_hash(path)
        write_private_json(target, {"version": 1, "configs": configs})
    return target
