"""The layers point one way (CONTRIBUTING.md): nothing below `cli/` imports `sso_sync.cli`, no
two modules import each other through any chain (lazy and type-only imports count: a type two
modules need lives below both), the AWS side is reached only through its facade
(`aws/session.py`), and no module or function grows past what a newcomer reads at once. Read
from the source with `ast`, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "sso_sync"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 100


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Our modules that `path` imports, anywhere in it; `from pkg import mod` counts as `mod`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sso_sync"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("sso_sync"):
                continue
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
    return {name for name in found if name in known}


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(path, known) - {name} for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def is_package_init(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def test_nothing_below_cli_imports_cli() -> None:
    offenders = {
        name: sorted(i for i in deps if i == "sso_sync.cli" or i.startswith("sso_sync.cli."))
        for name, deps in graph().items()
        if not (name == "sso_sync.cli" or name.startswith("sso_sync.cli."))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_import_cycles() -> None:
    # A package's __init__ re-exporting its own modules is not a cycle of the design.
    edges = {
        name: {d for d in deps if not (is_package_init(d) and name.startswith(d + "."))}
        for name, deps in graph().items()
    }
    edges = {
        name: deps
        - ({n for n in deps if n.startswith(name + ".")} if is_package_init(name) else set())
        for name, deps in edges.items()
    }
    assert cycles(edges) == []


def test_the_checker_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


@pytest.mark.parametrize("name", [n for n in modules() if not n.startswith("sso_sync.sandbox")])
def test_modules_and_functions_stay_short(name: str) -> None:
    path = modules()[name]
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name}: {lines} lines"
    assert _long_functions(path) == []


# The AWS facade and the factory under it: the only modules that make a botocore session or an
# IAM Identity Center, OIDC, STS, ECR or CodeArtifact client (each within a deadline, refusing
# clear text).
AWS_FACADE = {"sso_sync.aws.session", "sso_sync.clients"}
AWS_BUILDERS = {
    "sso_client",
    "oidc_client",
    "sts_client",
    "ecr_client",
    "codeartifact_client",
    "aws_session",
    "botocore_session",
}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _type_only(tree: ast.AST) -> set[int]:
    """The nodes inside `if TYPE_CHECKING:` blocks (naming botocore's `Session` type is fine)."""
    return {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _dotted(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }


def aws_built_outside_the_facade(source: str) -> list[str]:
    """Where `source` builds an AWS client or botocore session itself: a call of one of
    `clients.py`'s AWS builders, or botocore's session module imported for use."""
    tree = ast.parse(source)
    type_only = _type_only(tree)
    found: list[str] = []
    for node in sorted(
        (n for n in ast.walk(tree) if isinstance(n, (ast.Attribute, ast.Import, ast.ImportFrom))),
        key=lambda n: (n.lineno, n.col_offset),
    ):
        if isinstance(node, ast.Attribute) and node.attr in AWS_BUILDERS:
            if _dotted(node.value).rpartition(".")[2] == "clients":
                found.append(f"line {node.lineno}: clients.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "sso_sync.clients":
            found += [
                f"line {node.lineno}: import {a.name}" for a in node.names if a.name in AWS_BUILDERS
            ]
        elif id(node) in type_only:
            continue
        elif isinstance(node, ast.ImportFrom) and (
            node.module == "botocore.session"
            or (node.module == "botocore" and any(a.name == "session" for a in node.names))
        ):
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import) and any(a.name == "botocore.session" for a in node.names):
            found.append(f"line {node.lineno}: import botocore.session")
    return found


def test_aws_clients_are_built_only_by_the_facade() -> None:
    offenders = {
        name: aws_built_outside_the_facade(path.read_text())
        for name, path in modules().items()
        if name not in AWS_FACADE
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_an_aws_client_built_outside_the_facade() -> None:
    source = """
from typing import TYPE_CHECKING
from sso_sync import clients
from sso_sync.clients import aws_network_errors, sts_client
if TYPE_CHECKING:
    from botocore.session import Session
def f(session):
    import botocore.session
    with aws_network_errors("STS", "AWS_ENDPOINT_URL_STS"):
        return clients.oidc_client(session, "eu-west-1")
"""
    assert aws_built_outside_the_facade(source) == [
        "line 4: import sts_client",
        "line 8: import botocore.session",
        "line 10: clients.oidc_client",
    ]
