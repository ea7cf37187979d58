"""Command modules imported afresh, for a test that changes the table of credential-source
kinds: a command's source block (cli/source_options.py) is built from the table when its
module is imported, so a command imported while a toy kind is in the table would keep the
toy's option for every later test of the process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import sso_sync.cli.commands

_PREFIX = "sso_sync.cli.commands."


@contextmanager
def commands_imported_afresh() -> Iterator[None]:
    """Inside, each command module is imported again (reading the table as it is then);
    afterwards, the modules as they were before."""
    before = {name: module for name, module in sys.modules.items() if name.startswith(_PREFIX)}
    for name in before:
        del sys.modules[name]
    try:
        yield
    finally:
        for name in [name for name in sys.modules if name.startswith(_PREFIX)]:
            del sys.modules[name]
        sys.modules.update(before)
        for name, module in before.items():
            setattr(sso_sync.cli.commands, name.removeprefix(_PREFIX), module)
