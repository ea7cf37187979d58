"""Shared fixtures: an isolated environment for every test, and a running sandbox.

Every test gets its own HOME and AWS config and no inherited AWS_*, GH_* or GITHUB_* variables,
so nothing here can read or write the developer's real ~/.aws or use their tokens.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sso_sync.cli.app import app
from sso_sync.sandbox import Sandbox, SandboxConfig

# Prism and its session sandbox for the contract tests: registered here, once, so that Prism
# starts once per session however many modules use it.
pytest_plugins = ["tests.prism_support"]

ACCOUNT = "111122223333"
ROLE = "ci"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("AWS_", "GH_", "GITHUB_")) or name in ("CI", "NO_COLOR"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    # `gh` on this machine must never supply a real token to a test.
    monkeypatch.setenv("GH_CONFIG_DIR", str(tmp_path / "gh-config"))
    monkeypatch.setenv("BROWSER", "true")
    # A sign-in without a flow flag picks the flow from these; tests must not depend on the
    # developer's desktop or SSH session (on Linux, none of them means "device code", as in CI).
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(device_interval=0)


@pytest.fixture
def sandbox(sandbox_config: SandboxConfig) -> Iterator[Sandbox]:
    with Sandbox(sandbox_config) as sb:
        yield sb


def write_config(home: Path, sandbox: Sandbox) -> Path:
    config = home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    start, region = sandbox.config.start_url, sandbox.config.region
    config.write_text(
        f"""\
# a comment the tools must leave alone
[profile ci]
sso_session = corp
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
region = {region}

[sso-session corp]
sso_start_url = {start}
sso_region = {region}
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = {start}
sso_region = {region}
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
region = {region}

[profile static]
aws_access_key_id = AKIAEXAMPLEEXAMPLE00
aws_secret_access_key = not-a-real-secret-key-for-tests-only-000000
region = {region}
"""
    )
    return config


@dataclass
class World:
    """The sandbox, the isolated HOME with an AWS config, and the environment to reach them."""

    sandbox: Sandbox
    home: Path

    @property
    def sso_cache(self) -> Path:
        return self.home / ".aws" / "sso" / "cache"

    def token_file(self, session_or_url: str = "corp") -> Path:
        import hashlib

        return self.sso_cache / (hashlib.sha1(session_or_url.encode()).hexdigest() + ".json")

    def seed_token(
        self, *, expires_in: int = 3600, refreshable: bool = True, key: str = "corp"
    ) -> dict:
        entry = self.sandbox.mint_token(
            expires_in=expires_in,
            refreshable=refreshable,
            session_name=None if key != "corp" else key,
        )
        path = self.token_file(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry))
        path.chmod(0o600)
        return entry

    def secret_values(self) -> set[str]:
        """Every credential and token in play: none may ever be printed."""
        values = {self.sandbox.github_token} | sandbox_issued_secrets(self.sandbox)
        if self.sso_cache.is_dir():
            for path in self.sso_cache.glob("*.json"):
                if not path.is_file():  # tests may put a directory in a cache file's place
                    continue
                data = json.loads(path.read_text())
                values.update(
                    str(data[k])
                    for k in ("accessToken", "refreshToken", "clientSecret")
                    if k in data
                )
        return {v for v in values if v}


def sandbox_issued_secrets(sandbox: Sandbox) -> set[str]:
    """Every credential, token, client secret and one-time code the sandbox ever handed out,
    including those a command replaced or deleted (a refresh, a logout) and those it never
    cached (a sign-in that failed half-way): the cache files alone would miss them."""
    values: set[str] = set()
    for cred in sandbox.issued_credentials:
        values.update({cred["accessKeyId"], cred["secretAccessKey"], cred["sessionToken"]})
    # The sandbox has no public view of its OIDC state; reading it here keeps the canary honest.
    with sandbox._hub.lock:
        state = sandbox._aws.state
        values.update(state.access_tokens)
        values.update(state.refresh_tokens)
        values.update(state.devices)  # device codes (the user code is meant to be shown)
        values.update(state.codes)  # authorization codes
        values.update(client.client_secret for client in state.clients.values())
    return values


@pytest.fixture
def world(sandbox: Sandbox, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    write_config(isolated_env, sandbox)
    return World(sandbox=sandbox, home=isolated_env)


@pytest.fixture
def run(world: World):
    """Invoke the CLI in-process; asserts after every call that no secret leaked."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, extra_secrets: set[str] | None = None):
        before = world.secret_values()  # a command may delete or replace what it used
        result = runner.invoke(app, list(args), input=input)
        assert_no_leak(
            result.stdout + result.stderr,
            before | world.secret_values() | (extra_secrets or set()),
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke


# A long secret cut short (in an error message, a log line) is still a leak: its first this-many
# characters, random in every value the sandbox issues, are looked for too.
LEAK_PREFIX = 16


def assert_no_leak(text: str, secrets: set[str]) -> None:
    leaked = [
        s[:4] + "..."
        for s in secrets
        if s and (s in text or (len(s) >= 2 * LEAK_PREFIX and s[:LEAK_PREFIX] in text))
    ]
    assert not leaked, f"secret values leaked into output: {leaked}"
