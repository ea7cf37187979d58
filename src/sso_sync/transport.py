"""Where a token may travel: https anywhere, plain http only to this machine's loopback.

Every endpoint that receives a credential (the GitHub API, IAM Identity Center's `sso` and
`sso-oidc`, STS) is checked here before the first request, whichever setting named it
(`--api-url`, `GITHUB_API_URL`, `AWS_ENDPOINT_URL*`, a profile's `endpoint_url`, `[services]`).
Loopback means 127.0.0.0/8, ::1 and the name `localhost`, as browsers and `gh` treat them: traffic
to those never leaves the machine, which is what the sandbox, the tests and the demo use.

For the same reason a request to loopback never goes through a proxy the environment names
(HTTP_PROXY, HTTPS_PROXY), as Go's `httpproxy` decides for `gh`: a proxy on another host would
otherwise receive a token that was allowed in clear only because it never leaves the machine.
Any other host honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY as requests and botocore read them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from sso_sync.errors import UsageError


def is_loopback_host(host: str | None) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1 (brackets allowed); never for a name that only
    resolves to loopback today, since DNS answers can change."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def direct_to_loopback(session: Any) -> None:
    """Make every client `session` creates, botocore's own token refresher's included, connect
    to a loopback endpoint directly rather than through the environment's proxy.

    botocore takes the proxies from the environment (`EndpointCreator._get_proxies`) only when
    the client's Config has none, and resolves the endpoint URL (from AWS_ENDPOINT_URL*, the
    profile, `[services]` or its rules) only inside `create_client`. So the client is made as
    asked; only when its endpoint is loopback and the environment names a proxy for it is it
    made again with `Config(proxies={})`, the same settings otherwise. Its first version has
    sent nothing yet: botocore connects at the first request."""
    create = session.create_client

    def create_client(*args: Any, **kwargs: Any) -> Any:
        client = create(*args, **kwargs)
        config = kwargs.get("config")
        if (config is None or config.proxies is None) and _proxied_to_loopback(client):
            from botocore.config import Config

            direct = Config(proxies={})
            kwargs["config"] = direct if config is None else config.merge(direct)
            client = create(*args, **kwargs)
        return client

    session.create_client = create_client


def _proxied_to_loopback(client: Any) -> bool:
    from botocore.utils import get_environ_proxies

    url = client.meta.endpoint_url
    # botocore's own choice, with its own function: {} when NO_PROXY exempts the host.
    return is_loopback_host(urlsplit(url).hostname) and bool(get_environ_proxies(url))


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of `url` for messages: never the user-info, path or query, which
    may carry a token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


# A host as every parser reads it alike: a DNS name or IPv4 address of ASCII letters, digits, dots
# and hyphens, or a bracketed IPv6 address; then an optional port.
_PLAIN_AUTHORITY = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def ambiguity(url: str) -> str | None:
    """Why two URL parsers could read `url` as two hosts, or None when they cannot.

    `urlsplit` and urllib3 disagree on a backslash (urllib3, like browsers, ends the host at
    it), on user-info before an `@`, and on control characters and whitespace (some strip them,
    some stop there); non-ASCII and percent-encoded hosts are normalised differently (U+3002
    is a dot to IDNA). The check that allows plain http to loopback reads the host with one
    parser and the request is sent by another, so only a URL both must read alike passes.
    """
    if "\\" in url:
        return "a backslash"
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return "a control character or whitespace"
    if not url.isascii():
        return "a non-ASCII character"
    _scheme, sep, rest = url.partition("://")
    if not sep:
        return None  # no host at all: the scheme check says what is wrong
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        return "a user name or password (user-info before '@')"
    if not _PLAIN_AUTHORITY.fullmatch(authority):
        return "a host that is not a plain name or address"
    return None


def require_safe_transport(url: str, *, what: str, setting: str) -> None:
    """Refuse `url` (UsageError, exit 2) when it would carry a token in clear over a network,
    or when its host could be read two ways (then the check below would check another host
    than the one the request goes to).

    `what` names the receiver ("the GitHub API"), `setting` where the URL came from, so the
    message can say what to change. The URL is not echoed: its user-info may be a token.
    """
    problem = ambiguity(url)
    if problem is not None:
        raise UsageError(
            f"{setting} points {what} at a URL holding {problem}, which URL parsers read as "
            "different hosts: give a plain https://HOST[:PORT]/PATH"
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "https":
        return
    if scheme == "http" and is_loopback_host(parts.hostname):
        return
    if scheme == "http":
        raise UsageError(
            f"{setting} points {what} at {url_origin(url)} over plain http://, which would send "
            "a token in clear to a host that is not this machine: use https:// (plain http is "
            "allowed only to 127.0.0.1, ::1 or localhost)"
        )
    raise UsageError(f"{setting} points {what} at a {scheme or 'scheme-less'} URL: use https://")


# Every answer we parse (a page of secrets, a token, role credentials) is a few KiB; a peer
# that sends more is broken or hostile, and reading it whole would cost that much memory.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class ResponseTooLarge(UsageError):
    """A peer's answer went past MAX_RESPONSE_BYTES; exit 1 like any failed request."""

    exit_code = 1


def _too_large(origin: str) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"the answer from {origin} was over {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB, far more "
        "than any real answer: check the endpoint setting points at the real service"
    )


def read_capped_body(chunks: Iterable[bytes], origin: str, close: Callable[[], object]) -> bytes:
    """Join a response body's chunks, giving up (and closing the connection) past the cap."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            close()
            raise _too_large(origin)
        parts.append(chunk)
    return b"".join(parts)


def cap_requests_response(response: Any, **kwargs: Any) -> Any:
    """A `requests` response hook (hooks run before `requests` reads the body): read it here,
    at most MAX_RESPONSE_BYTES, so `.content`/`.text` later use what was read."""
    origin = url_origin(str(response.url))
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
        response.close()
        raise _too_large(origin)
    response._content = read_capped_body(  # private: requests' own cache of the body
        response.iter_content(65536), origin, response.close
    )
    return response


def cap_botocore_client(client: Any) -> None:
    """Make a botocore client read each answer itself, at most MAX_RESPONSE_BYTES.

    botocore reads a body whole unless the request asks to stream it; so every request is
    marked streaming for its HTTP session, and the body read here, in chunks, under the cap.
    """
    from botocore.exceptions import ReadTimeoutError
    from urllib3.exceptions import HTTPError

    http_session = client._endpoint.http_session  # private: no public hook reaches it
    send = http_session.send

    def capped_send(request: Any) -> Any:
        wanted_stream = request.stream_output
        request.stream_output = True
        response = send(request)
        request.stream_output = wanted_stream
        if not wanted_stream:
            origin = url_origin(str(request.url))
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
                response.raw.close()
                raise _too_large(origin)
            try:
                response._content = read_capped_body(  # private: AWSResponse's cache
                    response.raw.stream(65536), origin, response.raw.close
                )
            except (HTTPError, OSError) as exc:
                # As botocore reports a read that fails inside its own send, so that its
                # retries and our one-line network errors treat it the same way.
                raise ReadTimeoutError(endpoint_url=request.url, error=exc) from None
        return response

    http_session.send = capped_send
