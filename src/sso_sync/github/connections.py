"""PyGithub's connection classes as every GitHub client here uses them (clients.py's
`github_requester` injects them): answers capped in size, the environment's proxy and CA bundle
settings read once per connection rather than per request (a loopback host never through a
proxy), and ~/.netrc never read.

`requests` is imported inside the functions, as PyGithub is, so that `--help` never loads it.
"""

from __future__ import annotations

import functools
from typing import Any

from sso_sync.transport import cap_requests_response


@functools.cache
def connection_classes() -> tuple[type[Any], type[Any]]:
    """PyGithub's HTTP and HTTPS connection classes, reading at most MAX_RESPONSE_BYTES of an
    answer, their `requests` session reading the environment once (`_env_once_session`), never
    ~/.netrc. PyGithub offers no per-client hook for this, only `injectConnectionClasses`, which
    sets them for every requester made afterwards; in this process those are all ours."""
    from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

    session_class = _env_once_session()

    class OurSession:
        session: Any

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # PyGithub's session as it set it up (its adapter, its settings), in our class.
            # Among them its no-op `auth` (PyGithub 2.1 and later): without one, requests
            # reads ~/.netrc (or $NETRC) for every request, and an entry for the API host
            # would replace the Authorization header PyGithub set, the one credential we mean
            # to send (tests/github/test_requests_environment.py).
            session = session_class()
            session.__dict__.update(self.session.__dict__)
            session.hooks["response"].append(cap_requests_response)
            self.session = session

    class CappedHTTP(OurSession, HTTPRequestsConnectionClass):
        pass

    class CappedHTTPS(OurSession, HTTPSRequestsConnectionClass):
        pass

    return CappedHTTP, CappedHTTPS


def _env_once_session() -> type[Any]:
    """A `requests.Session` that reads the environment once per origin, not per request.

    requests' `merge_environment_settings` walks the whole of `os.environ` twice for each
    request (the proxies and NO_PROXY, through urllib's `getproxies_environment`) and reads
    REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE: about a fifth of a secret write's own CPU here, more
    with a CI runner's large environment. This process's environment does not change under a
    session, so requests' own answer for an origin and the same arguments is kept and reused:
    proxies and the CA bundle are honoured exactly as requests honours them, except that a
    loopback origin is never sent through a proxy (transport.py: `gh` decides alike)."""
    from urllib.parse import urlsplit

    import requests

    from sso_sync.transport import is_loopback_host

    class EnvOnceSession(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            self._settings: dict[tuple[Any, ...], dict[str, Any]] = {}

        def merge_environment_settings(
            self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
        ) -> dict[str, Any]:
            parts = urlsplit(url)
            key = (
                (parts.scheme, parts.netloc, stream, verify, cert, self.trust_env),
                (self.stream, self.verify, self.cert),
                tuple(sorted((proxies or {}).items())),
                tuple(sorted(self.proxies.items())),
            )
            try:
                settings = self._settings.get(key)
            except TypeError:  # an unhashable setting: requests' own answer, every time
                return self._decided(parts.hostname, url, proxies, stream, verify, cert)
            if settings is None:
                settings = self._decided(parts.hostname, url, proxies, stream, verify, cert)
                self._settings[key] = settings
            # A copy: the caller may change the proxies it is handed.
            return {**settings, "proxies": dict(settings["proxies"])}

        def _decided(self, host: str | None, *args: Any) -> dict[str, Any]:
            settings = super().merge_environment_settings(*args)
            if is_loopback_host(host):
                # Not even a proxy on loopback: the request may carry a token in clear,
                # allowed only because it never leaves this machine.
                settings["proxies"] = {}
            return settings

    return EnvOnceSession
