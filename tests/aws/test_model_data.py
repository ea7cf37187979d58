"""The lean model loader (src/sso_sync/aws/model_data.py) answers botocore's questions as
botocore's own loader does, from the same search paths: which services exist, the endpoint
table, a custom data path's models, and an unknown service's error."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from sso_sync.aws.endpoint_table import trimmed
from sso_sync.aws.model_data import ServiceNames, use_lean_loader
from sso_sync.aws.profiles import AwsPaths
from sso_sync.aws.session import AwsClients

MADE_UP = ["no-such-service", "", ".", "..", "sso/2019-06-10", "../data/sso", "SSO", 7]


def _sessions(data_path: Path | None = None) -> tuple[Loader, Loader]:
    """botocore's loader and the lean one, for two sessions alike."""
    plain, lean = botocore.session.get_session(), botocore.session.get_session()
    for session in (plain, lean):
        if data_path is not None:
            session.set_config_variable("data_path", str(data_path))
    use_lean_loader(lean)
    return plain.get_component("data_loader"), lean.get_component("data_loader")


def test_every_service_botocore_lists_is_known_and_no_other() -> None:
    plain, lean = _sessions()
    assert lean.search_paths == plain.search_paths
    for type_name in ("service-2", "endpoint-rule-set-1"):
        everything = plain.list_available_services(type_name)
        names = lean.list_available_services(type_name)
        assert all(name in names for name in everything)
        assert not any(name in names for name in MADE_UP)
        assert list(names) == everything and len(names) == len(everything)


def test_the_endpoint_table_is_botocore_s_own_in_plain_dicts() -> None:
    plain, lean = _sessions()
    table, path = plain.load_data_with_path("endpoints")
    # Trimmed to the services we call (tests/aws/test_endpoint_table.py), and no cache kept.
    assert lean.load_data_with_path("endpoints") == (trimmed(table), path)
    # The same content, parsed without an OrderedDict per object (the point of it).
    assert type(lean.load_data("endpoints")) is dict
    assert type(lean.load_data("endpoints")["partitions"][0]) is dict
    assert lean.load_data("partitions") == plain.load_data("partitions")


def test_a_custom_data_path_is_searched_first(tmp_path: Path) -> None:
    # A model of a made-up service, and an endpoint table of our own, in a data path.
    model_dir = tmp_path / "made-up" / "2024-01-01"
    model_dir.mkdir(parents=True)
    (model_dir / "service-2.json").write_text(json.dumps({"metadata": {}, "operations": {}}))
    endpoints = {"partitions": [], "version": 3}
    (tmp_path / "endpoints.json").write_text(json.dumps(endpoints))
    plain, lean = _sessions(tmp_path)
    assert lean.search_paths == plain.search_paths
    assert lean.search_paths[0] == str(tmp_path)
    assert "made-up" in lean.list_available_services("service-2")
    assert "made-up" in plain.list_available_services("service-2")
    assert lean.load_data_with_path("endpoints") == (endpoints, str(tmp_path / "endpoints"))
    assert type(lean.load_data("endpoints")) is dict
    assert lean.load_data_with_path("endpoints") == plain.load_data_with_path("endpoints")


def test_an_unknown_service_is_refused_with_the_known_ones_named() -> None:
    session = botocore.session.get_session()
    use_lean_loader(session)
    with pytest.raises(UnknownServiceError) as refused:
        session.create_client("no-such-service", region_name="eu-west-1")
    assert "sso-oidc" in str(refused.value)


def test_every_client_sso_sync_builds_uses_it(tmp_path: Path) -> None:
    """Through the facade (aws/session.py), as a push builds its IAM Identity Center client:
    whether `sso` is known is asked of its directory, without listing every service."""
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-1\n")
    aws = AwsClients(
        AwsPaths(config, tmp_path / "sso", tmp_path / "cli"), environ={"HOME": str(tmp_path)}
    )
    aws.sso_client("eu-west-1")
    loader = aws.session.get_component("data_loader")
    for type_name in ("service-2", "endpoint-rule-set-1"):
        names = loader.list_available_services(type_name)  # those botocore asked
        assert isinstance(names, ServiceNames)
        assert names._all is None  # the full listing was never built
    assert "sso" in names


def test_a_gzipped_endpoint_table_is_read_as_botocore_reads_it(tmp_path: Path) -> None:
    endpoints = {"partitions": [{"partition": "made-up", "services": {}}], "version": 3}
    (tmp_path / "endpoints.json.gz").write_bytes(gzip.compress(json.dumps(endpoints).encode()))
    plain, lean = _sessions(tmp_path)
    assert lean.load_data_with_path("endpoints") == (endpoints, str(tmp_path / "endpoints"))
    assert lean.load_data_with_path("endpoints") == plain.load_data_with_path("endpoints")
    assert type(lean.load_data("endpoints")) is dict
