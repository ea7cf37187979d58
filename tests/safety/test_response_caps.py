"""A peer that answers with far more than any real answer: the body is read up to a cap (8 MiB)
and the command ends with one line, for GitHub (PyGithub over requests) and for IAM Identity
Center (botocore over urllib3)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tests.support.world import World

BODY_LIMIT = 64 * 1024 * 1024  # what the peer sends at most, so a missing cap still ends


def _serve(server: socket.socket, chunked: bool, sent: list[int]) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            try:
                conn.recv(65536)
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                head += (
                    "Transfer-Encoding: chunked\r\n"
                    if chunked
                    else f"Content-Length: {BODY_LIMIT}\r\n"
                )
                conn.sendall((head + "Connection: close\r\n\r\n").encode())
                block = b"[" + b" " * 65534 + b"\n"
                total = 0
                while total < BODY_LIMIT:
                    data = (b"%x\r\n" % len(block) + block + b"\r\n") if chunked else block
                    conn.sendall(data)
                    total += len(block)
                    sent.append(len(block))
            except OSError:
                pass


@pytest.fixture(params=[True, False], ids=["chunked", "content-length"])
def flood(request) -> Iterator[tuple[str, list[int]]]:
    server = socket.create_server(("127.0.0.1", 0))
    sent: list[int] = []
    thread = threading.Thread(target=_serve, args=(server, request.param, sent), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", sent
    server.close()


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from sso_sync.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def test_github_answer_over_the_cap_is_one_line(world: World, flood) -> None:
    url, sent = flood
    result = _cli("list", "--repo", "octo-org/app", GITHUB_API_URL=url)
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "over 8 MiB" in result.stderr
    assert sum(sent) < BODY_LIMIT  # the reader hung up early instead of taking it all


def test_sso_answer_over_the_cap_is_one_line(world: World, flood) -> None:
    world.seed_token()
    url, sent = flood
    result = _cli("push", "--repo", "octo-org/app", "--profile", "ci", AWS_ENDPOINT_URL_SSO=url)
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "over 8 MiB" in result.stderr
    assert sum(sent) < BODY_LIMIT  # the reader hung up early instead of taking it all
