"""GitHub App authentication end to end: PyGithub's App JWT, verified by the sandbox (RS256, iss,
iat, exp at most 10 minutes on), installation look-ups once per owner, one installation token per
installation per run with only the permissions the run needs; refusals before any request."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.world import World, issued_as_secrets

APP_ID = "31337"


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        device_interval=0,
        repos={
            "octo-org/app": ["production"],
            "octo-org/api": [],
            "octo-org/svc-a": [],
            "octo-org/svc-b": [],
            "other-org/tool": [],
            "lonely-org/x": [],
        },
        orgs=["octo-org", "other-org", "lonely-org"],
        app_installations={"octo-org": 501, "other-org": 502},
    )


@pytest.fixture
def key_file(world: World, tmp_path: Path) -> Path:
    return world.app_key_file(tmp_path)


def app_args(key_file: Path) -> list[str]:
    return ["--github-app-id", APP_ID, "--github-app-key", str(key_file)]


def github_paths(world: World) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in world.sandbox.requests if r.service == "github"]


def test_app_auth_pushes_with_one_token_per_installation(
    world: World, run, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GH_TOKEN", raising=False)  # no token source: the App alone
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", "octo-org/app", "--repo", "octo-org/api"]
    argv += ["--repo", "other-org/tool", "--org", "octo-org"]
    result = run(*argv, *app_args(key_file))
    assert result.exit_code == 0, result.stderr
    issued = issued_as_secrets(world)
    assert {n: s.value for n, s in world.sandbox.secrets("orgs/octo-org/actions").items()} == (
        issued
    )
    tool = world.sandbox.secrets("repos/other-org/tool/actions")
    assert {n: s.value for n, s in tool.items()} == issued
    minted = world.sandbox.minted_installation_tokens
    assert sorted(i for i, _ in minted) == [501, 502]  # once per installation per run
    assert minted[0][1] == {
        "metadata": "read",
        "secrets": "write",
        "organization_secrets": "write",
    }
    lookups = [p for m, p in github_paths(world) if p.endswith("/installation")]
    assert len(lookups) == 2  # once per owner, however many targets it has


def test_app_settings_from_the_environment_and_a_pattern_uses_the_installation_listing(
    world: World, run, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSO_SYNC_GITHUB_APP_ID", APP_ID)
    monkeypatch.setenv("SSO_SYNC_GITHUB_APP_KEY_FILE", str(key_file))
    world.seed_token()
    result = run("push", "-p", "ci", "--repo", "octo-org/svc-*")
    assert result.exit_code == 0, result.stderr
    assert world.sandbox.secrets("repos/octo-org/svc-a/actions")
    assert world.sandbox.secrets("repos/octo-org/svc-b/actions")
    assert ("GET", "/installation/repositories") in github_paths(world)
    assert [p for _, p in world.sandbox.minted_installation_tokens] == [
        {"metadata": "read", "secrets": "write"}
    ]


def test_config_set_names_the_app_with_a_key_relative_to_the_file(
    world: World, run, key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "sso-sync.toml").write_text(
        f'[sets.ci]\nprofile = "ci"\ngithub-app-id = {APP_ID}\ngithub-app-key = "../app.pem"\n'
        'targets = [{ repo = "octo-org/api" }]\n'
    )
    monkeypatch.chdir(conf)
    world.seed_token()
    result = run("push", "ci", "--config", "sso-sync.toml")
    assert result.exit_code == 0, result.stderr
    assert len(world.sandbox.minted_installation_tokens) == 1
    listed = run("list", "ci", "--config", "sso-sync.toml")
    assert listed.exit_code == 0, listed.stderr
    assert "AWS_SESSION_TOKEN" in listed.stdout
    # list asked for read only
    assert world.sandbox.minted_installation_tokens[-1][1] == {
        "metadata": "read",
        "secrets": "read",
    }


def test_installation_token_works_until_it_expires(world: World, run, key_file: Path) -> None:
    world.seed_token()
    assert run("push", "-p", "ci", "--repo", "octo-org/api", *app_args(key_file)).exit_code == 0
    (token,) = world.sandbox.installation_tokens

    def get(path: str) -> int:
        request = urllib.request.Request(
            world.sandbox.github_url + path, headers={"Authorization": f"token {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert get("/repos/octo-org/api/actions/secrets/public-key") == 200
    assert get("/repos/other-org/tool/actions/secrets/public-key") == 404  # not its account
    world.sandbox.expire_installation_tokens()
    assert get("/repos/octo-org/api/actions/secrets/public-key") == 401


@pytest.mark.parametrize(
    ("content", "mode", "expected"),
    [
        (None, 0o644, "is readable or writable by others (mode 0644): run chmod 600"),
        ("not a key\n", 0o600, "is not an unencrypted PEM RSA private key"),
        (None, 0o640, "is readable or writable by others (mode 0640)"),
    ],
    ids=["mode-0644", "not-pem", "group-readable"],
)
def test_unusable_key_file_is_exit_2_before_any_request(
    world: World, run, key_file: Path, content: str | None, mode: int, expected: str
) -> None:
    if content is not None:
        key_file.write_text(content)
    key_file.chmod(mode)
    result = run("push", "-p", "ci", "--repo", "octo-org/api", *app_args(key_file))
    assert result.exit_code == 2
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1
    assert github_paths(world) == []


def test_missing_key_file_is_exit_2(world: World, run, tmp_path: Path) -> None:
    result = run("push", "-p", "ci", "--repo", "o/r", *app_args(tmp_path / "nope.pem"))
    assert result.exit_code == 2
    assert "cannot read it" in result.stderr


def test_jwt_github_refuses_is_exit_1(world: World, run, key_file: Path) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", "octo-org/api", "--github-app-key", str(key_file)]
    result = run(*argv, "--github-app-id", "999")
    assert result.exit_code == 1
    assert "GitHub refused GitHub App 999's JWT" in result.stderr
    assert world.sandbox.minted_installation_tokens == []


def test_app_not_installed_on_an_owner_fails_that_target(world: World, run, key_file: Path) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", "octo-org/api", "--repo", "lonely-org/x"]
    result = run(*argv, *app_args(key_file))
    assert result.exit_code == 1
    assert "GitHub App 31337 is not installed on lonely-org" in result.stdout
    assert world.sandbox.secrets("repos/octo-org/api/actions")


def test_permissions_not_granted_are_named(
    world: World, run, key_file: Path, sandbox_config: SandboxConfig
) -> None:
    sandbox_config.app_permissions = {"metadata": "read", "secrets": "write"}
    world.seed_token()
    result = run("push", "-p", "ci", "--org", "octo-org", *app_args(key_file), "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert "organization_secrets=write" in out["targets"][0]["error"]


def test_installation_id_with_several_owners_is_exit_2(world: World, run, key_file: Path) -> None:
    argv = ["push", "-p", "ci", "--repo", "octo-org/api", "--repo", "other-org/tool"]
    result = run(*argv, *app_args(key_file), "--github-app-installation-id", "501")
    assert result.exit_code == 2
    assert "but the targets have 2 owners" in result.stderr
    assert github_paths(world) == []


def test_installation_id_given_skips_the_lookup(world: World, run, key_file: Path) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", "octo-org/api", *app_args(key_file)]
    result = run(*argv, "--github-app-installation-id", "501")
    assert result.exit_code == 0, result.stderr
    assert not [p for _, p in github_paths(world) if p.endswith("/installation")]


@pytest.mark.parametrize(
    ("iat", "exp", "iss", "status"),
    [
        (-60, 540, APP_ID, 200),  # 9 minutes on: accepted
        (-60, 660, APP_ID, 401),  # 11 minutes on: GitHub refuses
        (120, 300, APP_ID, 401),  # issued in the future
        (-60, 300, "4242", 401),  # another App
        (-900, -300, APP_ID, 401),  # expired
    ],
)
def test_sandbox_checks_the_app_jwt_as_github_does(
    world: World, iat: int, exp: int, iss: str, status: int
) -> None:
    import time

    import jwt

    now = int(time.time())
    pem = world.sandbox.app_private_key_pem()
    token = jwt.encode({"iat": now + iat, "exp": now + exp, "iss": iss}, pem, algorithm="RS256")
    request = urllib.request.Request(
        world.sandbox.github_url + "/orgs/octo-org/installation",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            got = response.status
    except urllib.error.HTTPError as exc:
        got = exc.code
    assert got == status


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.github.com", True),
        ("https://ghes.example.test/api/v3", True),
        ("http://127.0.0.1:8080", True),
        ("http://[::1]:8080", True),
        ("http://localhost:8080", True),
        ("http://ghes.example.test/api/v3", False),
        ("http://192.0.2.10/api/v3", False),
    ],
)
def test_app_tokens_go_over_tls_or_to_loopback_only(url: str, ok: bool) -> None:
    """Checked before any request (a pure check: no test traffic leaves the machine)."""
    from sso_sync.errors import UsageError
    from sso_sync.github.token_sources import resolve_api_url

    if ok:
        resolve_api_url(url, {})
    else:
        with pytest.raises(UsageError, match="over plain http://"):
            resolve_api_url(url, {})


def test_key_file_that_is_a_fifo_is_refused_without_blocking(
    world: World, run, tmp_path: Path
) -> None:
    import os

    fifo = tmp_path / "app.pem"
    os.mkfifo(fifo, 0o600)
    result = run("push", "-p", "ci", "--repo", "octo-org/api", *app_args(fifo))
    assert result.exit_code == 2
    assert "not a regular file" in result.stderr


def test_dry_run_as_an_app_asks_for_read_only(world: World, run, key_file: Path) -> None:
    world.seed_token()
    argv = ["push", "-p", "ci", "--repo", "octo-org/api", "--dry-run", *app_args(key_file)]
    result = run(*argv, "--expiration-variable", "AWS_EXPIRES")
    assert result.exit_code == 0, result.stderr
    assert [p for _, p in world.sandbox.minted_installation_tokens] == [
        {"metadata": "read", "secrets": "read"}
    ]
    assert world.sandbox.secrets("repos/octo-org/api/actions") == {}


@pytest.mark.parametrize("status", [302, 200])
def test_an_installation_token_is_taken_only_from_a_201(
    status: int, world: World, run, key_file: Path
) -> None:
    """GitHub mints with 201 Created: a redirect (or a 200) whose body holds a "token" is not
    GitHub's token, and it is never sent anywhere."""
    world.seed_token()
    planted = "ghs_PLANTEDbyaredirect000000000000000001"
    world.sandbox.inject_fault(
        "github", "POST", r"^/app/installations/\d+/access_tokens$", status, times=-1,
        headers={"Location": "https://elsewhere.example/"},
        body={"token": planted, "expires_at": "2099-01-01T00:00:00Z"},
    )  # fmt: skip
    result = run("push", "-p", "ci", "--repo", "octo-org/api", *app_args(key_file))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert f"GitHub answered {status} instead of 201 Created" in result.stdout + result.stderr
    # Nothing was asked with it: no public key fetched, no secret written.
    used = [p for m, p in github_paths(world) if m == "PUT" or p.endswith("/public-key")]
    assert used == []
    assert planted not in result.stdout + result.stderr
    assert world.sandbox.secrets("repos/octo-org/api/actions") == {}


def test_a_key_file_with_non_ascii_bytes_is_exit_2(world: World, run, key_file: Path) -> None:
    key_file.write_bytes("clé de l'App\n".encode() + key_file.read_bytes())
    key_file.chmod(0o600)
    result = run("push", "-p", "ci", "--repo", "octo-org/api", *app_args(key_file))
    assert result.exit_code == 2, result.stderr
    assert "not ASCII" in result.stderr and result.stderr.count("\n") == 1
    assert github_paths(world) == []
