"""docs/claims.md maps each README promise to a test: every test it names must exist."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "docs" / "claims.md"


def claimed(text: str) -> list[tuple[str, str]]:
    """(claim, node id) for every row of the table."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[1].startswith("tests/"):
            rows.append((cells[0], cells[1]))
    return rows


def exists(node_id: str) -> bool:
    """`tests/x/test_y.py::test_z` names a test function (or `Class::test_z` a method) that
    pytest would collect from that file."""
    path, _, rest = node_id.partition("::")
    file = ROOT / path
    if not (file.name.startswith("test_") and file.is_file() and rest):
        return False
    scope: list[ast.stmt] = ast.parse(file.read_text()).body
    *classes, name = rest.split("::")
    for class_name in classes:
        found = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == class_name]
        if not found or not class_name.startswith("Test"):
            return False
        scope = found[0].body
    return name.startswith("test_") and any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in scope
    )


def test_every_claimed_test_exists() -> None:
    rows = claimed(CLAIMS.read_text())
    assert len(rows) >= 50, "the claims table did not parse"
    missing = [f"{claim}: {node}" for claim, node in rows if not exists(node)]
    assert missing == [], "docs/claims.md names tests that do not exist:\n" + "\n".join(missing)


def test_the_check_tells_a_test_from_anything_else() -> None:
    assert exists("tests/test_claims.py::test_every_claimed_test_exists")
    assert not exists("tests/test_claims.py::test_no_such_test")
    assert not exists("tests/test_claims.py::claimed")  # a helper, not a test
    assert not exists("tests/no_such_file.py::test_every_claimed_test_exists")
    assert not exists("tests/test_claims.py")
    rows = claimed("| claim | test node id |\n|---|---|\n| a | tests/t.py::test_a |\n")
    assert rows == [("a", "tests/t.py::test_a")]
