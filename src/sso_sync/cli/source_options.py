"""The source block, declared once for every command that pushes or names the secrets a push
writes (`push`, `watch`, `schedule`, `list`, `remove`): a typer option for each setting a source
kind declares (source_table.py), built from its `OptionSpec` (flag, type, metavar, help,
hidden, completion), so a kind's module (credential_kinds/) is the only place its options are
written. Today: --ecr, --codeartifact, --codeartifact-owner, --codeartifact-duration, --region,
--no-role-credentials. It reaches a command as one `Sources` value (cli/groups.py) through
`@source_options`, validated before any set is read or request made.

The block's `--help` imports the table and its kinds' declarations (each kind's module imports
what fetches inside its functions), nothing that calls AWS.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

from sso_sync.cli.groups import Sources

if TYPE_CHECKING:
    from sso_sync.sources import OptionSpec


def _block() -> tuple[OptionSpec, ...]:
    """The table's settings in `--help`'s order: the table's, but a switch that turns a source
    off (--no-role-credentials) after those that add one."""
    from sso_sync.source_table import options

    return tuple(sorted(options(), key=lambda spec: spec.inverted))


def _option(spec: OptionSpec) -> Any:
    # A switch shows no default (click prints none for an unset flag); an option's default,
    # not given, is no value to show.
    return typer.Option(
        spec.flag,
        metavar=spec.metavar or None,
        help=spec.help or None,
        hidden=spec.hidden,
        autocompletion=spec.completion,
        show_default=spec.kind is bool,
    )


def _annotation(spec: OptionSpec) -> Any:
    base = bool if spec.kind is bool else Optional[spec.kind]  # noqa: UP045 - typer on 3.10
    return Annotated[base, _option(spec)]


def _option_of(field: str) -> Any:
    [spec] = [spec for spec in _block() if spec.field == field]
    return _option(spec)


# For the commands that take a few of the registries' settings on their own terms (`doctor`,
# `dependabot-config`): the same options, declared by their kind.
EcrOption = Annotated[bool, _option_of("ecr")]
CodeArtifactOption = Annotated[Optional[str], _option_of("codeartifact")]  # noqa: UP045
CodeArtifactOwnerOption = Annotated[Optional[str], _option_of("codeartifact_owner")]  # noqa: UP045
RegionOption = Annotated[Optional[str], _option_of("region")]  # noqa: UP045


def source_parameters() -> list[inspect.Parameter]:
    """The block as typer sees it: keyword-only, each at its default."""
    return [
        inspect.Parameter(
            spec.field,
            inspect.Parameter.KEYWORD_ONLY,
            default=spec.default,
            annotation=_annotation(spec),
        )
        for spec in _block()
    ]


F = TypeVar("F", bound=Callable[..., Any])


def source_options(command: F) -> F:
    """Give `command` the source block after its own options; it receives them as one
    `sources: Sources` argument, already validated. The block is read from the table when the
    command's module is imported."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "sources"]
    block = source_parameters()
    names = [p.name for p in block]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        sources = Sources.of(**{name: kwargs.pop(name) for name in names})
        sources.validate()
        return command(*args, sources=sources, **kwargs)

    annotations = {p.name: p.annotation for p in own}
    wrapper.__annotations__ = {
        **annotations,
        **{p.name: p.annotation for p in block},
        "return": None,
    }
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + block
    )
    return wrapper  # type: ignore[return-value]
