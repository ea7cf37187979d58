"""A loopback webhook receiver for notification tests: records every JSON body it is sent, and
can answer a status, a redirect, or nothing at all (a stalled hook)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.serving import serving


class Hook:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.status = 200
        self.location: str | None = None  # with a 3xx status: where it redirects
        self.stall = threading.Event()  # set: never answer
        self.on_post: Callable[[dict[str, Any]], None] = lambda _body: None
        self.url = ""

    def events(self) -> list[str]:
        return [b["event"] for b in self.bodies]


@contextmanager
def webhook(path: str = "/hooks/T000/B000/canary-webhook-path") -> Iterator[Hook]:
    """A receiver on 127.0.0.1; its URL (with a secret-looking path) is `hook.url`."""
    hook = Hook()
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:  # a followed redirect would arrive as a GET
            hook.raw.append(b"GET " + self.path.encode())
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook.raw.append(data)
            if hook.stall.is_set():
                release.wait(30)
                return
            body = json.loads(data)
            hook.bodies.append(body)
            hook.on_post(body)
            self.send_response(hook.status)
            if hook.location:
                self.send_header("Location", hook.location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hook.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    with serving(server):
        try:
            yield hook
        finally:
            release.set()  # a stalled POST's handler lets go before the server shuts down
