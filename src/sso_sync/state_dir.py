"""Where sso-sync keeps what it must remember between runs: `$XDG_STATE_HOME/sso-sync/`.

The XDG Base Directory layout (`$XDG_STATE_HOME`, default `~/.local/state`), as pip, less and
bash's history use it. The directory is created mode 0700: what is in it (which config files
the user confirmed, refresh state) is nobody else's business. Each concern keeps its own file in
it (`trusted-configs.json`, ...), so no two writers share one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sso_sync.files import unusable_file

APP_DIR = "sso-sync"


def state_dir(environ: Mapping[str, str]) -> Path:
    """`$XDG_STATE_HOME/sso-sync` (a relative XDG_STATE_HOME is ignored, as the spec says),
    else `~/.local/state/sso-sync`; created 0700 if missing."""
    base = environ.get("XDG_STATE_HOME", "")
    if not base or not Path(base).is_absolute():
        home = environ.get("HOME") or str(Path.home())
        base = str(Path(home) / ".local" / "state")
    directory = Path(base) / APP_DIR
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if directory.stat().st_uid == os.geteuid():
            directory.chmod(0o700)
    except OSError as exc:
        raise unusable_file(directory, exc) from None
    return directory
