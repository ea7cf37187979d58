"""Helpers for the sign-in tests: a "browser" that really follows the sign-in redirects over
HTTP, and the real clients a sign-in needs, built the way the CLI builds them."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from sso_sync import clients
from sso_sync.aws.profiles import AwsPaths, SsoProfile, load_profile
from sso_sync.aws.token_cache import TokenCache


@dataclass
class FollowingBrowser:
    """Stands in for the user's browser: GETs the page it is asked to open and follows the
    redirect IAM Identity Center answers with, to our callback server. `tamper`, if given,
    rewrites the redirect target before it is followed (to play an attacker or a stale tab)."""

    tamper: Any = None
    opened: list[str] = field(default_factory=list)
    final_url: str = ""
    status: int = 0
    body: str = ""

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        if self.tamper is None:
            self._get(url, follow=True)
        else:
            location = self._get(url, follow=False)
            self._get(self.tamper(location), follow=True)
        return True

    def _get(self, url: str, *, follow: bool) -> str:
        handlers = [] if follow else [_NoRedirect()]
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(url, timeout=10) as response:
                self.final_url, self.status = response.geturl(), response.status
                self.body = response.read().decode()
                return ""
        except urllib.error.HTTPError as exc:
            self.final_url, self.status = exc.geturl(), exc.code
            self.body = exc.read().decode(errors="replace")
            return exc.headers.get("Location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Core:
    session: Any
    profile: SsoProfile
    cache: TokenCache
    oidc: Any
    paths: AwsPaths


def core(profile: str = "ci") -> Core:
    paths = AwsPaths.from_environ(os.environ)
    session = clients.aws_session(paths, profile)
    loaded = load_profile(session, profile, paths.config_file)
    return Core(
        session=session,
        profile=loaded,
        cache=TokenCache(paths.sso_cache),
        oidc=clients.oidc_client(session, loaded.sso_region),
        paths=paths,
    )
