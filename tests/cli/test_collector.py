"""The `sso-sync` program runs its one command with the cyclic garbage collector off (a bounded
command's garbage is freed at exit; cli/app.py `main`), except `watch`, which runs for weeks
and turns it back on."""

from __future__ import annotations

import gc
import subprocess
import sys

from tests.support.world import World

PROGRAM = """
import gc, sys
from sso_sync.cli.app import main
sys.argv = ["sso-sync", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("collector on:", gc.isenabled())
"""


def test_the_program_runs_its_command_with_the_collector_off() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", PROGRAM, "--version"], capture_output=True, text=True, check=True
    )
    assert ran.stdout.splitlines()[-1] == "collector on: False", ran.stdout


def test_watch_turns_the_collector_back_on(world: World, run) -> None:
    # No sign-in cached and no terminal: the first cycle ends watch (exit 3), after it began.
    assert gc.isenabled()
    gc.disable()  # as the program's `main` leaves it
    try:
        result = run("watch", "--repo", "octo-org/app", "--profile", "ci")
        assert result.exit_code == 3, result.stderr
        assert gc.isenabled()
    finally:
        gc.enable()
