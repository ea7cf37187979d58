"""What a child process inherits from the test process must be the same after every test.

Tests run the CLI as a child (`subprocess`, `pty.fork`) and then signal it: the Ctrl-C tests
in tests/cli/test_interrupts.py need a child that takes SIGINT. A child inherits from the test
process its signal dispositions when they are "ignore", its signal mask, its working directory
and its environment. A test that leaves any of them changed (SIGINT ignored or blocked, say)
makes a later Ctrl-C test wait out its timeout in whichever order the tests happen to run, far
from the test that did it. The autouse fixture below names that test instead, and puts the
state back so that the next test starts clean.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

# The signals the CLI and its tests rely on: Ctrl-C, `kill`, a closed terminal, a timer.
WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)


@dataclass(frozen=True)
class Inherited:
    ignored: frozenset[int]  # of WATCHED, the signals set to SIG_IGN
    blocked: frozenset[int]  # this thread's signal mask
    cwd: str
    environ: tuple[tuple[str, str], ...]

    @classmethod
    def now(cls) -> Inherited:
        return cls(
            ignored=frozenset(s for s in WATCHED if signal.getsignal(s) == signal.SIG_IGN),
            blocked=frozenset(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
            cwd=os.getcwd(),
            # PYTEST_CURRENT_TEST names the phase (setup, call, teardown): pytest's own.
            environ=tuple(sorted(i for i in os.environ.items() if i[0] != "PYTEST_CURRENT_TEST")),
        )

    def differences(self, after: Inherited) -> list[str]:
        found = []
        if after.ignored != self.ignored:
            found.append(f"ignored signals {_names(self.ignored)} -> {_names(after.ignored)}")
        if after.blocked != self.blocked:
            found.append(f"blocked signals {_names(self.blocked)} -> {_names(after.blocked)}")
        if after.cwd != self.cwd:
            found.append(f"working directory {self.cwd} -> {after.cwd}")
        before_env, after_env = dict(self.environ), dict(after.environ)
        changed = sorted(
            name
            for name in before_env.keys() | after_env.keys()
            if before_env.get(name) != after_env.get(name)
        )
        if changed:
            found.append(f"environment variables {', '.join(changed)} (values not shown)")
        return found

    def restore(self, after: Inherited) -> None:
        for number in WATCHED:
            if number in after.ignored and number not in self.ignored:
                handler = signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL
                signal.signal(number, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, self.blocked)
        os.chdir(self.cwd)
        for name in set(os.environ) - set(dict(self.environ)) - {"PYTEST_CURRENT_TEST"}:
            del os.environ[name]
        os.environ.update(dict(self.environ))


def _names(signals: frozenset[int]) -> str:
    return "{" + ", ".join(sorted(signal.Signals(s).name for s in signals)) + "}"


@pytest.fixture(autouse=True)
def inherited_state_unchanged() -> Iterator[None]:
    """Set up before every other fixture (it takes none), so it sees what they change too."""
    before = Inherited.now()
    yield
    after = Inherited.now()
    found = before.differences(after)
    if found:
        before.restore(after)
        pytest.fail(
            "this test left the process changed in what a child inherits: "
            + "; ".join(found)
            + ". A later test's child (a Ctrl-C test's) would inherit it.",
            pytrace=False,
        )
