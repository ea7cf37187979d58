"""The suite's own machinery: the check on what a child inherits, and the parallel units."""

from __future__ import annotations

import os
import signal

import pytest

from tests.support.parallel import shared_unit
from tests.support.process_state import Inherited


def test_an_ignored_or_blocked_sigint_is_named_and_put_back() -> None:
    before = Inherited.now()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    try:
        after = Inherited.now()
        found = before.differences(after)
        assert found == [
            "ignored signals {} -> {SIGINT}",
            "blocked signals {} -> {SIGINT}",
        ]
        before.restore(after)
        assert before.differences(Inherited.now()) == []
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


def test_an_environment_variable_left_behind_is_named_without_its_value() -> None:
    before = Inherited.now()
    os.environ["SSO_SYNC_TEST_LEFT_BEHIND"] = "canary-value"
    try:
        found = before.differences(Inherited.now())
        assert found == ["environment variables SSO_SYNC_TEST_LEFT_BEHIND (values not shown)"]
        assert "canary-value" not in found[0]
        before.restore(Inherited.now())
        assert "SSO_SYNC_TEST_LEFT_BEHIND" not in os.environ
    finally:
        os.environ.pop("SSO_SYNC_TEST_LEFT_BEHIND", None)


def test_the_tests_of_a_shared_peer_are_one_unit_and_the_rest_one_test_each() -> None:
    assert shared_unit("tests/github/test_contract.py::test_x[push-repo]") == "prism"
    assert shared_unit("tests/action/test_verify.py::test_moto_live_passes") == "moto"
    assert shared_unit("tests/action/test_verify.py::test_live_credentials_pass") is None
    assert shared_unit("tests/github/test_push.py::test_push") is None


def test_a_deadline_bound_is_the_idle_one_until_the_cores_are_overloaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.support import bounds

    monkeypatch.setattr(bounds, "load_per_core", lambda: 0.5)
    assert bounds.within(3.0) == 10.0
    monkeypatch.setattr(bounds, "load_per_core", lambda: 3.0)
    assert bounds.within(3.0) == 24.0  # three times the work per core: three times the slack
    monkeypatch.setattr(bounds, "load_per_core", lambda: 100.0)
    assert bounds.within(3.0) == 3.0 + bounds.MAX_SLACK
