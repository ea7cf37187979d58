"""A wait GitHub asks for on one target's write holds the targets not yet begun, never the rest of
a target whose first secret went out: that would leave it `mixed` (two generations of
credentials side by side) until a re-run. Seen in `test_ctrl_c_mid_push_reports_the_finished_
target_first` under load: a worker descheduled between picking up its write and sending it
found the pause another target's 429 had started, and Ctrl-C reported the written target as
"mixed, re-run: not sent". Here that worker's stall is made on purpose (its public key comes
late), so the race is decided every time."""

from __future__ import annotations

import threading
import time
from typing import Any

from sso_sync import clients
from sso_sync.github.plan import plan_push
from sso_sync.github.public_keys import PublicKeys
from sso_sync.github.push import apply_push
from sso_sync.github.rest import GitHubApi
from sso_sync.github.targets import Target
from sso_sync.sources import ROLE_CREDENTIALS, source_key
from tests.support.world import NAMES, World

APP = Target("repo", "octo-org", "app")
API = Target("repo", "octo-org", "api")


class LateKeys(PublicKeys):
    """The real key fetches; every secret of `APP` but the first to ask gets its key half a
    second late, as a worker the machine put aside for that long would."""

    def __init__(self, api: GitHubApi) -> None:
        super().__init__(api)
        self.asked = 0
        self.lock = threading.Lock()

    def get(self, target: Target) -> Any:
        key = super().get(target)
        if target == APP:
            with self.lock:
                self.asked += 1
                late = self.asked > 1
            if late:
                time.sleep(0.5)
        return key


def test_a_pause_started_by_another_target_does_not_hold_a_begun_target(world: World) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github", "PUT", "octo-org/api/.*/secrets/", 429, times=-1, headers={"Retry-After": "600"}
    )
    sandbox = world.sandbox
    api = GitHubApi(
        requester_factory=lambda: clients.github_requester(
            sandbox.github_token, sandbox.github_url
        ),
        timeout=60,
    )
    keys = LateKeys(api)
    plan = plan_push([APP, API])
    values = {source_key(ROLE_CREDENTIALS, n): f"canary-{n.lower()}" for n in NAMES}
    results: list[Any] = []

    def push() -> None:
        results.extend(apply_push(api, plan, values, concurrency=8, keys=keys))

    worker = threading.Thread(target=push)
    worker.start()
    stored = lambda: len(sandbox.secrets("repos/octo-org/app/actions"))  # noqa: E731
    give_up = time.monotonic() + 15
    while stored() < len(NAMES) and time.monotonic() < give_up:
        time.sleep(0.05)
    api.abort()  # Ctrl-C: the API target's writes sit out the 600 s wait
    worker.join(timeout=30)
    api.close()

    assert stored() == len(NAMES)
    app, other = results
    assert app.ok, [(s.name, s.outcome, s.error) for s in app.secrets]
    assert [s.outcome for s in app.secrets] == ["created"] * len(NAMES)
    assert not other.ok
