"""The source block, declared once for every command that pushes or names the secrets a push
writes (`push`, `watch`, `schedule`, `list`, `remove`): --ecr, --codeartifact,
--codeartifact-owner, --codeartifact-duration, --region, --no-role-credentials. It reaches a
command as one `Sources` value (cli/groups.py) through `@source_options`, validated before any
set is read or request made.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from sso_sync.cli.groups import Sources
from sso_sync.cli.options import (
    CodeArtifactDurationOption,
    CodeArtifactOption,
    CodeArtifactOwnerOption,
    EcrOption,
    NoRoleCredentialsOption,
    RegionOption,
)
from sso_sync.cli.target_options import block_parameters

_SOURCE_ANNOTATIONS: dict[str, Any] = {
    "ecr": EcrOption,
    "codeartifact": CodeArtifactOption,
    "codeartifact_owner": CodeArtifactOwnerOption,
    "codeartifact_duration": CodeArtifactDurationOption,
    "region": RegionOption,
    "no_role_credentials": NoRoleCredentialsOption,
}
assert list(_SOURCE_ANNOTATIONS) == [f.name for f in fields(Sources)]

F = TypeVar("F", bound=Callable[..., Any])


def source_options(command: F) -> F:
    """Give `command` the source block after its own options; it receives them as one
    `sources: Sources` argument, already validated."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "sources"]
    block = block_parameters(_SOURCE_ANNOTATIONS, Sources)

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        sources = Sources(**{name: kwargs.pop(name) for name in _SOURCE_ANNOTATIONS})
        sources.validate()
        return command(*args, sources=sources, **kwargs)

    annotations = {p.name: p.annotation for p in own}
    wrapper.__annotations__ = {**annotations, **_SOURCE_ANNOTATIONS, "return": None}
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + block
    )
    return wrapper  # type: ignore[return-value]
