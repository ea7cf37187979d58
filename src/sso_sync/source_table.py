"""The table of credential-source kinds (sources.py's `SourceKind`), in the order their secrets
are written: the role credentials (sources.py), then the kinds of each module of
credential_kinds/ by module name (today ECR, CodeArtifact). The CLI's source block
(cli/source_options.py builds its typer options from the kinds' `OptionSpec`s; cli/groups.py
`Sources`), `sso-sync.toml`'s keys (sets.py) and `doctor` iterate it, so a new kind is one new
module in credential_kinds/ and nothing else. `register` adds a kind from elsewhere (a test's
toy source), `unregister` takes it out again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sso_sync.errors import UsageError
from sso_sync.sources import CredentialSource, OptionSpec, SourceKind, Spelling


def _builtin() -> list[SourceKind]:
    from sso_sync.credential_kinds import discovered
    from sso_sync.sources import RoleCredentialsKind

    return [RoleCredentialsKind(), *discovered()]


_KINDS: list[SourceKind] = []


def kinds() -> tuple[SourceKind, ...]:
    if not _KINDS:
        _KINDS.extend(_builtin())
    return tuple(_KINDS)


def register(kind: SourceKind) -> None:
    """Add `kind` at the end of the table (its secrets are written after the others')."""
    kinds()
    known = {spec.field: spec for spec in options()}
    for spec in kind.options:
        if known.get(spec.field, spec) != spec:
            raise ValueError(f"option {spec.field} is declared twice, differently")
    _KINDS.append(kind)


def unregister(kind: SourceKind) -> None:
    _KINDS.remove(kind)


def options() -> tuple[OptionSpec, ...]:
    """Every setting of every kind once: a shared one (`--region`) after the last kind that
    reads it, so a job's command line reads `--codeartifact corp ... --region eu-west-1`."""
    every = [spec for kind in kinds() for spec in kind.options]
    last = {spec.field: i for i, spec in enumerate(every)}
    return tuple(spec for i, spec in enumerate(every) if last[spec.field] == i)


def defaults() -> dict[str, Any]:
    return {spec.field: spec.default for spec in options()}


def build(given: Mapping[str, Any], spell: Spelling) -> tuple[CredentialSource, ...]:
    """The rows the settings `given` (by field; the rest at their defaults) ask for, in table
    order. UsageError, worded with `spell`, names the setting to change."""
    values = {**defaults(), **given}
    unknown = sorted(set(values) - set(defaults()))
    if unknown:
        raise ValueError(f"no source kind declares {', '.join(unknown)}")
    rows: list[CredentialSource] = []
    asked: list[SourceKind] = []
    for kind in kinds():
        found = kind.rows(values, spell)
        rows += found
        asked += [kind] if found else []
    if not rows:
        off = [spell.name(s) for s in options() if s.inverted and values[s.field]]
        what = " and ".join(off) or "these settings"
        raise UsageError(f"{what} leaves nothing to push: add {_either(spell)}")
    for spec in options():
        readers = [k for k in kinds() if spec in k.options]
        if spec.serves and values[spec.field] != spec.default and not set(readers) & set(asked):
            wanted = " or ".join(spell.given(k.options[0]) for k in readers)
            raise UsageError(f"{spell.name(spec)} is for {spec.serves}: add {wanted}")
    return tuple(rows)


def _either(spell: Spelling) -> str:
    """What would give a set something to push: each kind's first setting but the switches
    that turn one off."""
    return " or ".join(spell.given(k.options[0]) for k in kinds() if not k.options[0].inverted)
