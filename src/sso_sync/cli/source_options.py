"""The source block, declared once for every command that pushes or names the secrets a push
writes (`push`, `watch`, `schedule`, `list`, `remove`): the typer parameter of each option a
source kind declares (source_table.py): --ecr, --codeartifact, --codeartifact-owner,
--codeartifact-duration, --region, --no-role-credentials. It reaches a command as one `Sources`
value (cli/groups.py) through `@source_options`, validated before any set is read or request
made. The table is not imported here, so `--help` loads no source kind;
tests/cli/test_option_groups.py checks each declared option has its parameter here, with its
flag and type.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Optional, TypeVar, get_args

from sso_sync.cli.groups import Sources
from sso_sync.cli.options import (
    CodeArtifactDurationOption,
    CodeArtifactOption,
    CodeArtifactOwnerOption,
    EcrOption,
    NoRoleCredentialsOption,
    RegionOption,
)

_SOURCE_ANNOTATIONS: dict[str, Any] = {
    "ecr": EcrOption,
    "codeartifact": CodeArtifactOption,
    "codeartifact_owner": CodeArtifactOwnerOption,
    "codeartifact_duration": CodeArtifactDurationOption,
    "region": RegionOption,
    "no_role_credentials": NoRoleCredentialsOption,
}


def _default(annotation: Any) -> Any:
    """A switch is off, any other option not given."""
    return False if get_args(annotation)[0] is bool else None


def source_parameters() -> list[inspect.Parameter]:
    """The block as typer sees it: keyword-only, each at its default."""
    return [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=_default(hint), annotation=hint
        )
        for name, hint in _SOURCE_ANNOTATIONS.items()
    ]


def missing_parameters() -> list[str]:
    """Each option a source kind declares (source_table.py) without its typer parameter here
    (or with another flag or type), and each parameter here no kind declares: what
    tests/cli/test_option_groups.py requires to be empty."""
    from sso_sync.source_table import options

    declared = {spec.field: spec for spec in options()}
    problems = [
        f"{spec.flag}: no parameter {spec.field}"
        for spec in declared.values()
        if spec.field not in _SOURCE_ANNOTATIONS
    ]
    for name, hint in _SOURCE_ANNOTATIONS.items():
        spec = declared.get(name)
        if spec is None:
            problems.append(f"{name}: a parameter no source kind declares")
            continue
        base, info = get_args(hint)[:2]
        # With Annotated, typer takes the first declaration as `default`.
        flags = (info.default, *info.param_decls)
        wanted = spec.kind if spec.kind is bool else Optional[spec.kind]  # noqa: UP045
        if spec.flag not in flags or base != wanted:
            problems.append(f"{spec.flag}: parameter {name} has another flag or type")
    return problems


F = TypeVar("F", bound=Callable[..., Any])


def source_options(command: F) -> F:
    """Give `command` the source block after its own options; it receives them as one
    `sources: Sources` argument, already validated."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "sources"]
    block = source_parameters()

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        sources = Sources.of(**{name: kwargs.pop(name) for name in _SOURCE_ANNOTATIONS})
        sources.validate()
        return command(*args, sources=sources, **kwargs)

    annotations = {p.name: p.annotation for p in own}
    wrapper.__annotations__ = {**annotations, **_SOURCE_ANNOTATIONS, "return": None}
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + block
    )
    return wrapper  # type: ignore[return-value]
