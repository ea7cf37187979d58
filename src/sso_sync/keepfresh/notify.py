"""A desktop notification where one can be shown: `notify-send` (Linux desktops), `osascript`
(macOS). Never required: without either, or when it fails, nothing happens."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

NOTIFY_TIMEOUT = 5


def notify(
    title: str,
    message: str,
    environ: Mapping[str, str],
    *,
    platform: str = sys.platform,
    run: Callable[..., Any] = subprocess.run,
) -> bool:
    """Show `message`; True when a notifier accepted it. The text goes as an argument, never
    through a shell; it holds no secret (it says what to run)."""
    path = environ.get("PATH")
    if platform == "darwin" and (osascript := shutil.which("osascript", path=path)):
        script = f"display notification {_applescript(message)} with title {_applescript(title)}"
        argv = [osascript, "-e", script]
    elif notify_send := shutil.which("notify-send", path=path):
        argv = [notify_send, "--app-name=sso-sync", title, message]
    else:
        return False
    try:
        result = run(argv, capture_output=True, timeout=NOTIFY_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return getattr(result, "returncode", 1) == 0


def can_notify(environ: Mapping[str, str], *, platform: str = sys.platform) -> bool:
    """Whether this machine has a desktop notifier at all."""
    path = environ.get("PATH")
    if platform == "darwin" and shutil.which("osascript", path=path):
        return True
    return shutil.which("notify-send", path=path) is not None


def _applescript(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
