"""The dependabot.yml text (github/dependabot_yml.py), in process: every value reads back, by a
YAML parser, as exactly the string that was meant, however it is written."""

from __future__ import annotations

import pytest
import yaml

from sso_sync.github.dependabot_yml import CODEARTIFACT_KINDS, Registry, codeartifact_registry

ODD = [
    "https://h.example/npm/r/",
    "true",
    "null",
    "123",
    "1e3",
    "Yes",
    "off",
    "a: b",
    "x #y",
    "'quoted'",
    '"double"',
    "- item",
    "* star",
    "{flow}",
    "${{secrets.X}}",
    "",
    " leading",
]


@pytest.mark.parametrize("value", ODD)
def test_every_value_reads_back_as_itself(value: str) -> None:
    registry = Registry("r", CODEARTIFACT_KINDS["maven"], value, "TOKEN")
    [entry] = yaml.safe_load("\n".join(["registries:", *registry.lines()]))["registries"].values()
    assert entry == {
        "type": "maven-repository",
        "url": value,
        "username": "aws",
        "password": "${{secrets.TOKEN}}",
    }


def test_a_python_index_ends_in_simple_whatever_the_endpoint_ends_in() -> None:
    for endpoint in ("https://h/pypi/r/", "https://h/pypi/r"):
        assert codeartifact_registry(endpoint, "pypi", "T").url == "https://h/pypi/r/simple/"
