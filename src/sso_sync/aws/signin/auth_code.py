"""Sign-in by the OAuth authorization-code flow with PKCE, as AWS CLI v2 >= 2.22 does it.

The browser is sent to `<sso-oidc endpoint>/authorize`; IAM Identity Center redirects it back to
a one-shot HTTP server on 127.0.0.1 with a code, which is exchanged (with the PKCE verifier and
the exact redirect URI) for a token. Details follow AWS CLI v2's `SSOTokenFetcherAuth` and
`AuthCodeFetcher`, except that the callback server listens on 127.0.0.1 only (the AWS CLI binds
every interface) and runs while the browser is being opened, so a browser command that waits
(say `BROWSER=w3m`) cannot deadlock the sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.signin.registration import obtain_registration
from sso_sync.aws.token_cache import TokenCache, store_token
from sso_sync.errors import AwsError, LoginRequired

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc import SSOOIDCClient

log = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/callback"
TIME_LIMIT_SECONDS = 600.0  # the AWS CLI's overall wait for the browser
VERIFIER_LENGTH = 64
_VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"  # RFC 7636 unreserved
_OAUTH_ERROR = re.compile(r"[a-z_]{1,64}")


@dataclass(frozen=True)
class Pkce:
    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = "".join(secrets.choice(_VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return cls(verifier=verifier, challenge=challenge)


@dataclass(frozen=True)
class CallbackAnswer:
    code: str | None = field(repr=False)
    state: str | None
    error: str | None


def authorize_url(
    endpoint: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    challenge: str,
    scopes: tuple[str, ...],
) -> str:
    """The AWS CLI's authorize URL: parameters in its order, `scopes` space-separated, and the
    challenge appended last (base64url, no padding)."""
    from botocore.utils import percent_encode_sequence

    query = percent_encode_sequence(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge_method": "S256",
            "scopes": " ".join(scopes),
        }
    )
    return f"{endpoint.rstrip('/')}/authorize?{query}&code_challenge={challenge}"


_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>sso-sync</title></head>"
    "<body style='font-family:sans-serif'><h1>{title}</h1><p>{text}</p></body></html>"
)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # The default prints a traceback to stderr (a browser hanging up mid-answer is enough),
        # which is both noise in the middle of a sign-in and a path for the request's data.
        log.debug("the sign-in callback failed to answer a request")


class CallbackServer:
    """A loopback HTTP server that waits for one OAuth redirect to `/oauth/callback`."""

    def __init__(self, expected_state: str) -> None:
        self._expected_state = expected_state
        self._answer: CallbackAnswer | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()  # handler threads race to deliver the one answer
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sso-sync-oauth-callback",
            daemon=True,
        )

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait(self, timeout: float) -> CallbackAnswer | None:
        """The first answer with this sign-in's state, or None after `timeout` seconds."""
        self._done.wait(max(timeout, 0.0))
        return self._answer

    def is_expected_state(self, state: str | None) -> bool:
        """Constant-time, so the state cannot be guessed a character at a time."""
        return state is not None and hmac.compare_digest(
            state.encode("utf-8"), self._expected_state.encode("utf-8")
        )

    def _record(self, answer: CallbackAnswer) -> bool:
        """Keep the first answer only (one-shot); True if this one was kept."""
        with self._lock:
            if self._done.is_set():
                return False
            self._answer = answer
            self._done.set()
            return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # an idle browser pre-connection must not hold a thread for ever

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != CALLBACK_PATH:
                    self._page(404, "Not found", "This address only receives the sign-in.")
                    return
                query = parse_qs(url.query)
                error = query.get("error", [None])[0]
                code = query.get("code", [None])[0]
                state = query.get("state", [None])[0]
                if not server.is_expected_state(state):
                    # Any local process can reach this port: only the redirect that carries
                    # this sign-in's state may end the wait; anything else is turned away.
                    self._page(400, "Not this sign-in", "This request was ignored.")
                    return
                if error is None and code is None:
                    self._page(400, "Sign-in incomplete", "The redirect carried no code.")
                    return
                if not server._record(CallbackAnswer(code=code, state=state, error=error)):
                    self._page(409, "Already answered", "Return to the terminal.")
                elif error is None:
                    self._page(
                        200, "Signed in", "You can close this tab and return to the terminal."
                    )
                else:
                    self._page(400, "Sign-in failed", "Return to the terminal for details.")

            def _page(self, status: int, title: str, text: str) -> None:
                body = _PAGE.format(title=title, text=text).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # The default logs the request line to stderr, and with it the code.
                pass

        return Handler


def auth_code_login(
    oidc: SSOOIDCClient,
    profile: SsoProfile,
    cache: TokenCache,
    *,
    open_browser: Callable[[str], object] | None,
    show_url: Callable[[str, bool], None],
    time_limit: float = TIME_LIMIT_SECONDS,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> datetime:
    """Sign in through the browser and cache the token; returns its expiry.

    `open_browser(url)` opens the page (None: only show it); `show_url(url, opened)` tells the
    user where to go. The whole sign-in gives up after `time_limit` seconds.
    """
    from botocore.exceptions import ClientError

    deadline = time.monotonic() + time_limit
    registration = obtain_registration(oidc, profile, cache, auth_code=True, now=now)
    pkce = Pkce.new()
    state = str(uuid.uuid4())
    with CallbackServer(state) as callback:
        url = authorize_url(
            oidc.meta.endpoint_url,
            client_id=registration.client_id,
            redirect_uri=callback.redirect_uri,
            state=state,
            challenge=pkce.challenge,
            scopes=profile.scopes,
        )
        opened = False
        if open_browser is not None:
            try:
                opened = bool(open_browser(url))
            except Exception as exc:  # a missing or broken browser: the URL is shown anyway
                log.debug("could not open a browser: %s", type(exc).__name__)
        show_url(url, opened)
        answer = callback.wait(deadline - time.monotonic())

    if answer is None:
        raise LoginRequired(
            f"no answer from the browser within {time_limit / 60:.0f} minutes: run "
            f"`{profile.login_hint}` again, or add --use-device-code to sign in on another device"
        )
    if answer.error is not None:
        reason = answer.error if _OAUTH_ERROR.fullmatch(answer.error) else "error"
        raise AwsError(
            f"the sign-in was not completed in the browser ({reason}): run "
            f"`{profile.login_hint}` again"
        )
    if answer.state != state or not answer.code:
        raise AwsError(
            "the browser's answer does not belong to this sign-in (state mismatch): "
            f"run `{profile.login_hint}` again"
        )
    try:
        token = oidc.create_token(
            grantType="authorization_code",
            clientId=registration.client_id,
            clientSecret=registration.client_secret,
            redirectUri=callback.redirect_uri,
            codeVerifier=pkce.verifier,
            code=answer.code,
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise AwsError(
            f"IAM Identity Center refused the sign-in code ({code}): run "
            f"`{profile.login_hint}` again"
        ) from None
    return store_token(cache, profile, registration, token, issued=now())
