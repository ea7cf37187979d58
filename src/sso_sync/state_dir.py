"""Where sso-sync keeps its own state: `$XDG_STATE_HOME/sso-sync`, by default
`~/.local/state/sso-sync` (the XDG Base Directory specification's place for state that should
survive a restart but is not worth a backup), a directory only its owner may enter (0700)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def state_dir(environ: Mapping[str, str]) -> Path:
    """The state directory, created 0700 if missing. A relative XDG_STATE_HOME is ignored, as
    the specification says."""
    xdg = environ.get("XDG_STATE_HOME", "")
    if xdg and Path(xdg).is_absolute():
        base = Path(xdg)
    else:
        base = Path(environ.get("HOME") or Path.home()) / ".local" / "state"
    path = base / "sso-sync"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
