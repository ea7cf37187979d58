"""Another writer, as `gh secret set` is one: it reads the target's public key, seals its own
value and PUTs it straight to the (sandbox's) GitHub, with nothing of sso-sync in between."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from sso_sync.terminal import Quiet
from tests.support.world import World

OTHER_VALUE = "canary-set-by-hand-elsewhere-5c0ffee"  # the other writer's value
# How far GitHub's clock moves before the other writer's PUT: past the one-minute tolerance.
LATER = 120.0


def _call(world: World, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        world.sandbox.github_url.rstrip("/") + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {world.sandbox.github_token}",
            "Accept": "application/vnd.github+json",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
    return json.loads(text) if text else None


def hand_edit(
    world: World, secrets_path: str, name: str, value: str, *, later: float = LATER
) -> None:
    """Set `name` on the target whose secrets live at `secrets_path` (`/repos/o/r/actions/
    secrets`), `later` seconds of GitHub's clock after now."""
    from sso_sync.github.rest import seal

    assert world.sandbox.github_url.startswith("http://127.0.0.1:")
    world.sandbox.config.github_clock_offset += later
    key = _call(world, "GET", f"{secrets_path}/public-key")
    sealed = seal(key["key"], value)
    _call(
        world, "PUT", f"{secrets_path}/{name}", {"encrypted_value": sealed, "key_id": key["key_id"]}
    )


class Told(Quiet):
    """A terminal that keeps each line it was told and each notification."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.notes: list[tuple[str, str]] = []
        super().__init__(self.lines.append)

    def notify(self, title: str, message: str) -> None:
        self.notes.append((title, message))
