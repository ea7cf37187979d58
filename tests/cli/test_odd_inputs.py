"""Odd inputs on every command: a directory where a file should be, a damaged cache entry, a
malformed URL, region or number. Each is one line naming the problem, the right exit code, and
never "unexpected" or a traceback (those mean a bug)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.role_cache import cache_key
from tests.support.world import ACCOUNT, ROLE, World

REPO = "octo-org/app"


def one_line_error(result, code: int, *needles: str) -> str:
    assert result.exit_code == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "unexpected" not in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def github_requests(world: World) -> list[str]:
    return [r.path for r in world.sandbox.requests if r.service == "github"]


def role_cache_file(world: World) -> Path:
    profile = SsoProfile("ci", world.sandbox.config.start_url, "", ACCOUNT, ROLE, "corp")
    return world.home / ".aws" / "cli" / "cache" / f"{cache_key(profile)}.json"


@pytest.mark.parametrize(
    "url",
    ["localhost:8080", "ftp://ghes.example/api/v3", "http://127.0.0.1:99999/", "http://a b/"],
)
def test_a_malformed_api_url_is_refused_before_any_request(world: World, run, url: str) -> None:
    world.seed_token()
    result = run("push", "--repo", REPO, "--profile", "ci", "--api-url", url)
    one_line_error(result, 2, "--api-url", "is not an API URL", "api/v3")
    assert github_requests(world) == []


def test_an_api_url_with_a_password_is_refused_without_echoing_it(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    monkeypatch.setenv(
        "GITHUB_API_URL", "https://x-access-token:ghp_canary0123456789@ghes.example/"
    )
    result = run("push", "--repo", REPO, "--profile", "ci", extra_secrets={"ghp_canary0123456789"})
    one_line_error(result, 2, "GITHUB_API_URL", "GH_TOKEN")


def test_an_api_url_with_a_trailing_slash_works(world: World, run) -> None:
    world.seed_token()
    result = run(
        "push", "--repo", REPO, "--profile", "ci", "--api-url", world.sandbox.github_url + "/"
    )
    assert result.exit_code == 0, result.stderr
    assert all(not path.startswith("//") for path in github_requests(world))


def test_an_endless_timeout_is_a_usage_error(world: World, run) -> None:
    world.seed_token()
    one_line_error(
        run("push", "--repo", REPO, "--profile", "ci", "--timeout", "inf"), 2, "--timeout"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["push", "--repo", REPO, "--profile", "ci"],
        ["status", "--profile", "ci"],
        ["login", "--profile", "ci", "--use-device-code"],
        ["logout", "--profile", "ci"],
        ["export", "--profile", "ci"],
    ],
)
def test_a_directory_in_place_of_the_token_file_is_named(world: World, run, args) -> None:
    world.token_file().mkdir(parents=True)
    one_line_error(run(*args), 2, str(world.token_file()), "is a directory")


@pytest.mark.parametrize("args", [["export", "--profile", "ci"], ["logout", "--all"]])
def test_a_directory_in_place_of_a_role_cache_file_is_named(world: World, run, args) -> None:
    world.seed_token()
    role_cache_file(world).mkdir(parents=True)
    one_line_error(run(*args), 2, str(role_cache_file(world)))


def test_a_directory_in_place_of_the_credentials_file_is_named(world: World, run) -> None:
    world.seed_token()
    target = world.home / ".aws" / "credentials"
    target.mkdir(parents=True)
    one_line_error(run("export", "--profile", "ci", "--format", "ini"), 2, str(target))


def test_a_directory_in_place_of_the_config_file_is_named_by_configure(world: World, run) -> None:
    config = world.home / ".aws" / "config"
    config.unlink()
    config.mkdir()
    args = ["--session-name", "s", "--start-url", "https://x.example/start", "--region"]
    args += ["eu-west-1", "--account-id", ACCOUNT, "--role-name", ROLE, "--profile", "p"]
    one_line_error(run("configure", *args), 2, str(config))


def test_a_cache_directory_that_is_a_file_is_named(world: World, run) -> None:
    world.sso_cache.parent.mkdir(parents=True)
    world.sso_cache.write_text("not a directory")
    one_line_error(run("login", "--profile", "ci", "--use-device-code"), 2, "Not a directory")


def test_a_damaged_token_entry_means_sign_in_again(world: World, run) -> None:
    """botocore itself parses registrationExpiresAt when the token is due for refresh."""
    entry = world.seed_token(expires_in=-60)
    entry["registrationExpiresAt"] = "not a date"
    world.token_file().write_text(json.dumps(entry))
    one_line_error(run("push", "--repo", REPO, "--profile", "ci"), 3, "sso-sync login")
    assert run("status", "--profile", "ci").exit_code == 3
    # push fetches public keys while it asks for credentials; it must write nothing.
    assert not [r for r in world.sandbox.requests if r.service == "github" and r.method != "GET"]
    assert world.sandbox.secrets(f"repos/{REPO}/actions") == {}


def test_a_config_file_botocore_cannot_parse_is_named(world: World, run) -> None:
    config = world.home / ".aws" / "config"
    config.write_bytes(b"\xff\xfe[profile ci]\n")
    one_line_error(run("push", "--repo", REPO, "--profile", "ci"), 2, str(config))


def test_a_malformed_region_is_named(world: World, run) -> None:
    config = world.home / ".aws" / "config"
    region = world.sandbox.config.region
    config.write_text(config.read_text().replace(f"sso_region = {region}", "sso_region = eu west"))
    world.seed_token()
    one_line_error(run("push", "--repo", REPO, "--profile", "ci"), 2, "'eu west'", "sso_region")


def test_a_malformed_endpoint_url_is_named(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", "not a url")
    one_line_error(run("push", "--repo", REPO, "--profile", "ci"), 2, "AWS_ENDPOINT_URL_SSO")


@pytest.mark.parametrize(
    ("env", "args", "needle"),
    [
        ({}, ["--min-remaining", "99999999999d"], "--min-remaining"),
        ({"AWS_CREDENTIAL_EXPIRATION": "0001-01-01T00:00:00+01:00"}, [], "UTC timestamp"),
        ({"AWS_REGION": "not a region"}, [], "AWS_REGION"),
    ],
)
def test_verify_refuses_out_of_range_input(
    world: World, run, monkeypatch: pytest.MonkeyPatch, env, args, needle
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-key-for-tests-only-000000")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    one_line_error(run("verify", *args), 2, needle)


def test_init_workflows_names_a_file_in_the_way(
    world: World, run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".github").write_text("a file where the directory should be")
    monkeypatch.chdir(repo)
    pin = "my-org/sso-sync@" + "a" * 40
    result = run("init-workflows", "--action", pin)
    one_line_error(result, 2, ".github/workflows", "Not a directory")
    assert (repo / ".github").read_text() == "a file where the directory should be"
