"""What building a push's IAM Identity Center client refuses (a malformed region, a malformed or
plain-http endpoint setting) stops the push before any request, the state file untouched; and
the client applies the profile's own settings. A push that built its AWS side later (in the
background, to start its GitHub requests sooner) must keep both: building it on the credentials
thread was tried and measured no faster, since the build is CPU under one interpreter lock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sso_sync.state_dir import state_dir
from tests.cli.test_odd_inputs import one_line_error
from tests.support.world import World, issued_as_secrets

REPO = "octo-org/app"


def _with_sso_region(world: World, region: str) -> None:
    config = world.home / ".aws" / "config"
    own = world.sandbox.config.region
    config.write_text(config.read_text().replace(f"sso_region = {own}", f"sso_region = {region}"))


def _with_services_endpoint(world: World, url: str) -> None:
    config = world.home / ".aws" / "config"
    text = config.read_text().replace("[profile ci]\n", "[profile ci]\nservices = lab\n", 1)
    config.write_text(text + f"\n[services lab]\nsso =\n  endpoint_url = {url}\n")


def _state_files() -> list[Path]:
    return sorted(p for p in state_dir(os.environ).rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("setting", "needles"),
    [
        ("region", ["'eu west'", "sso_region"]),
        ("variable", ["AWS_ENDPOINT_URL_SSO", "Invalid endpoint"]),
        ("services", ["plain http://", "services"]),
    ],
)
def test_a_setting_the_client_refuses_stops_the_push_before_any_request(
    world: World, run, monkeypatch: pytest.MonkeyPatch, setting: str, needles: list[str]
) -> None:
    world.seed_token()
    if setting == "region":
        _with_sso_region(world, "eu west")
    elif setting == "variable":
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", "not a url")
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL_SSO", raising=False)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        _with_services_endpoint(world, "http://192.0.2.10:9")
    world.sandbox.clear_requests()
    one_line_error(run("push", "--repo", REPO, "--profile", "ci"), 2, *needles)
    # Refused as the push starts: no key fetched, no target marked due in the state file,
    # nothing written.
    assert world.sandbox.requests == []
    assert _state_files() == []
    assert world.sandbox.secrets(f"repos/{REPO}/actions") == {}


def test_the_profiles_endpoint_setting_is_the_one_used(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The profile's own settings (its `services` section) reach the client."""
    world.seed_token()
    url = world.sandbox.aws_url
    monkeypatch.delenv("AWS_ENDPOINT_URL_SSO", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    _with_services_endpoint(world, url)
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    stored = {n: s.value for n, s in world.sandbox.secrets(f"repos/{REPO}/actions").items()}
    assert stored == issued_as_secrets(world)
