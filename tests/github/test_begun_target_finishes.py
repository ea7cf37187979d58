"""Our own pacing never holds the rest of a target whose first secret went out: the first write
pays the budget for all of the target's writes, so another target's writes cannot spend it
meanwhile and leave this one `mixed` (two generations of credentials side by side) until a
re-run. A pause GitHub asks for still holds every write: test_first_hour.py's used-up rate
limit, where every worker waits. Here the stall of the worker holding the target's later
writes is made on purpose (its public key comes late), so the race is decided every time."""

from __future__ import annotations

import threading
import time
from typing import Any

from sso_sync import clients
from sso_sync.github.pacing import Pacer, PacingPolicy
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
    """The real key fetches; every secret of `APP` but the first to ask gets its key late (0.8 s),
    as a worker the machine put aside for that long would, and `API`'s come at 0.3 s: APP's
    first write begins first, then API's, then APP's later ones."""

    def __init__(self, api: GitHubApi) -> None:
        super().__init__(api)
        self.asked = 0
        self.lock = threading.Lock()

    def get(self, target: Target) -> Any:
        key = super().get(target)
        with self.lock:
            self.asked += target == APP
            late = 0.3 if target == API else (0.8 if self.asked > 1 else 0.0)
        time.sleep(late)
        return key


def test_our_pacing_does_not_hold_a_begun_targets_later_writes(world: World) -> None:
    world.seed_token()
    sandbox = world.sandbox
    # Two key fetches (1 point each) and then one target's four writes (5 each) in the bucket;
    # refilled so slowly that a write left waiting for points misses the deadline.
    pacer = Pacer(PacingPolicy(burst_points=22, points_per_second=0.1))
    api = GitHubApi(
        requester_factory=lambda: clients.github_requester(
            sandbox.github_token, sandbox.github_url
        ),
        pacer=pacer,
        timeout=20,
    )
    plan = plan_push([APP, API])
    values = {source_key(ROLE_CREDENTIALS, n): f"canary-{n.lower()}" for n in NAMES}
    try:
        app, other = apply_push(api, plan, values, concurrency=8, keys=LateKeys(api))
    finally:
        api.close()

    assert len(sandbox.secrets("repos/octo-org/app/actions")) == len(NAMES)
    assert app.ok, [(s.name, s.outcome, s.error) for s in app.secrets]
    assert [s.outcome for s in app.secrets] == ["created"] * len(NAMES)
    # The other target found the budget spent: nothing of it was sent, so it is not mixed.
    assert [s.outcome for s in other.secrets] == ["not-attempted"] * len(NAMES)
    assert sandbox.secrets("repos/octo-org/api/actions") == {}
