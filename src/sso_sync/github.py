"""Talking to the GitHub REST API: the token, the requests (with retries), and sealing values."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlparse

from sso_sync.errors import GitHubAuthMissing, GitHubError
from sso_sync.retry import RetryPolicy, backoff, is_rate_limited, server_delay, should_retry

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
GH_AUTH_TOKEN_TIMEOUT = 10
# What GitHub's REST docs tell every client to send. PyGithub on its own sends `Accept: */*` and
# no version, which GitHub answers with its default; naming both keeps the answers we parse to the
# version GitHub's OpenAPI description (our contract tests) describes.
REQUEST_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class Requester(Protocol):
    """The slice of PyGithub's `Requester` we use."""

    def requestJson(
        self,
        verb: str,
        url: str,
        parameters: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        input: Any | None = None,
    ) -> tuple[int, dict[str, Any], str]: ...


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any

    @property
    def message(self) -> str:
        if isinstance(self.data, dict):
            return str(self.data.get("message", ""))
        return ""


@dataclass
class RequestLog:
    """What was sent, for `--debug` and the tests: method and path, never a body."""

    entries: list[tuple[str, str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.entries.append((method, path, status))


class GitHubApi:
    """JSON requests over PyGithub's requester, retried within an overall deadline."""

    def __init__(
        self,
        requester: Requester,
        *,
        policy: RetryPolicy | None = None,
        deadline: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._requester = requester
        self._policy = policy or RetryPolicy()
        self._deadline = deadline
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self.log = RequestLog()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        """One logical request; returns the final response, raising only if none came back."""
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import Timeout

        attempt = 0
        while True:
            try:
                # A fresh dict each time: PyGithub adds the Authorization header to it.
                status, headers, text = self._requester.requestJson(
                    method, path, headers=dict(REQUEST_HEADERS), input=body
                )
            except (RequestsConnectionError, Timeout, ConnectionError) as exc:
                self.log.add(method, path, 0)
                wait = backoff(attempt, self._policy)
                if not self._may_wait(attempt, wait):
                    raise GitHubError(
                        f"cannot reach GitHub ({type(exc).__name__}) for {method} {path}: "
                        f"check --api-url/GITHUB_API_URL and the network"
                    ) from None
            else:
                self.log.add(method, path, status)
                response = Response(status, headers, _parse(text))
                if not should_retry(status, headers, response.message):
                    return response
                asked = server_delay(headers, self._wall_clock())
                wait = backoff(attempt, self._policy) if asked is None else asked
                if not self._may_wait(attempt, wait):
                    return response
                log.info(
                    "GitHub answered %s to %s %s; retrying in %.1f s", status, method, path, wait
                )
            self._sleep(wait)
            attempt += 1

    def _may_wait(self, attempt: int, wait: float) -> bool:
        if attempt + 1 >= self._policy.attempts:
            return False
        return self._deadline is None or self._clock() + wait <= self._deadline


def _parse(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def raise_for_status(response: Response, what: str) -> None:
    """Turn an error response into a GitHubError whose message says what to do."""
    status = response.status
    if status < 400:
        return
    message = response.message
    if status == 401:
        hint = "the GitHub token is invalid or expired: set a valid GH_TOKEN (or `gh auth login`)"
    elif is_rate_limited(status, response.headers, message):
        hint = "GitHub rate limit still in force after retries: wait a few minutes and re-run"
    elif status == 403:
        needed = response.headers.get("x-accepted-github-permissions")
        hint = "the token lacks permission" + (f" (needs {needed})" if needed else "")
        hint += ": use a token with Secrets read/write on the target"
    elif status == 404:
        hint = "not found, or the token cannot see it: check the name and the token's access"
    elif status == 422:
        hint = f"GitHub rejected the request: {message or 'validation failed'}"
    else:
        hint = f"GitHub answered {status}" + (f": {message}" if message else "")
    raise GitHubError(f"{what}: {hint}", status=status)


def seal(public_key_b64: str, value: str) -> str:
    """Encrypt `value` to a libsodium sealed box for `public_key_b64`, as GitHub expects."""
    from nacl.encoding import Base64Encoder
    from nacl.public import PublicKey, SealedBox

    box = SealedBox(PublicKey(public_key_b64.encode("ascii"), encoder=Base64Encoder))
    return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")


def resolve_api_url(option: str | None, environ: Mapping[str, str]) -> str:
    return (option or environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def resolve_token(
    environ: Mapping[str, str],
    api_url: str,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> str:
    """GH_TOKEN, then GITHUB_TOKEN, then `gh auth token`: the order `gh` itself uses."""
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        value = environ.get(name, "").strip()
        if value:
            return value
    gh = shutil.which("gh", path=environ.get("PATH"))
    if gh:
        argv = [gh, "auth", "token"]
        host = urlparse(api_url).hostname or ""
        if host and host != "api.github.com":
            argv += ["--hostname", host]
        try:
            result = run(argv, capture_output=True, text=True, timeout=GH_AUTH_TOKEN_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            result = None
        if result is not None and result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    raise GitHubAuthMissing(
        "no GitHub token: set GH_TOKEN or GITHUB_TOKEN, or sign in with `gh auth login`"
    )
