"""A forwarding HTTP proxy on loopback, for tests of the proxy settings (HTTP_PROXY, NO_PROXY).

A client told to use a proxy for an http:// URL sends it the request in absolute form
(`PUT http://127.0.0.1:PORT/repos/... HTTP/1.1`); this one forwards each such request to that
origin, which must be loopback (nothing leaves the machine), and records what passed through.
A CONNECT (the tunnel a client asks for to reach an https:// URL) is recorded and refused with
502, as a proxy that cannot reach the host would: nothing leaves the machine either way.
Every request line and header the proxy received is kept too (`received()`), so a test can
show that no token reached it.
"""

from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sso_sync.transport import is_loopback_host
from tests.support.serving import serving

# Headers that belong to one connection, the client's to the proxy or the proxy's onwards.
_OWN_CONNECTION = frozenset(
    {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer"}
    | {"transfer-encoding", "upgrade", "content-length"}
)


@dataclass(frozen=True)
class Passed:
    """A request that went through the proxy: its method and its URL, as the client asked."""

    method: str
    url: str


class Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Forwarder)
        self.lock = threading.Lock()
        self._passed: list[Passed] = []
        self._received: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def passed(self) -> list[Passed]:
        """Every request the proxy was asked to forward or tunnel, CONNECTs included."""
        with self.lock:
            return list(self._passed)

    def received(self) -> str:
        """Every request line, header and body the proxy received, as text."""
        with self.lock:
            return "".join(self._received)

    def record(self, passed: Passed) -> None:
        with self.lock:
            self._passed.append(passed)

    def record_received(self, text: str) -> None:
        with self.lock:
            self._received.append(text)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client its deadline cut off ends its connection mid-request: expected here, and
        # socketserver's printout of it would land in the stderr of the command under test
        # (CliRunner captures sys.stderr), which the tests read.
        return


class _Forwarder(BaseHTTPRequestHandler):
    server: Proxy
    protocol_version = "HTTP/1.1"  # keeps the client's connection to the proxy open

    def _forward(self) -> None:
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.server.record_received(
            f"{self.requestline}\r\n{self.headers}{(body or b'').decode('latin-1')}"
        )
        if target.scheme != "http" or not is_loopback_host(target.hostname):
            self._answer(502, [], b"this proxy forwards to http://127.0.0.1 only")
            return
        self.server.record(Passed(self.command, self.path))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _OWN_CONNECTION}
        onward = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=60)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            onward.request(self.command, path or "/", body=body, headers=headers)
            response = onward.getresponse()
            data = response.read()
            self._answer(response.status, response.getheaders(), data)
        finally:
            onward.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _OWN_CONNECTION:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

    def do_CONNECT(self) -> None:
        self.server.record_received(f"{self.requestline}\r\n{self.headers}")
        self.server.record(Passed(self.command, self.path))
        self.close_connection = True  # no tunnel follows a refusal
        self._answer(502, [], b"this proxy opens no tunnels")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # `passed()` is the log


def without_proxy_settings(monkeypatch: Any) -> None:
    """Remove the developer's or the runner's own proxy settings (any case) for one test."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


@contextmanager
def forwarding_proxy() -> Iterator[Proxy]:
    """A proxy on 127.0.0.1 (its address: `proxy.url`), stopped when the block ends."""
    proxy = Proxy()
    with serving(proxy):
        yield proxy
