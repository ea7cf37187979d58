"""A new kind of credential source is one file: a module dropped into credential_kinds/ (here a
temporary folder added to that package's path, so the tree is left as it is) is found by the
table with no list to edit, its option is in `push --help`, built from its `OptionSpec`, and
`push --toy blue` pushes its secret, which the sandbox's GitHub decrypts.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sso_sync import credential_kinds, source_table
from sso_sync.aws import registry_tokens
from sso_sync.credential_kinds import registries
from tests.support.commands import commands_imported_afresh
from tests.support.world import World, issued_as_secrets

CANARY = "toy-kind-canary-93b7d2"
REPO = "octo-org/app"

# The whole of a new kind: its setting (with its help), its row, and `KINDS`.
TOY_MODULE = f'''
"""A toy kind of credential source: TOY_TOKEN, a label and the role's ARN."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sso_sync.sources import CredentialSource, IssuedSecret, OptionSpec, SourceRow, Spelling

TOY = OptionSpec(
    "toy", "--toy", "toy", metavar="LABEL", help="Toy: a token for LABEL (secret TOY_TOKEN)."
)


@dataclass(frozen=True)
class ToySource(SourceRow):
    label: str
    key: ClassVar[str] = "toy"

    def secret_names(self) -> tuple[str, ...]:
        return ("TOY_TOKEN",)

    def fetch(self, credentials: Any, aws: Any) -> tuple[IssuedSecret, ...]:
        from sso_sync.keepfresh.record import sts_caller  # as a kind imports what fetches

        value = f"{CANARY}:{{self.label}}:{{sts_caller(aws, credentials).role_arn}}"
        return (IssuedSecret("TOY_TOKEN", value, credentials.expiration),)


@dataclass(frozen=True)
class ToyKind:
    options: tuple[OptionSpec, ...] = (TOY,)

    def rows(self, values: Mapping[str, Any], spell: Spelling) -> tuple[CredentialSource, ...]:
        label = values.get("toy")
        return () if label is None else (ToySource(label),)


KINDS = (ToyKind(),)
'''


@pytest.fixture
def dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """toy.py in credential_kinds/, as if written there; the table and `push` read afresh."""
    folder = tmp_path / "kinds"
    folder.mkdir()
    (folder / "toy.py").write_text(TOY_MODULE)
    monkeypatch.setattr(credential_kinds, "__path__", [*credential_kinds.__path__, str(folder)])
    monkeypatch.setattr(source_table, "_KINDS", [])
    with commands_imported_afresh():
        yield
    sys.modules.pop("sso_sync.credential_kinds.toy", None)
    if hasattr(credential_kinds, "toy"):
        delattr(credential_kinds, "toy")


def test_a_dropped_in_module_is_a_source_with_its_option_in_help_and_pushed(
    dropped: None, world: World, run
) -> None:
    assert [type(k).__name__ for k in source_table.kinds()] == [
        "RoleCredentialsKind", "EcrKind", "CodeArtifactKind", "ToyKind",
    ]  # fmt: skip
    helped = run("push", "--help")
    assert helped.exit_code == 0, helped.stderr
    lines = helped.stdout.splitlines()
    # After the kinds before it, before the switch that turns the role credentials off.
    flags = [line.split()[0] for line in lines if line.startswith("  -")]
    assert flags[-4:] == ["--region", "--toy", "--no-role-credentials", "--help"]
    [toy] = [line.split() for line in lines if line.startswith("  --toy")]
    assert toy == ["--toy", "LABEL", "Toy:", "a", "token", "for", "LABEL", "(secret", "TOY_TOKEN)."]

    world.seed_token()
    pushed = run("push", "--repo", REPO, "--profile", "ci", "--toy", "blue")
    assert pushed.exit_code == 0, pushed.stderr
    stored = {n: s.value for n, s in world.sandbox.secrets(f"repos/{REPO}/actions").items()}
    toy_value = stored.pop("TOY_TOKEN")
    assert stored == issued_as_secrets(world)
    assert toy_value.startswith(f"{CANARY}:blue:arn:aws:sts::")


def test_the_registries_module_keeps_the_calls_default_duration() -> None:
    """It keeps its own copy so `--help` does not load the calls' module."""
    default = registries.CodeArtifactSource("corp").duration_seconds
    assert default == registry_tokens.CODEARTIFACT_DEFAULT_DURATION


def test_files_that_are_no_kind_module_are_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS metadata (`._toy.py`), a copy (`toy copy.py`) and a module with no KINDS beside
    the kinds: the table is the built-in one, and nothing fails to import."""
    folder = tmp_path / "kinds"
    folder.mkdir()
    (folder / "._toy.py").write_bytes(b"\x00\x05\x16\x07 not python")
    (folder / "toy copy.py").write_text(TOY_MODULE)
    (folder / "helpers.py").write_text("HELP = 1\n")
    builtin = credential_kinds.discovered()
    monkeypatch.setattr(credential_kinds, "__path__", [*credential_kinds.__path__, str(folder)])
    try:
        assert credential_kinds.discovered() == builtin
    finally:
        sys.modules.pop("sso_sync.credential_kinds.helpers", None)
