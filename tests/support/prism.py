"""Prism in proxy mode in front of the sandbox's GitHub: the contract test harness.

Prism (npm `@stoplight/prism-cli`) serves GitHub's official OpenAPI description (npm
`@octokit/openapi`). In proxy mode with `--errors` it checks every request against the
description: one that breaks it gets a 422 problem+json with a `validation` list and never reaches
the sandbox; a sandbox response that breaks it becomes a 500 `VIOLATIONS`. So a request that
passes through Prism is one GitHub documents, and a sandbox answer that passes is one GitHub could
give.

Prism takes 5-7 s and ~350 MB to load the 13 MB description, so it is started once per test
session (the `prism` fixture below, registered for the whole suite by `pytest_plugins` in
conftest.py) in front of one session-wide sandbox; with parallel workers, the contract tests all
run on one worker (tests/support/parallel.py), so there is still one Prism. Clients talk to a
small tap in front of Prism that keeps what Prism answered, so a failure can quote Prism's
validation messages.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sso_sync.sandbox import Sandbox, SandboxConfig

if TYPE_CHECKING:
    from sso_sync.github.rest import GitHubApi, Response

TESTS = Path(__file__).resolve().parents[1]
NODE_MODULES = TESTS / "node_modules"
SPEC = NODE_MODULES / "@octokit" / "openapi" / "generated" / "api.github.com.json"
PRISM_BIN = NODE_MODULES / ".bin" / "prism"
GITHUB_DOT_COM = "https://api.github.com"
# Loading GitHub's description takes 5-7 s on a quiet machine; a busy 2-core CI runner is slower.
STARTUP_TIMEOUT = 90.0
# Prism's own problem types (`https://stoplight.io/prism/errors#TYPE`).
PRISM_PROBLEM = "stoplight.io/prism/errors#"


# --- the description, patched ---------------------------------------------------------------


def _is_curve25519_key(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) == 32
    except ValueError:
        return False


def _replace_bad_keys(node: Any, good_key: str) -> int:
    """Swap every example public key (an object with `key_id` and `key`) that is not a 32-byte
    Curve25519 key for `good_key`; the description's `2Sg8iYjA...1234` decodes to 33 bytes, so
    a client that seals to the mocked key would fail for a reason GitHub never gives."""
    replaced = 0
    if isinstance(node, dict):
        key = node.get("key")
        if "key_id" in node and isinstance(key, str) and not _is_curve25519_key(key):
            node["key"] = good_key
            replaced += 1
        for value in node.values():
            replaced += _replace_bad_keys(value, good_key)
    elif isinstance(node, list):
        for value in node:
            replaced += _replace_bad_keys(value, good_key)
    return replaced


def write_patched_spec(dest: Path, base_url: str) -> Path:
    """Copy GitHub's description to `dest`, patched for a loopback GitHub at `base_url`.

    Every `https://api.github.com` becomes `base_url` (the examples' `url` fields, and `servers`):
    PyGithub refuses objects whose URLs point at another host than the one it talks to.
    """
    from nacl.public import PrivateKey

    text = SPEC.read_text(encoding="utf-8").replace(GITHUB_DOT_COM, base_url.rstrip("/"))
    spec = json.loads(text)
    good_key = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode("ascii")
    if _replace_bad_keys(spec, good_key) == 0:
        # The description changed shape: say so rather than test against an unpatched copy.
        raise RuntimeError(f"no example public key found to patch in {SPEC}")
    dest.write_text(json.dumps(spec), encoding="utf-8")
    return dest


# --- a tap in front of Prism: what each request got back -------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request as it went through Prism. `problem` is Prism's own problem+json, if Prism
    answered instead of (or on top of) the sandbox."""

    method: str
    path: str  # with the query string
    status: int
    request_headers: dict[str, str]  # lower-case names, Authorization left out
    problem: dict[str, Any] | None

    def describe(self) -> str:
        text = f"{self.method} {self.path} -> {self.status}"
        if self.problem is not None:
            text += f" {self.problem.get('title', '')} ({self.problem.get('type', '')})"
            for item in self.problem.get("validation", []):
                where = ".".join(str(p) for p in item.get("location", []))
                text += f"\n    {item.get('severity', '')} {where}: {item.get('message', '')}"
        return text


_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection"}
)


class _Tap(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _TapHandler)
        self.upstream_port = upstream_port
        self.exchanges: list[Exchange] = []
        self.lock = threading.Lock()


class _TapHandler(BaseHTTPRequestHandler):
    """Relays a request to Prism verbatim and records Prism's answer.

    Prism logs a rejected request's validation messages nowhere but in its response, which the
    CLI turns into a one-line error; the tap keeps them for the assertion text."""

    server: _Tap
    protocol_version = "HTTP/1.1"

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            response_headers = response.getheaders()
        finally:
            upstream.close()
        problem = None
        content_type = response.getheader("Content-Type") or ""
        if content_type.startswith("application/problem+json"):
            with contextlib.suppress(ValueError):
                parsed = json.loads(data)
                if PRISM_PROBLEM in str(parsed.get("type", "")):
                    problem = parsed
        exchange = Exchange(
            method=self.command,
            path=self.path,
            status=response.status,
            request_headers={
                k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"
            },
            problem=problem,
        )
        with self.server.lock:
            self.server.exchanges.append(exchange)
        self.send_response(response.status)
        for name, value in response_headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _relay

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the exchanges are the log


# --- the Prism process ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_peers() -> str | None:
    """Why Prism cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    for path in (PRISM_BIN, SPEC):
        if not path.exists():
            return f"{path.relative_to(TESTS.parent)} is missing"
    return None


@dataclass
class Prism:
    """A running `prism proxy`, the tap clients talk to, and the sandbox behind them."""

    url: str  # the tap's: point GITHUB_API_URL here
    prism_url: str
    sandbox: Sandbox
    log_path: Path
    version: str
    spec_version: str
    startup_seconds: float
    _tap: _Tap = field(repr=False)

    @property
    def exchanges(self) -> list[Exchange]:
        with self._tap.lock:
            return list(self._tap.exchanges)

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)


def _package_version(*parts: str) -> str:
    package = NODE_MODULES.joinpath(*parts, "package.json")
    return str(json.loads(package.read_text())["version"])


def _wait_until_listening(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    """Prism opens its port only after loading the description: any HTTP answer means ready."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"prism exited with {process.returncode} while starting; its log "
                f"({log_path}):\n{_tail(log_path)}"
            )
        try:
            # A path the description does not have: Prism answers 404 without calling upstream.
            with urllib.request.urlopen(f"{url}/__sso_sync_readiness__", timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(
        f"prism did not listen within {STARTUP_TIMEOUT:.0f} s; its log ({log_path}):\n"
        f"{_tail(log_path)}"
    )


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running_prism(workdir: Path, sandbox: Sandbox) -> Iterator[Prism]:
    """`prism proxy` in front of `sandbox`'s GitHub, and a tap in front of Prism."""
    port = _free_port()
    prism_url = f"http://127.0.0.1:{port}"
    tap = _Tap(port)
    tap_url = f"http://127.0.0.1:{tap.server_address[1]}"
    tap_thread = threading.Thread(target=tap.serve_forever, name="prism-tap", daemon=True)
    started = time.monotonic()
    spec = write_patched_spec(workdir / "api.github.com.patched.json", tap_url)
    log_path = workdir / "prism.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                str(PRISM_BIN),
                "proxy",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "--errors",
                # info, not debug: at debug Prism logs request headers, the token among them.
                "-v",
                "info",
                str(spec),
                sandbox.github_url,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"},
        )
    try:
        _wait_until_listening(process, prism_url, log_path)
        tap_thread.start()
        yield Prism(
            url=tap_url,
            prism_url=prism_url,
            sandbox=sandbox,
            log_path=log_path,
            version=_package_version("@stoplight", "prism-cli"),
            spec_version=_package_version("@octokit", "openapi"),
            startup_seconds=time.monotonic() - started,
            _tap=tap,
        )
    finally:
        if tap_thread.is_alive():
            tap.shutdown()
        tap.server_close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class _EarlyPrism:
    """Prism started in the background as soon as tests that need it are collected, so the
    seconds it spends loading GitHub's description overlap the tests that run before them."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="sso-sync-prism-"))
        self.sandbox = Sandbox(SandboxConfig(device_interval=0)).start()
        self._context = running_prism(self.workdir, self.sandbox)
        self._server: Prism | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._enter, name="prism-start", daemon=True)
        self._thread.start()

    def _enter(self) -> None:
        try:
            self._server = self._context.__enter__()
        except BaseException as exc:  # handed to the first test that needs Prism
            self._error = exc

    def wait(self) -> Prism:
        self._thread.join(timeout=STARTUP_TIMEOUT + 30)
        if self._error is not None:
            raise self._error
        assert self._server is not None, "prism did not start in time"
        return self._server

    def close(self) -> None:
        self._thread.join(timeout=STARTUP_TIMEOUT + 30)
        if self._server is not None:
            self._context.__exit__(None, None, None)
        self.sandbox.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


_EARLY = pytest.StashKey[_EarlyPrism]()


def pytest_collection_finish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):
        # An xdist worker collects every test but runs only its share; the contract tests all
        # go to one worker (tests/support/parallel.py), which starts Prism when its
        # first contract test asks: one Prism per run, not one per worker.
        return
    needs_prism = any("prism" in getattr(item, "fixturenames", ()) for item in session.items)
    if needs_prism and missing_peers() is None:
        session.config.stash[_EARLY] = _EarlyPrism()


def pytest_unconfigure(config: pytest.Config) -> None:
    early = config.stash.get(_EARLY, None)
    if early is not None:
        early.close()


@pytest.fixture(scope="session")
def contract_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    early = request.config.stash.get(_EARLY, None)
    if early is not None:
        yield early.sandbox
        return
    with Sandbox(SandboxConfig(device_interval=0)) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def prism(
    contract_sandbox: Sandbox,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Prism]:
    # Session fixtures are set up before the autouse per-test environment scrub, so CI is
    # still visible here.
    reason = missing_peers()
    if reason is not None:
        message = f"contract tests need the npm peers ({reason}): run `npm ci --prefix tests`"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is a failure, not a skip)")
        pytest.skip(message)
    early = request.config.stash.get(_EARLY, None)
    if early is not None:
        yield early.wait()
        return
    with running_prism(tmp_path_factory.mktemp("prism"), contract_sandbox) as server:
        yield server


# --- the contract check -----------------------------------------------------------------------


class Contract:
    """Requests of one test through Prism, and the checks every contract test makes.

    `assert_passed` fails the test if Prism answered any request itself (a 422 with Prism's
    validation messages, a 500 for a sandbox answer GitHub could not give, a 404 for a path GitHub
    does not have), or if a request did not reach the sandbox."""

    def __init__(self, prism: Prism, token: str) -> None:
        self.prism = prism
        self.sandbox = prism.sandbox
        self.token = token
        self.begin()

    def begin(self) -> None:
        """Check only what is sent from now on (not a test's setup)."""
        self._mark = len(self.prism.exchanges)
        self._sandbox_mark = len(self.sandbox.requests)

    def api(self) -> GitHubApi:
        """Our GitHub client, pointed at Prism, with one attempt: a Prism 500 is not retried."""
        from sso_sync import clients
        from sso_sync.github.rest import GitHubApi
        from sso_sync.github.retry import RetryPolicy

        requester = clients.github_requester(self.token, self.prism.url)
        return GitHubApi(requester, policy=RetryPolicy(attempts=1))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Response:
        """One request through Prism, checked: Prism passed it and the sandbox answered it."""
        mark = len(self.prism.exchanges)
        sandbox_mark = len(self.sandbox.requests)
        response = self.api().request(method, path, body)
        self.assert_passed(mark, sandbox_mark)
        return response

    def exchanges(self, since: int | None = None) -> list[Exchange]:
        return self.prism.exchanges[self._mark if since is None else since :]

    def assert_passed(self, since: int | None = None, sandbox_since: int | None = None) -> None:
        exchanges = self.exchanges(since)
        assert exchanges, "no request went through Prism: is GITHUB_API_URL pointing at it?"
        rejected = [e for e in exchanges if e.problem is not None]
        if rejected:
            pytest.fail(
                "Prism answered these itself: they, or the sandbox's answers, break GitHub's "
                "OpenAPI description:\n"
                + "\n".join(e.describe() for e in rejected)
                + f"\n(Prism's log: {self.prism.log_path})",
                pytrace=False,
            )
        start = self._sandbox_mark if sandbox_since is None else sandbox_since
        reached = [
            (r.method, r.path) for r in self.sandbox.requests[start:] if r.service == "github"
        ]
        sent = [(e.method, e.path.partition("?")[0]) for e in exchanges]
        # Compared as multisets: concurrent pushes interleave their requests.
        assert sorted(reached) == sorted(sent), (
            f"requests through Prism {sent} are not the requests the sandbox saw {reached}; "
            f"the end of Prism's log:\n{self.prism.log_tail()}"
        )
