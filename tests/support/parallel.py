"""The suite in parallel workers (pytest-xdist; `-n auto` in pyproject.toml's addopts).

A test here mostly waits: on the loopback sandbox, on a child `sso-sync`, on a deadline. So
`-n auto` starts two workers per core, and tests are handed out one at a time (as xdist's `load`)
except those that share an expensive peer started once per worker: all of Prism's contract tests
(5-7 s and ~350 MB to start) go to one worker as one unit, and so do the tests on moto's server.
Those units are handed out first (xdist sorts units by size), so the worker that starts Prism
does so while the others run their share.

xdist's own `--dist loadgroup` would do this from an `xdist_group` mark, but with pytest 9.2 it
silently stops grouping (it renames the node ids, which pytest no longer reads back:
pytest-xdist issue 1386). The controller sees only node ids, so the groups are node-id prefixes
(`SHARED_PEERS`); a worker checks at collection time that every test using one of those
fixtures matches its prefix, so a new contract test elsewhere cannot silently start a second
Prism.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from xdist.remote import Producer

# fixture -> the node-id prefixes of the tests that use it (one unit of work each).
SHARED_PEERS: dict[str, tuple[str, ...]] = {
    "prism": ("tests/github/test_contract.py::",),
    "moto": ("tests/action/test_verify.py::test_moto_",),
}


def shared_unit(nodeid: str) -> str | None:
    for fixture, prefixes in SHARED_PEERS.items():
        if nodeid.startswith(prefixes):
            return fixture
    return None


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto`: two workers per core (at most 8); PYTEST_XDIST_AUTO_NUM_WORKERS still wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cores or 1), 8)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class SharedPeerScheduling(LoadScopeScheduling):
        """One test per unit, except the tests of a shared peer: one unit per peer."""

        def _split_scope(self, nodeid: str) -> str:
            return shared_unit(nodeid) or nodeid

    return SharedPeerScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    strays = [
        f"{item.nodeid} uses `{fixture}`"
        for item in items
        for fixture in SHARED_PEERS
        if fixture in getattr(item, "fixturenames", ()) and shared_unit(item.nodeid) != fixture
    ]
    if strays:
        raise pytest.UsageError(
            "tests using a shared peer must be listed in SHARED_PEERS (tests/support/parallel.py)"
            " so that they run on one worker: " + "; ".join(strays)
        )
