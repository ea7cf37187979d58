"""The test world: the sandbox, an isolated HOME with an AWS config pointing at it, and the
canary check that no secret it issued ever reaches output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sso_sync.sandbox import Sandbox

ACCOUNT = "111122223333"
ROLE = "ci"


NAMES = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
]


def write_config(home: Path, sandbox: Sandbox) -> Path:
    return write_config_for(home, sandbox.config.start_url, sandbox.config.region)


def write_config_for(home: Path, start: str, region: str) -> Path:
    """The AWS config of the test world, for a sandbox at `start` (in this process or not)."""
    config = home / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
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

    def app_key_file(self, directory: Path) -> Path:
        """The sandbox GitHub App's private key in `directory`, mode 0600."""
        path = directory / "app.pem"
        path.write_text(self.sandbox.app_private_key_pem())
        path.chmod(0o600)
        return path

    def use_github_app(self, monkeypatch: Any, directory: Path) -> Path:
        """GitHub App auth through the environment, and no token source at all."""
        key = self.app_key_file(directory)
        monkeypatch.delenv("GH_TOKEN", raising=False)
        monkeypatch.setenv("SSO_SYNC_GITHUB_APP_ID", str(self.sandbox.config.app_id))
        monkeypatch.setenv("SSO_SYNC_GITHUB_APP_KEY_FILE", str(key))
        return key

    def secret_values(self) -> set[str]:
        """Every credential and token in play: none may ever be printed."""
        values = {self.sandbox.github_token} | sandbox_issued_secrets(self.sandbox)
        if self.sso_cache.is_dir():
            for path in self.sso_cache.glob("*.json"):
                if not path.is_file():  # tests may put a directory in a cache file's place
                    continue
                try:  # fuzz tests put anything there
                    data = json.loads(path.read_text(errors="replace"))
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
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
    # ECR passwords and CodeArtifact tokens, in the form pushed and the form sent.
    for token in sandbox.issued_registry_tokens:
        values.update({token["value"], token["wire"]})
    # GitHub App auth: every installation token minted, and the App's private key (line by line:
    # its PEM header is the same for every key, its body is not).
    values.update(sandbox.installation_tokens)
    key = sandbox._github.app.private_key_pem
    values.update(line for line in key.splitlines() if line and not line.startswith("-----"))
    # The sandbox has no public view of its OIDC state; reading it here keeps the canary honest.
    with sandbox._hub.lock:
        state = sandbox._aws.state
        values.update(state.access_tokens)
        values.update(state.refresh_tokens)
        values.update(state.devices)  # device codes (the user code is meant to be shown)
        values.update(state.codes)  # authorization codes
        values.update(client.client_secret for client in state.clients.values())
    return values


def issued_as_secrets(
    world: World, index: int = -1, *, asked_with: str | None = None
) -> dict[str, str]:
    """The secrets of the role credentials issued `index`th (of those issued to the access
    token `asked_with`: one profile's, when profiles are asked for side by side)."""
    from datetime import datetime, timezone

    sandbox = world.sandbox
    if asked_with is None:
        cred = sandbox.issued_credentials[index]
    else:
        cred = sandbox.credentials_asked_with(asked_with)[index]
    expiration = datetime.fromtimestamp(cred["expiration"] / 1000, timezone.utc)
    return {
        "AWS_ACCESS_KEY_ID": cred["accessKeyId"],
        "AWS_SECRET_ACCESS_KEY": cred["secretAccessKey"],
        "AWS_SESSION_TOKEN": cred["sessionToken"],
        "AWS_CREDENTIAL_EXPIRATION": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


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
