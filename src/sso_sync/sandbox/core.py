"""The ``Sandbox``: both servers, their shared state and the test-facing controls."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from .aws import AwsBackend
from .config import RequestRecord, SandboxConfig, StoredSecret
from .github import GitHubBackend
from .http import App, ConnectionEnd, Fault, Hub, SandboxServer, handler_thread_name

SERVICES = ("sso", "sso-oidc", "sts", "ecr", "codeartifact", "github")


class Sandbox:
    """Loopback fakes of IAM Identity Center, STS, ECR and CodeArtifact's token calls, and the
    GitHub REST API."""

    def __init__(
        self, config: SandboxConfig | None = None, *, aws_port: int = 0, github_port: int = 0
    ) -> None:
        self.config = config if config is not None else SandboxConfig()
        self._hub = Hub(self.config.latency)
        self._aws = AwsBackend(self.config, self._hub.lock)
        self._github = GitHubBackend(self.config, self._hub.lock)
        self._ports = (aws_port, github_port)
        self._servers: list[SandboxServer] = []
        self._threads: list[threading.Thread] = []
        self.aws_url = ""
        self.github_url = ""

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._servers:
            return self
        apps: tuple[App, App] = (self._aws, self._github)
        for port, app in zip(self._ports, apps, strict=True):
            self._servers.append(SandboxServer(port, app, self._hub, self.config.now))
        self.aws_url, self.github_url = (s.url for s in self._servers)
        self._aws.base_url, self._github.base_url = self.aws_url, self.github_url
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sandbox-{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.close_connections()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def github_token(self) -> str:
        return self.config.github_token

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3, the AWS CLI and PyGithub at the sandbox."""
        return {
            "AWS_ENDPOINT_URL_SSO": self.aws_url,
            "AWS_ENDPOINT_URL_SSO_OIDC": self.aws_url,
            "AWS_ENDPOINT_URL_STS": self.aws_url,
            "AWS_ENDPOINT_URL_ECR": self.aws_url,
            "AWS_ENDPOINT_URL_CODEARTIFACT": self.aws_url,
            "GITHUB_API_URL": self.github_url,
            "GH_TOKEN": self.github_token,
        }

    # --- request log, latency, faults -----------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._hub.lock:
            return list(self._hub.records)

    def clear_requests(self) -> None:
        with self._hub.lock:
            self._hub.records.clear()
            self._hub.peak_in_flight.clear()
        for server in self._servers:
            server.connections_accepted = 0

    def close_connections_after(
        self, service: str, answers: int | None, how: ConnectionEnd = "idle"
    ) -> None:
        """End each keep-alive connection to `service` after `answers` answers (None: never),
        as servers do: "idle" closes it quietly after the last answer (the client finds out
        when it next uses it, or as it sends), "header" says `Connection: close` on the last
        answer, "unanswered" reads the next request and closes the connection without a byte
        of answer and without handling the request (an idle timeout meeting a request; the
        sandbox logs it with status 0)."""
        with self._hub.lock:
            if answers is None:
                self._hub.connection_end.pop(service, None)
            else:
                self._hub.connection_end[service] = (how, answers)

    def connections(self, service: str = "github") -> int:
        """TCP connections the `service` side ("aws" or "github") accepted since the last
        clear: a client that reuses its connections opens few."""
        return self._servers[0 if service == "aws" else 1].connections_accepted

    def handler_threads(self) -> list[threading.Thread]:
        """The threads serving a connection to this sandbox now (not another sandbox's)."""
        names = {handler_thread_name(s.server_address[1]) for s in self._servers}
        return [t for t in threading.enumerate() if t.name in names]

    def peak_in_flight(self, service: str = "github") -> int:
        """The most requests to `service` handled at the same time since the last clear."""
        with self._hub.lock:
            return self._hub.peak_in_flight.get(service, 0)

    def set_latency(self, seconds: float) -> None:
        with self._hub.lock:
            self._hub.latency = seconds
            self.config.latency = seconds

    def inject_fault(
        self,
        service: str,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        reset_connection: bool = False,
        raw_body: bytes | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests (-1: all) with this instead.

        ``raw_body`` is sent as it is (with ``headers``), for answers that are not JSON.

        ``path_regex`` is searched (``re.search``) in the request path without its query.
        """
        if service not in SERVICES:
            raise ValueError(f"service must be one of {SERVICES}, not {service!r}")
        if times == 0:
            return
        fault = Fault(
            service=service,
            method=method.upper(),
            pattern=re.compile(path_regex),
            status=status,
            remaining=times if times > 0 else -1,
            headers=dict(headers or {}),
            body=body,
            reset_connection=reset_connection,
            raw_body=raw_body,
        )
        with self._hub.lock:
            self._hub.faults.append(fault)

    # --- AWS ------------------------------------------------------------------------------

    @property
    def issued_credentials(self) -> list[dict[str, Any]]:
        with self._hub.lock:
            return self._aws.issued_credentials()

    def credentials_asked_with(self, access_token: str) -> list[dict[str, Any]]:
        """The role credentials issued to one sign-in's access token (one profile's, when
        profiles sign in apart), in the order issued."""
        with self._hub.lock:
            return self._aws.issued_credentials(access_token)

    @property
    def issued_registry_tokens(self) -> list[dict[str, Any]]:
        """Every ECR password and CodeArtifact token issued: kind, value (what a push stores),
        wire (the form sent), expires_at (epoch seconds), account_id, role_name, domain."""
        with self._hub.lock:
            return self._aws.issued_registry_tokens()

    def deny_actions(self, *actions: str) -> None:
        """Take IAM actions ("ecr:GetAuthorizationToken", "sts:GetServiceBearerToken", ...) out
        of every role's permission set: the registry calls needing them are refused, named."""
        with self._hub.lock:
            self.config.denied_actions.extend(actions)

    def mint_token(
        self,
        *,
        expires_in: int | None = None,
        refreshable: bool = True,
        session_name: str | None = None,
    ) -> dict[str, Any]:
        """Create a registration and tokens server-side; return them as AWS CLI v2 caches them."""
        with self._hub.lock:
            return self._aws.mint_token(
                expires_in=expires_in, refreshable=refreshable, session_name=session_name
            )

    def revoke_access_tokens(self) -> None:
        """End every session early, as an administrator can: the tokens stop working before
        their expiry, and the cache files cannot tell."""
        with self._hub.lock:
            self._aws.revoke_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        with self._hub.lock:
            self._aws.revoke_refresh_tokens()

    def end_sessions(self) -> None:
        """Invalidate every access and refresh token, as the end of a portal session does."""
        with self._hub.lock:
            self._aws.end_sessions()

    def expire_credentials(self) -> None:
        with self._hub.lock:
            self._aws.expire_credentials()

    def approve_device(self, user_code: str, user: str | None = None) -> bool:
        """A person approves the device code showing `user_code`, as `user` (None: the
        configured user); with `manual_device_approval`, codes wait for this."""
        with self._hub.lock:
            return self._aws.approve_device(user_code, user)

    # --- GitHub ---------------------------------------------------------------------------

    def app_private_key_pem(self) -> str:
        """The GitHub App's private key (made on first use); the sandbox checks JWTs with it."""
        with self._hub.lock:
            return self._github.app.ensure_key()

    @property
    def minted_installation_tokens(self) -> list[tuple[int, dict[str, str]]]:
        """(installation id, permissions) of every installation token minted, in order."""
        with self._hub.lock:
            return [(t.installation_id, dict(t.permissions)) for t in self._github.app.minted]

    @property
    def installation_tokens(self) -> list[str]:
        with self._hub.lock:
            return list(self._github.app.tokens)

    def expire_installation_tokens(self) -> None:
        with self._hub.lock:
            for token in self._github.app.tokens.values():
                token.expires_at = 0.0

    def create_repo(self, full_name: str, environments: Sequence[str] = ()) -> None:
        """A repository created while running, as someone creates one on GitHub: listed by
        its owner (and the App's installation there) from now on."""
        with self._hub.lock:
            self._github.add_repo(full_name, list(environments))

    def secrets(self, scope: str) -> dict[str, StoredSecret]:
        """Decrypted secrets of a scope such as ``repos/octo-org/app/actions``."""
        with self._hub.lock:
            return self._github.secrets(scope)

    def variables(self, scope: str) -> dict[str, str]:
        with self._hub.lock:
            return self._github.variables(scope)

    def issues(self, full_name: str) -> list[Any]:
        """A repository's issues (sandbox/github.py `Issue`), oldest first."""
        with self._hub.lock:
            return self._github.issues(full_name)
