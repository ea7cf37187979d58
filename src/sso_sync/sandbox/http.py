"""Shared HTTP plumbing: request/response values, fault injection, latency and the request log."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, urlsplit

from .config import RequestRecord


@dataclass
class Request:
    method: str
    path: str  # raw (still percent-encoded), without the query string
    query: dict[str, list[str]]
    raw_query: str
    headers: Message
    body: bytes

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> Any:
        if not self.body:
            return {}
        return json.loads(self.body)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status,
        json.dumps(payload).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )


class App(Protocol):
    """What a backend (AWS or GitHub) provides to the shared handler."""

    def classify(self, request: Request) -> tuple[str, str]:
        """Return (service, operation) so faults and the log can refer to them."""
        ...

    def handle(self, request: Request, service: str, operation: str) -> Response: ...

    def fault_response(
        self, service: str, status: int, headers: dict[str, str], body: dict[str, Any] | None
    ) -> Response: ...

    def finalize(self, response: Response) -> None:
        """Add headers every response carries (rate limits, request ids)."""
        ...


@dataclass
class Fault:
    service: str
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int  # -1: forever
    headers: dict[str, str]
    body: dict[str, Any] | None
    reset_connection: bool
    raw_body: bytes | None = None  # sent as is (HTML from a proxy), instead of `body`


ConnectionEnd = Literal["idle", "header", "unanswered"]


class Hub:
    """State shared by both servers. ``lock`` is the sandbox's single lock."""

    def __init__(self, latency: float) -> None:
        self.lock = threading.RLock()
        self.latency = latency
        self.records: list[RequestRecord] = []
        self.faults: list[Fault] = []
        # Requests being handled now, and the most there ever were at once, per service.
        self.in_flight: dict[str, int] = {}
        self.peak_in_flight: dict[str, int] = {}
        # Per service: how a keep-alive connection ends, after how many answers (Sandbox.
        # close_connections_after).
        self.connection_end: dict[str, tuple[ConnectionEnd, int]] = {}

    def enter(self, service: str) -> None:
        with self.lock:
            now = self.in_flight.get(service, 0) + 1
            self.in_flight[service] = now
            self.peak_in_flight[service] = max(now, self.peak_in_flight.get(service, 0))

    def leave(self, service: str) -> None:
        with self.lock:
            self.in_flight[service] -= 1

    def take_fault(self, service: str, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.service == service
                    and fault.method == method
                    and fault.pattern.search(path)
                ):
                    if fault.remaining > 0:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def record(self, record: RequestRecord) -> None:
        with self.lock:
            self.records.append(record)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive clients would otherwise make server_close() wait for them to hang up.
    block_on_close = False
    # socketserver's default listen backlog is 5: a push opening 8 connections at once on a busy
    # machine overflowed it, and the kernel's SYN retransmit then held a request for 1 s. GitHub
    # has no such limit, and the benchmarks timed that second instead of the push.
    request_queue_size = 128

    def __init__(
        self, port: int, app: App, hub: Hub, clock: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.clock = clock
        self.hub = hub
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.connections_accepted = 0  # TCP connections since start (or the last clear)
        super().__init__(("127.0.0.1", port), SandboxHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
            self.connections_accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-request is not worth a traceback on stderr

    def close_connections(self) -> None:
        """Wake idle keep-alive handler threads so they exit promptly."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sso-sync-sandbox"
    timeout = 60  # idle keep-alive connections are dropped after this
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK (~40 ms a response), which no real server makes its clients pay.
    disable_nagle_algorithm = True
    _date: str | None = None  # the answer's own `Date`, when its backend gave one
    _answered = 0  # answers sent on this connection
    # This answer is the connection's last and says so (Sandbox.close_connections_after).
    _close_header = False

    def setup(self) -> None:
        # Named for its server, so that a test can tell this sandbox's handlers from another's.
        server: SandboxServer = self.server  # type: ignore[assignment]
        threading.current_thread().name = handler_thread_name(server.server_address[1])
        super().setup()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the sandbox must stay quiet

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers end with an empty line.
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        started = time.monotonic()
        server: SandboxServer = self.server  # type: ignore[assignment]
        app, hub = server.app, server.hub
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path or "/",
            query=parse_qs(split.query, keep_blank_values=True),
            raw_query=split.query,
            headers=self.headers,
            body=self._read_body(),
        )
        with hub.lock:
            service, operation = app.classify(request)
            latency = hub.latency
            how, answers = hub.connection_end.get(service, ("idle", -1))
        if how == "unanswered" and 0 <= answers <= self._answered:
            self._record_dropped(hub, request, service, operation, started)
            return
        last = how != "unanswered" and 0 <= answers <= self._answered + 1
        self._close_header = last and how == "header"
        if last and how == "idle":
            self.close_connection = True  # after this answer, without a word
        region = _signed_region(request.headers.get("Authorization") or "")
        # Counted from arrival until the answer starts going out: that span lies inside the
        # client's own, so a cap the client keeps is never seen broken. (Counting through the
        # send would let the client's next request arrive before this one is let go.)
        hub.enter(service)
        try:
            fault = hub.take_fault(service, request.method, request.path)
            if latency > 0:
                time.sleep(latency)

            def log(status: int) -> None:
                hub.record(
                    RequestRecord(
                        service, request.method, request.path, status, operation, region, started
                    )
                )

            if fault is not None and fault.reset_connection:
                log(0)
                self._reset()
                return
            if fault is not None and fault.raw_body is not None:
                response = Response(fault.status, fault.raw_body, dict(fault.headers))
            elif fault is not None:
                response = app.fault_response(
                    service, fault.status, dict(fault.headers), fault.body
                )
            else:
                response = self._call(lambda: app.handle(request, service, operation), hub)
            with hub.lock:
                app.finalize(response)
            log(response.status)
        finally:
            hub.leave(service)
        self._send(response)

    @staticmethod
    def _call(handler: Callable[[], Response], hub: Hub) -> Response:
        try:
            with hub.lock:
                return handler()
        except Exception as exc:  # a sandbox bug must not hang the client
            return json_response(500, {"message": f"sandbox error: {exc!r}"})

    def date_time_string(self, timestamp: float | None = None) -> str:
        # A backend that keeps its own clock (GitHub's, moved by `github_clock_offset`) names
        # the answer's `Date` itself; `send_response` writes it here.
        # Otherwise the sandbox's own clock (`SandboxConfig.clock_offset`).
        server: SandboxServer = self.server  # type: ignore[assignment]
        return self._date or super().date_time_string(
            server.clock() if timestamp is None else timestamp
        )

    def _record_dropped(
        self, hub: Hub, request: Request, service: str, operation: str, started: float
    ) -> None:
        hub.record(RequestRecord(service, request.method, request.path, 0, operation, "", started))
        self.close_connection = True

    def _send(self, response: Response) -> None:
        self._answered += 1
        self._date = response.headers.get("Date")
        if self._close_header:  # http.server closes the connection after this answer
            response.headers.setdefault("Connection", "close")
        self.send_response(response.status)
        has_body = response.status not in (204, 304) and response.status >= 200
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "date"):
                self.send_header(name, value)
        if has_body:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if has_body and self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees a reset, not a clean EOF.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


def handler_thread_name(port: int) -> str:
    return f"sandbox-handler-{port}"


_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([^/,]+)/")


def _signed_region(authorization: str) -> str:
    """`us-east-1` from `AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/sts/aws4_request`."""
    match = _CREDENTIAL_SCOPE.search(authorization)
    return match[1] if match else ""


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
