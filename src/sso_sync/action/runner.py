"""Speaking to the GitHub Actions runner: masks, annotations, step outputs and the job summary.

The formats are the runner's own (docs.github.com, "Workflow commands for GitHub Actions"):
`::add-mask::VALUE` lines, `::error title=T::MESSAGE` with `%`, CR and LF escaped, and
`name<<DELIMITER` blocks appended to the `$GITHUB_OUTPUT` file, which survive any value.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from sso_sync.errors import UsageError


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS", "").strip().lower() == "true"


def mask_commands(values: Iterable[str]) -> list[str]:
    """One `::add-mask::` line per value (and per line of a multi-line value)."""
    lines: list[str] = []
    for value in values:
        lines.extend(f"::add-mask::{part}" for part in value.splitlines() if part.strip())
    return lines


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_command(message: str, title: str) -> str:
    return f"::error title={_escape_property(title)}::{_escape_data(message)}"


def output_block(outputs: Mapping[str, str]) -> str:
    """`$GITHUB_OUTPUT` text in the heredoc form, with a delimiter no value contains."""
    chunks = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter in value:  # cannot happen with a fresh UUID; checked so it never can
            raise ValueError("output value contains its delimiter")
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


def append_to_file(environ: Mapping[str, str], variable: str, text: str) -> bool:
    """Append `text` to the file the runner named in `variable`; False if it named none."""
    target = environ.get(variable, "").strip()
    if not target:
        return False
    try:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(
            f"cannot append to ${variable} ({target}): {exc.strerror}; is this a runner step?"
        ) from None
    return True


def markdown_table(title: str, rows: Iterable[tuple[str, str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    body = "\n".join(f"| {cell(k)} | {cell(v)} |" for k, v in rows)
    return f"### {title}\n\n| check | result |\n|---|---|\n{body}\n\n"
