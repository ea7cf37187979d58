"""The kinds of credential source pushed besides the role credentials, one module each (or a
few related kinds in one module), found here without a list to keep: a new kind is a new file
in this folder and nothing else.

- `registries`: ECR passwords and CodeArtifact tokens (`EcrKind`, `CodeArtifactKind`).

A module here (its name not starting with `_`) names its kinds in `KINDS`, a tuple of
`SourceKind`s (sources.py). The table (source_table.py) takes the role credentials first, then
every module here by name, each module's `KINDS` in its order: that is the order a target's
secrets are written in and the order of the options in `--help`. Every command that pushes
imports these modules for its `--help` (cli/source_options.py builds the typer options from
their `OptionSpec`s), so a module here declares its settings at the top, imports what fetches
(aws/, botocore) inside its functions, and keeps its kinds plain classes: each dataclass
defined at a module's top costs every such `--help` about half a millisecond.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sso_sync.sources import SourceKind


def discovered() -> list[SourceKind]:
    """Every module's `KINDS`, the modules by name. The folder is listed rather than walked
    with pkgutil: this runs for `--help`, and importing pkgutil costs more than the listing."""
    import importlib
    import os

    names = sorted(
        entry.name.removesuffix(".py")
        for folder in __path__
        for entry in os.scandir(folder)
        # Only names a module can have: not `._registries.py` (macOS metadata), `x copy.py`.
        if entry.name.endswith(".py")
        and entry.name[:-3].isidentifier()
        and not entry.name.startswith("_")
    )
    kinds: list[SourceKind] = []
    for name in names:
        kinds += getattr(importlib.import_module(f"{__name__}.{name}"), "KINDS", ())
    return kinds
