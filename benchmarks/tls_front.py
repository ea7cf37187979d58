"""A TLS front for the sandbox's GitHub server, shaped like GitHub Enterprise Server.

`gh` only speaks HTTPS and, for a host other than github.com, sends REST calls to
`https://HOST/api/v3/...`. This front terminates TLS with a throwaway self-signed certificate for
127.0.0.1, strips `/api/v3` and forwards each request over a keep-alive HTTP connection to the
sandbox, which therefore counts and delays (injected latency) every request as usual.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

API_PREFIX = "/api/v3"
# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are not forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def write_self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for IP 127.0.0.1 and its key; returns (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        # Go (gh) ignores the common name and checks the subject alternative name only.
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class _FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    upstream: tuple[str, int]


class _FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    disable_nagle_algorithm = True  # headers and body go in two writes: see harness.py

    def setup(self) -> None:
        super().setup()
        self._upstream: http.client.HTTPConnection | None = None

    def finish(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError):
            super().handle_one_request()

    def do_GET(self) -> None:
        self._forward()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _forward(self) -> None:
        server: _FrontServer = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        path = self.path
        if path.startswith(API_PREFIX):
            path = path[len(API_PREFIX) :] or "/"
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if self._upstream is None:
            self._upstream = http.client.HTTPConnection(*server.upstream, timeout=60)
        self._upstream.request(self.command, path, body=body, headers=headers)
        response = self._upstream.getresponse()
        data = response.read()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class TlsFront:
    """`https://127.0.0.1:PORT/api/v3/...` -> the sandbox's GitHub server at `upstream_url`."""

    def __init__(self, upstream_url: str, directory: Path) -> None:
        split = urlsplit(upstream_url)
        self.cert_file, key_file = write_self_signed(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, key_file)
        self._server = _FrontServer(("127.0.0.1", 0), _FrontHandler, bind_and_activate=True)
        self._server.upstream = (split.hostname or "127.0.0.1", split.port or 80)
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def host(self) -> str:
        """What `GH_HOST` must be: `127.0.0.1:PORT`."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> TlsFront:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
