"""Hostile HTTP peers on 127.0.0.1, for deadline and malformed-answer tests.

Each is a plain socket server (no HTTP library: it must be able to misbehave below HTTP) run in
daemon threads. Point a client at `peer.url` (GITHUB_API_URL, AWS_ENDPOINT_URL_SSO, ...).

- `stall`: accepts, reads the request, never answers.
- `drip`: answers one byte every `interval` seconds, for ever (a header that never ends), so
  no per-read timeout ever fires.
- `redirect`: answers `status` (302 by default) with a Location on another host.
- `html`: answers 200 with an HTML page (a proxy's login page).
- `json`: answers 200 with a given JSON body (`{}` by default).

`python -m tests.support.hostile KIND [PORT]` runs one in the foreground, for measuring the
real CLI by hand (benchmarks/adhoc/hostile_peers.py does that for every kind).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

KINDS = ("stall", "drip", "redirect", "html", "json")


def _read_request(conn: socket.socket) -> bytes:
    """The request head and as much body as Content-Length says (best effort)."""
    data = b""
    conn.settimeout(10)
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip() or 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
    except (OSError, ValueError):
        pass
    return data


def _answer(status: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class HostilePeer:
    """One misbehaving server; a context manager. `requests` counts the requests it got."""

    def __init__(
        self,
        kind: str,
        *,
        interval: float = 1.0,
        status: int = 302,
        body: Any = None,
        port: int = 0,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        self.kind = kind
        self.interval = interval
        self.status = status
        self.body = {} if body is None else body
        self.requests = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"hostile-{kind}")

    def __enter__(self) -> HostilePeer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        handler: Callable[[socket.socket], None] = getattr(self, f"_{self.kind}")
        try:
            if _read_request(conn):
                with self._lock:
                    self.requests += 1
                handler(conn)
        except OSError:
            pass

    def _stall(self, conn: socket.socket) -> None:
        self._stop.wait()

    def _drip(self, conn: socket.socket) -> None:
        # A status line, then a header that never ends: every read gets a byte in time.
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        while not self._stop.wait(self.interval):
            conn.sendall(b"a")

    def _redirect(self, conn: socket.socket) -> None:
        reason = {301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect"}
        location = "https://login.proxy.invalid/sso?next=/"
        status = f"{self.status} {reason.get(self.status, 'Redirect')}"
        conn.sendall(_answer(status, {"Location": location}, b""))

    def _html(self, conn: socket.socket) -> None:
        page = b"<!doctype html><html><body><h1>Sign in to the proxy</h1></body></html>"
        conn.sendall(_answer("200 OK", {"Content-Type": "text/html"}, page))

    def _json(self, conn: socket.socket) -> None:
        text = json.dumps(self.body).encode()
        conn.sendall(_answer("200 OK", {"Content-Type": "application/json"}, text))


def main(argv: list[str]) -> None:
    kind = argv[0] if argv else "stall"
    port = int(argv[1]) if len(argv) > 1 else 0
    with HostilePeer(kind, port=port, interval=2.0) as peer:
        print(peer.url, flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
