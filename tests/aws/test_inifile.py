"""The line-preserving INI editor, checked against configparser (what botocore parses with)."""

from __future__ import annotations

import configparser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sso_sync.aws.inifile import IniDocument, check_name

SAMPLE = """\
# top comment
[default]
region = us-east-1
; semicolon comment

[profile dev]
sso_session = corp
s3 =
  max_concurrent_requests = 20
  addressing_style = path
output=json
# trailing note about dev

[sso-session corp]
sso_start_url = https://x.awsapps.com/start
"""


def _parse(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def test_updates_in_place_and_appends_after_the_last_key() -> None:
    doc = IniDocument(SAMPLE)
    doc.set_section(["profile dev"], {"output": "text", "region": "eu-west-1"})
    assert doc.text() == SAMPLE.replace("output=json\n", "output = text\nregion = eu-west-1\n")


def test_removing_a_key_takes_its_continuation_lines() -> None:
    doc = IniDocument(SAMPLE)
    doc.set_section(["profile dev"], {}, remove=["s3"])
    assert doc.text() == SAMPLE.replace(
        "s3 =\n  max_concurrent_requests = 20\n  addressing_style = path\n", ""
    )


def test_new_section_goes_at_the_end_after_a_blank_line() -> None:
    doc = IniDocument("[a]\nk = v")  # no final newline
    doc.set_section(["b"], {"x": "1"})
    assert doc.text() == "[a]\nk = v\n\n[b]\nx = 1\n"
    assert IniDocument("").text() == ""
    empty = IniDocument("")
    empty.set_section(["s"], {"k": "v"})
    assert empty.text() == "[s]\nk = v\n"


def test_header_without_a_newline_at_the_end_of_the_file() -> None:
    doc = IniDocument("[a]\nk = v\n[b]")
    doc.set_section(["b"], {"x": "1"})
    assert doc.text() == "[a]\nk = v\n[b]\nx = 1\n"


def test_headers_match_whatever_the_spacing_and_only_the_first_is_edited() -> None:
    doc = IniDocument("[ profile   dev ]\nk = 1\n")
    assert doc.section(["profile dev"]) == {"k": "1"}
    doc.set_section(["profile dev"], {"k": "2"})
    assert doc.text() == "[ profile   dev ]\nk = 2\n"


def test_line_breaks_in_values_are_refused() -> None:
    with pytest.raises(ValueError, match="line breaks"):
        IniDocument("").set_section(["s"], {"k": "a\n[evil]"})


@pytest.mark.parametrize("bad", ["", "a b", "x]", "[x", "a#b", "a;b", "a\nb"])
def test_check_name_refuses_what_would_not_read_back(bad: str) -> None:
    from sso_sync.errors import UsageError

    with pytest.raises(UsageError):
        check_name("profile name", "--profile", bad)


_names = st.text(alphabet="abcdefgh-_.0123456789", min_size=1, max_size=8)
_keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
_values = st.text(alphabet="abcXYZ0123456789:/._-+=", min_size=0, max_size=12)
_sections = st.dictionaries(_names, st.dictionaries(_keys, _values, max_size=4), max_size=4)


def _render(sections: dict[str, dict[str, str]], comments: bool) -> str:
    out = []
    for name, values in sections.items():
        if comments:
            out.append(f"# about {name}\n")
        out.append(f"[{name}]\n")
        for key, value in values.items():
            out.append(f"{key} = {value}\n")
            if comments:
                out.append("; note\n")
        out.append("\n")
    return "".join(out)


@settings(max_examples=200, deadline=None)
@given(
    sections=_sections,
    target=_names,
    new=st.dictionaries(_keys, _values, max_size=4),
    drop=st.lists(_keys, max_size=2),
    comments=st.booleans(),
)
def test_set_section_is_what_configparser_reads_and_nothing_else_moves(
    sections: dict[str, dict[str, str]],
    target: str,
    new: dict[str, str],
    drop: list[str],
    comments: bool,
) -> None:
    text = _render(sections, comments)
    doc = IniDocument(text)
    doc.set_section([target], new, remove=drop)
    result = doc.text()
    parsed = _parse(result)
    expected = {k: v for k, v in sections.get(target, {}).items() if k not in drop} | new
    assert dict(parsed[target]) == expected
    for name, values in sections.items():
        if name != target:
            assert dict(parsed[name]) == values
    # Lines outside the target section are unchanged and in order.
    if target in sections:
        before = text.split(f"[{target}]\n", 1)
        after = result.split(f"[{target}]\n", 1)
        assert before[0] == after[0]
        rest_before = before[1].split("\n[", 1)[1:] if "\n[" in before[1] else []
        rest_after = after[1].split("\n[", 1)[1:] if "\n[" in after[1] else []
        assert rest_before == rest_after
    else:
        assert result.startswith(text)
