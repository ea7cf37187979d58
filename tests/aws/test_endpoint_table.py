"""The trimmed endpoint table (src/sso_sync/aws/endpoint_table.py): every client sso-sync
builds sends its requests where, and signs them as, botocore's full table would have it, in
every partition; the table is kept on disk, only in a private file of ours, and made again
when botocore's file changes."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from sso_sync import clients
from sso_sync.aws.endpoint_table import ENDPOINT_PREFIXES, cache_dir
from sso_sync.aws.model_data import use_lean_loader
from sso_sync.aws.profiles import AwsPaths
from sso_sync.aws.session import AwsClients

REGIONS = ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "xx-new-1"]
SETTINGS = [{}, {"use_fips_endpoint": True}, {"use_dualstack_endpoint": True}]
# One operation of each service sso-sync calls, as it calls it.
CALLS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "sso": ("get_role_credentials", {"roleName": "r", "accountId": "1", "accessToken": "t"}, False),
    "sso-oidc": ("register_client", {"clientName": "c", "clientType": "public"}, False),
    "sts": ("get_caller_identity", {}, True),
    "ecr": ("get_authorization_token", {}, True),
    "codeartifact": ("get_authorization_token", {"domain": "d"}, True),
}


class Sent(Exception):
    """Raised by the before-send hook: the request is not sent, and carries what would be."""

    def __init__(self, url: str, scope: str) -> None:
        super().__init__(url)
        self.url, self.scope = url, scope


def _stop(request: Any, **_: Any) -> None:
    auth = request.headers.get("Authorization", b"")
    auth = auth.decode() if isinstance(auth, bytes) else auth
    scope = re.search(r"Credential=[^/]+/\d+/([^/]+/[^/]+)/", auth)
    raise Sent(request.url, scope.group(1) if scope else "")


def _where(session: Any, service: str, region: str, settings: dict[str, Any]) -> str:
    operation, params, signed = CALLS[service]
    config = Config(
        region_name=region,
        retries={"max_attempts": 1},
        signature_version=None if signed else UNSIGNED,
        **settings,
    )
    keys = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "x"} if signed else {}
    try:
        client = session.create_client(service, region_name=region, config=config, **keys)
        client.meta.events.register("before-send", _stop)
        getattr(client, operation)(**params)
    except Sent as sent:
        return f"{sent.url} {sent.scope}"
    except Exception as exc:  # the same refusal, from both tables
        return f"{type(exc).__name__}: {exc}"
    return "sent nothing"


@pytest.fixture(autouse=True)
def _no_endpoint_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in (
            "AWS_USE_FIPS_ENDPOINT",
            "AWS_USE_DUALSTACK_ENDPOINT",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


def _lean(tmp_path: Path) -> Any:
    session = clients.aws_session(AwsPaths.under(tmp_path / "aws"))
    use_lean_loader(session, tmp_path / "cache")
    return session


@pytest.mark.parametrize("service", sorted(CALLS))
def test_every_client_goes_and_signs_where_botocore_s_full_table_says(
    tmp_path: Path, service: str
) -> None:
    full = botocore.session.get_session()
    full.set_config_variable("config_file", str(tmp_path / "no-config"))
    lean = _lean(tmp_path)
    for region in REGIONS:
        for settings in SETTINGS:
            expected = _where(full, service, region, settings)
            assert _where(lean, service, region, settings) == expected, (region, settings)
    # The same again from the kept table, as the next process reads it.
    assert list((tmp_path / "cache").iterdir())
    again = _lean(tmp_path)
    assert _where(again, service, "eu-west-1", {}) == _where(full, service, "eu-west-1", {})


def test_every_client_sso_sync_builds_is_one_the_table_keeps(tmp_path: Path) -> None:
    """Through the one place clients are built (aws/session.py): a client for a service
    whose prefix is not kept would be sent where the partition's default says."""
    from datetime import datetime, timedelta, timezone

    from sso_sync.aws.role_credentials import RoleCredentials

    aws = AwsClients(AwsPaths.under(tmp_path / "aws"), environ={"HOME": str(tmp_path)})
    now = datetime.now(timezone.utc)
    keys = RoleCredentials("1", "r", "AKIDEXAMPLE", "x", "t", now + timedelta(hours=1), now)
    built = [
        aws.sso_client("eu-west-1"),
        aws.oidc_client("eu-west-1"),
        aws.sts_client(keys, "eu-west-1"),
        aws.ecr_client(keys, "eu-west-1"),
        aws.codeartifact_client(keys, "eu-west-1"),
    ]
    prefixes = {c.meta.service_model.endpoint_prefix for c in built}
    assert prefixes == ENDPOINT_PREFIXES
    assert {c.meta.service_model.service_name for c in built} == set(CALLS)


def _kept(directory: Path) -> list[Path]:
    return sorted(directory.glob("botocore-endpoints-*.json"))


def _table_of(session: Any) -> dict[str, Any]:
    return session.get_component("data_loader").load_data("endpoints")


def _session_with_data_path(data: Path, cache: Path) -> Any:
    session = botocore.session.get_session()
    session.set_config_variable("data_path", str(data))
    use_lean_loader(session, cache)
    return session


def test_the_table_is_kept_private_read_back_and_made_again_when_botocore_s_changes(
    tmp_path: Path,
) -> None:
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    services = {"sts": {"endpoints": {}}, "s3": {"endpoints": {}}}
    table = {"partitions": [{"partition": "made-up", "services": services}], "version": 3}
    (data / "endpoints.json").write_text(json.dumps(table))
    first = _table_of(_session_with_data_path(data, cache))
    assert first["partitions"][0]["services"] == {"sts": {"endpoints": {}}}
    [kept] = _kept(cache)
    assert kept.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700
    assert json.loads(kept.read_text()) == first
    # Read back, not parsed again: what the file says is what the next session gets.
    marked = {**first, "version": 99}
    kept.write_text(json.dumps(marked))
    assert _table_of(_session_with_data_path(data, cache)) == marked
    # botocore's file changed (an upgrade, an edited copy): a new table. The old one stays
    # while another install may still use it, and goes once no run has made it for a month.
    services["codeartifact"] = {"endpoints": {"eu-west-1": {}}}
    (data / "endpoints.json").write_text(json.dumps(table))
    changed = _table_of(_session_with_data_path(data, cache))
    assert set(changed["partitions"][0]["services"]) == {"sts", "codeartifact"}
    assert len(_kept(cache)) == 2 and kept in _kept(cache)
    month_ago = time.time() - 31 * 24 * 3600
    os.utime(kept, (month_ago, month_ago))
    services["ecr"] = {"endpoints": {}}
    (data / "endpoints.json").write_text(json.dumps(table))
    _table_of(_session_with_data_path(data, cache))
    assert len(_kept(cache)) == 2 and kept not in _kept(cache)


def test_a_release_that_keeps_one_more_service_makes_a_new_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sso_sync.aws import endpoint_table

    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    services = {"sts": {}, "s3": {}}
    table = {"partitions": [{"partition": "made-up", "services": services}], "version": 3}
    (data / "endpoints.json").write_text(json.dumps(table))
    assert set(_table_of(_session_with_data_path(data, cache))["partitions"][0]["services"]) == {
        "sts"
    }
    monkeypatch.setattr(endpoint_table, "ENDPOINT_PREFIXES", ENDPOINT_PREFIXES | {"s3"})
    again = _table_of(_session_with_data_path(data, cache))
    assert set(again["partitions"][0]["services"]) == {"sts", "s3"}


@pytest.mark.parametrize("how", ["writable by others", "symbolic link", "not a table", "huge"])
def test_a_kept_table_that_is_not_ours_alone_is_not_read(tmp_path: Path, how: str) -> None:
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    table = {"partitions": [{"partition": "made-up", "services": {"sts": {}}}], "version": 3}
    (data / "endpoints.json").write_text(json.dumps(table))
    _table_of(_session_with_data_path(data, cache))
    [kept] = _kept(cache)
    planted = {"partitions": [{"partition": "made-up", "services": {"sts": {"hostname": "x"}}}]}
    if how == "writable by others":
        kept.write_text(json.dumps(planted))
        kept.chmod(0o666)
    elif how == "symbolic link":
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_text(json.dumps(planted))
        kept.unlink()
        kept.symlink_to(elsewhere)
    elif how == "not a table":
        kept.write_text("[1, 2")
    else:
        kept.write_text(json.dumps({**planted, "pad": "x" * 600_000}))
    assert _table_of(_session_with_data_path(data, cache)) == table


def test_without_a_usable_cache_directory_the_full_table_is_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    table = {"partitions": [{"partition": "made-up", "services": {"sts": {}}}], "version": 3}
    (data / "endpoints.json").write_text(json.dumps(table))
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    assert _table_of(_session_with_data_path(data, blocked / "cache")) == table


def test_the_cache_directory_follows_xdg(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    assert cache_dir(home) == tmp_path / ".cache" / "sso-sync"
    assert cache_dir({**home, "XDG_CACHE_HOME": "/srv/c"}) == Path("/srv/c/sso-sync")
    assert cache_dir({**home, "XDG_CACHE_HOME": "rel"}) == tmp_path / ".cache" / "sso-sync"
