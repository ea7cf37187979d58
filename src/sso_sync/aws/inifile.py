"""Editing the AWS CLI's INI files (`~/.aws/config`, `~/.aws/credentials`) line by line.

configparser would drop every comment and reflow the file. Users keep notes, commented-out
profiles and odd spacing in these files, so edits here touch only the lines of the keys being
set or removed; every other byte, line endings included, stays as it was.

The grammar is the subset botocore's `configloader` accepts: `[section]` headers, `key = value`
(or `key: value`) lines, indented continuation lines for nested values, and `#`/`;` comments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sso_sync.errors import ConfigError, UsageError
from sso_sync.files import read_capped

_COMMENT = ("#", ";")


@dataclass(frozen=True)
class _Span:
    header: int  # index of the `[...]` line
    end: int  # one past the last key or continuation line (header + 1 when empty)
    stop: int  # index of the next header, or len(lines)


def _body(line: str) -> str:
    return line.rstrip("\r\n")


def _is_header(line: str) -> bool:
    text = _body(line).strip()
    return text.startswith("[") and "]" in text


def _header_name(line: str) -> str:
    """`[ profile  ci ]` -> `profile ci`: whitespace is not significant to botocore."""
    text = _body(line).strip()
    return " ".join(text[1 : text.rindex("]")].split())


def _key(line: str) -> str | None:
    """The key a `key = value` line sets, or None for blanks, comments and continuations."""
    text = _body(line)
    if not text.strip() or text[0] in " \t" or text.lstrip().startswith(_COMMENT):
        return None
    positions = [p for p in (text.find("="), text.find(":")) if p > 0]
    if not positions:
        return None
    return text[: min(positions)].strip().lower()


def _is_continuation(line: str) -> bool:
    text = _body(line)
    return bool(text.strip()) and text[0] in " \t" and not text.lstrip().startswith(_COMMENT)


class IniDocument:
    """The lines of one INI file, each with its own line ending, and edits that keep them."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)
        self.newline = "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"

    def text(self) -> str:
        return "".join(self.lines)

    # --- reading --------------------------------------------------------------------------

    def _find(self, names: Iterable[str]) -> _Span | None:
        wanted = {" ".join(n.split()) for n in names}
        for index, line in enumerate(self.lines):
            if _is_header(line) and _header_name(line) in wanted:
                return self._span(index)
        return None

    def _span(self, header: int) -> _Span:
        end = header + 1
        index = header + 1
        while index < len(self.lines) and not _is_header(self.lines[index]):
            if _key(self.lines[index]) is not None or _is_continuation(self.lines[index]):
                end = index + 1
            index += 1
        return _Span(header, end, index)

    def has_section(self, names: Iterable[str]) -> bool:
        return self._find(names) is not None

    def section(self, names: Iterable[str]) -> dict[str, str] | None:
        """Top-level `key: value` pairs of the first section with one of `names`, or None."""
        span = self._find(names)
        if span is None:
            return None
        values: dict[str, str] = {}
        for line in self.lines[span.header + 1 : span.end]:
            key = _key(line)
            if key is not None and key not in values:
                text = _body(line)
                cut = min(p for p in (text.find("="), text.find(":")) if p > 0)
                values[key] = text[cut + 1 :].strip()
        return values

    # --- editing --------------------------------------------------------------------------

    def set_section(
        self,
        names: Iterable[str],
        values: Mapping[str, str],
        *,
        remove: Iterable[str] = (),
    ) -> None:
        """Set `values` in the first section called one of `names` (the first name is used
        for a new section at the end), and delete the keys in `remove`. Nothing else moves."""
        names = list(names)
        for value in values.values():
            if "\n" in value or "\r" in value:
                raise ValueError("INI values cannot contain line breaks")
        span = self._find(names)
        if span is None:
            self._append_section(names[0], values)
            return
        pending = {k.lower(): v for k, v in values.items()}
        dropping = {k.lower() for k in remove} - pending.keys()
        kept: list[str] = []
        index = span.header + 1
        while index < span.end:
            line = self.lines[index]
            key = _key(line)
            index += 1
            if key is None:
                kept.append(line)
                continue
            # A key's own continuation lines belong to it: they go where it goes.
            block = [line]
            while index < span.end and _is_continuation(self.lines[index]):
                block.append(self.lines[index])
                index += 1
            if key in dropping:
                continue
            if key in pending:
                ending = line[len(_body(line)) :] or self.newline
                kept.append(f"{key} = {pending.pop(key)}{ending}")
                continue
            kept.extend(block)
        if pending:
            if not kept and not self.lines[span.header].endswith(("\n", "\r")):
                self.lines[span.header] += self.newline
            if kept and not kept[-1].endswith(("\n", "\r")):
                kept[-1] += self.newline
            kept.extend(f"{k} = {v}{self.newline}" for k, v in pending.items())
        tail = self.lines[span.end :]
        if tail and kept and not kept[-1].endswith(("\n", "\r")):
            kept[-1] += self.newline
        self.lines[span.header + 1 :] = kept + tail

    def _append_section(self, name: str, values: Mapping[str, str]) -> None:
        if self.lines and not self.lines[-1].endswith(("\n", "\r")):
            self.lines[-1] += self.newline
        if self.lines and _body(self.lines[-1]).strip():
            self.lines.append(self.newline)
        self.lines.append(f"[{name}]{self.newline}")
        self.lines.extend(f"{k} = {v}{self.newline}" for k, v in values.items())


def read_exact(path: Path) -> str | None:
    """The file's text with its line endings untouched, or None when it does not exist."""
    raw = read_capped(path, follow_symlinks=True)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text: fix or move it, then retry") from None


def check_name(kind: str, flag: str, value: str) -> str:
    """A profile, session or section name botocore will read back exactly as written."""
    value = value.strip()
    if not value or any(c in value for c in "[]\r\n#;") or any(c.isspace() for c in value):
        raise UsageError(
            f"invalid {kind} {value!r}: use letters, digits, '-', '_' or '.', no spaces ({flag})"
        )
    return value
