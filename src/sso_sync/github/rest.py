"""Talking to the GitHub REST API: the requests (paced, retried, within the deadline), their
answers, and sealing values. Which URL and token to use is `github.token_sources`' call."""

from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from sso_sync.deadline import Deadline
from sso_sync.errors import (
    Cancelled,
    DeadlineReached,
    GitHubError,
)
from sso_sync.github.pacing import LONG_WAIT, Pacer, request_points
from sso_sync.github.retry import RetryPolicy, backoff, is_rate_limited, server_delay, should_retry

if TYPE_CHECKING:
    from sso_sync.server_clock import ServerClock

log = logging.getLogger(__name__)

# What GitHub's REST docs tell every client to send. PyGithub on its own sends `Accept: */*` and
# no version, which GitHub answers with its default; naming both keeps the answers we parse to the
# version GitHub's OpenAPI description (our contract tests) describes.
REQUEST_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class Requester(Protocol):
    """The slice of PyGithub's `Requester` we use."""

    def requestJson(
        self,
        verb: str,
        url: str,
        parameters: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        input: Any | None = None,
    ) -> tuple[int, dict[str, Any], str]: ...


class Authorizer(Protocol):
    """Who a request is made as, per request: GitHub App auth (github/app_auth.py) uses the
    App's JWT for its own endpoints and an installation token per owner for the rest."""

    def header(self, path: str, owner: str | None) -> str:
        """The Authorization header for `path`; `owner` when the path does not name one."""
        ...


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any

    @property
    def message(self) -> str:
        if isinstance(self.data, dict):
            return str(self.data.get("message", ""))
        return ""

    @property
    def date(self) -> datetime | None:
        """When the server answered, by its own clock (the `Date` header), or None."""
        from email.utils import parsedate_to_datetime

        try:
            moment = parsedate_to_datetime(self.headers.get("date") or "")
        except (TypeError, ValueError):
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class RequestLog:
    """What was sent, for `--debug` and the tests: method and path, never a body."""

    entries: list[tuple[str, str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.entries.append((method, path, status))


class GitHubApi:
    """JSON requests over PyGithub's requester: paced, retried, within an overall deadline.

    Safe to call from many threads. PyGithub's `Requester` is not: its connection object keeps
    the verb, URL and body of a request in attributes between `request()` and `getresponse()`, so
    two threads sharing one would send each other's requests. Give a `requester_factory` and each
    request borrows an idle requester (and its open HTTP connection), or a new one when all are
    busy, and gives it back: one per request in flight, reused by the next pool of workers
    (the key fetches' threads, then the writes'), rather than one per thread, each with its own
    connection to open. A single `requester` is used by one thread at a time.
    """

    def __init__(
        self,
        requester: Requester | None = None,
        *,
        requester_factory: Callable[[], Requester] | None = None,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        timeout: float | None = None,
        deadline: Deadline | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        authorizer: Authorizer | None = None,
        on_long_wait: Callable[[str], None] | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        """`on_long_wait` is told, in one line, of every retry wait over `LONG_WAIT` seconds;
        `server_clock` of every answer's `Date` (how far this machine's clock is off)."""
        if (requester is None) == (requester_factory is None):
            raise TypeError("give exactly one of requester and requester_factory")
        self._single = requester
        self._single_lock = threading.Lock()
        self._factory = requester_factory
        self._idle: list[Requester] = []  # made, and not in use (under _made_lock)
        self._made: list[Requester] = []
        self._made_lock = threading.Lock()
        self._policy = policy or RetryPolicy()
        self._cancelled = threading.Event()
        # By default every wait (a backoff, a Retry-After, pacing) ends early when the run is
        # cancelled, so Ctrl-C does not sit out a 60-second Retry-After in a worker.
        self._sleep = sleep or self._sleep_unless_cancelled
        self._clock = clock
        self._wall_clock = wall_clock
        self._pacer = pacer or Pacer(clock=clock, sleep=self._sleep, wall_clock=wall_clock)
        # The command's one deadline (its watchdog cuts requests in flight); `timeout` alone
        # makes one that starts now, for callers without a command around them.
        self.deadline = deadline or Deadline(timeout, clock=clock)
        self.log = RequestLog()
        self.authorizer = authorizer
        self._on_long_wait = on_long_wait
        self.server_clock = server_clock

    def cancel(self) -> None:
        """Requests not yet started fail with `Cancelled`."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def abort(self) -> None:
        """Ctrl-C: nothing more is sent, and requests in flight are cut off now."""
        self._cancelled.set()
        self.deadline.abort()

    def _pacing_deadline(self) -> float | None:
        left = self.deadline.remaining()
        return None if math.isinf(left) else self._clock() + left

    def _sleep_unless_cancelled(self, seconds: float) -> None:
        from sso_sync.waiting import sliced_wait, time_left

        # In slices, on both clocks: a Retry-After of many minutes must not outlast a suspend.
        left = time_left(seconds, wall=self._wall_clock, monotonic=self._clock)
        if sliced_wait(left, self._cancelled.wait):
            raise Cancelled("not sent: the run was stopped")

    def close(self) -> None:
        with self._made_lock:
            made, self._made, self._idle = self._made, [], []
        for requester in made:
            close = getattr(requester, "close", None)
            if callable(close):
                close()

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, owner: str | None = None
    ) -> Any:
        # A fresh headers dict each time: PyGithub adds the Authorization header to it.
        headers = dict(REQUEST_HEADERS)
        if self.authorizer is not None:
            headers["Authorization"] = self.authorizer.header(path, owner)
        if self._single is not None:
            with self._single_lock:
                return self._single.requestJson(method, path, headers=headers, input=body)
        with self._made_lock:
            requester = self._idle.pop() if self._idle else None
        if requester is None:
            assert self._factory is not None
            requester = self._factory()
            with self._made_lock:
                self._made.append(requester)
        try:
            return requester.requestJson(method, path, headers=headers, input=body)
        finally:
            with self._made_lock:
                # The last one given back is lent first: its connection is the likeliest open.
                self._idle.append(requester)

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        owner: str | None = None,
        paid: bool = False,
    ) -> Response:
        """One logical request; returns the final response, raising only if none came back.
        `owner` says whose installation token to use when the path names no owner; `paid`:
        its first attempt's pacing was paid by `pace` (a retry is paced again)."""
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import Timeout

        attempt = 0
        resent = False  # sent again at once after its connection ended unanswered
        while True:
            first = attempt == 0 and not resent
            self.pace(method, f"{method} {path}", times=0 if paid and first else 1)
            try:
                status, headers, text = self._send(method, path, body, owner)
            except RuntimeError:
                # PyGithub's own refusal to follow a 301 to another host or scheme: the token
                # must not go there, and neither do we.
                self.log.add(method, path, 301)
                raise GitHubError(
                    f"{method} {path}: GitHub answered with a redirect to another host, which "
                    "sso-sync does not follow: check --api-url/GITHUB_API_URL",
                    status=301,
                ) from None
            except (RequestsConnectionError, Timeout, ConnectionError) as exc:
                self.log.add(method, path, 0)
                if self.deadline.expired:  # the watchdog cut it, or it timed out at the end
                    raise self.deadline.reached(f"{method} {path}", sent=True) from None
                if not resent and method in IDEMPOTENT and ended_unanswered(exc):
                    # Most likely a kept-alive connection the server had ended (an idle
                    # timeout meeting the request): once, at once, on a new one. Only where
                    # sending it twice changes nothing (a POST could open a second issue).
                    resent = True
                    continue
                wait = backoff(attempt, self._policy)
                if not self._may_wait(attempt, wait):
                    raise GitHubError(
                        f"cannot reach GitHub ({type(exc).__name__}) for {method} {path}: "
                        f"check --api-url/GITHUB_API_URL and the network"
                    ) from None
                why = f"GitHub could not be reached ({type(exc).__name__})"
            else:
                self.log.add(method, path, status)
                if self.server_clock is not None:
                    self.server_clock.observe("github", headers)
                if self.deadline.expired:
                    # The watchdog may have cut this answer short (a peer dripping headers
                    # parses as a complete, empty 200): past the deadline, trust no answer.
                    raise self.deadline.reached(f"{method} {path}", sent=True)
                response = Response(status, headers, _parse(text))
                self._note_rate_limit(headers)
                if not should_retry(status, headers, response.message):
                    return response
                asked = server_delay(headers, self._wall_clock())
                wait = backoff(attempt, self._policy) if asked is None else asked
                may_wait = self._may_wait(attempt, wait)
                if asked is not None:
                    # The limit is per token: every worker waits, not only this one. This one
                    # tells the wait below, when it waits.
                    told = may_wait and self._on_long_wait is not None
                    why = f"GitHub answered {status} and asked to wait"
                    self._pacer.pause_until(self._clock() + asked, why, told=told)
                if not may_wait:
                    if self._past_deadline(wait):
                        raise DeadlineReached(
                            f"GitHub answered {status} and asked to wait {wait:.0f} s, past the "
                            "--timeout deadline: re-run later to finish, or raise --timeout",
                            status=status,
                        )
                    return response
                log.info(
                    "GitHub answered %s to %s %s; retrying in %.1f s", status, method, path, wait
                )
                why = f"GitHub answered {status}" + (" and asked to wait" if asked else "")
            if self._on_long_wait is not None and wait > LONG_WAIT:
                self._on_long_wait(f"{why}: waiting {wait:.0f} s before retrying {method} {path}")
            self._sleep(wait)
            attempt += 1

    def pace(self, method: str, doing: str, *, times: int = 1) -> None:
        """Wait until `times` requests of `method` may go out: out of any pause GitHub asked
        for (a Retry-After, a used-up rate limit), always, since GitHub asks every request of
        the token to wait; and for our own pacing budget, of which `times` 0 takes nothing
        (paid already). Raises `Cancelled` or `DeadlineReached` (not sent) instead."""
        if self._cancelled.is_set():
            raise Cancelled(f"{doing}: not sent, the run was stopped")
        self.deadline.check(doing)
        # Never more than the bucket holds, or the wait would never end.
        points = min(request_points(method) * times, int(self._pacer.policy.burst_points))
        short = self._pacer.acquire(points, self._pacing_deadline(), self._on_long_wait)
        if short is not None:
            raise DeadlineReached(
                f"not sent: the --timeout deadline came first (pacing needed {short:.0f} s "
                "more): re-run to finish, or raise --timeout"
            )

    def _note_rate_limit(self, headers: Mapping[str, str]) -> None:
        """Primary limit used up: nobody sends until it resets, whatever this answer was."""
        if headers.get("x-ratelimit-remaining") == "0":
            reset = server_delay(
                {k: v for k, v in headers.items() if k != "retry-after"}, self._wall_clock()
            )
            if reset:
                self._pacer.pause_until(
                    self._clock() + reset, "GitHub's rate limit for this token is used up"
                )

    def _past_deadline(self, wait: float) -> bool:
        return wait > self.deadline.remaining()

    def _may_wait(self, attempt: int, wait: float) -> bool:
        if attempt + 1 >= self._policy.attempts:
            return False
        return not self._past_deadline(wait)


# Methods GitHub's REST API gives the same result when sent twice; a PUT sent again reports
# `updated` for a secret the first one created.
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})


def ended_unanswered(exc: BaseException) -> bool:
    """Whether the connection ended before the answer's status line came: http.client's
    `RemoteDisconnected`, or a reset or broken pipe, as urllib3 reports them ("Connection
    aborted."). Usually a kept-alive connection the server had closed, but the server may
    also have handled the request and then dropped the connection: hence IDEMPOTENT."""
    from http.client import RemoteDisconnected

    from urllib3.exceptions import ProtocolError

    for error in exc.args:
        if isinstance(error, ProtocolError) and str(error.args[0]) == "Connection aborted.":
            cause = error.args[1] if len(error.args) > 1 else None
            return isinstance(cause, (RemoteDisconnected, BrokenPipeError, ConnectionResetError))
    return False


def _parse(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def raise_for_status(response: Response, what: str, *, not_found: str | None = None) -> None:
    """Turn an error response into a GitHubError whose message says what to do."""
    status = response.status
    if status < 400:
        return
    message = response.message
    if status == 401:
        hint = "the GitHub token is invalid or expired: set a valid GH_TOKEN (or `gh auth login`)"
    elif is_rate_limited(status, response.headers, message):
        hint = "GitHub rate limit still in force after retries: wait a few minutes and re-run"
    elif status == 403:
        hint = "the token lacks permission" + _needed_permission(response.headers)
    elif status == 404:
        hint = not_found or (
            "not found, or the token cannot see it: check the name and the token's access"
        )
    elif status == 422:
        hint = f"GitHub rejected the request: {_validation_message(response.data, message)}"
    else:
        hint = f"GitHub answered {status}" + (f": {message}" if message else "")
    raise GitHubError(f"{what}: {hint}", status=status)


def expect_status(
    response: Response, what: str, accepted: tuple[int, ...], *, not_found: str | None = None
) -> None:
    """Only the statuses GitHub documents for this request mean it was done. Anything else
    (a proxy's 302 to its login page, a 200 with HTML) is a failure, never a success."""
    raise_for_status(response, what, not_found=not_found)
    if response.status in accepted:
        return
    location = response.headers.get("location") or response.headers.get("Location")
    if 300 <= response.status < 400:
        detail = "a redirect" + (" elsewhere" if location else "")
    else:
        detail = "an answer it does not document for this request"
    raise GitHubError(
        f"{what}: GitHub answered {response.status} ({detail}) where it answers "
        f"{' or '.join(map(str, accepted))}: nothing may have been stored; check "
        "--api-url/GITHUB_API_URL, or a proxy between here and GitHub",
        status=response.status,
    )


def _needed_permission(headers: Mapping[str, str]) -> str:
    """Fine-grained tokens and apps get `X-Accepted-GitHub-Permissions` (e.g. `secrets=write`);
    classic tokens get `X-OAuth-Scopes`/`X-Accepted-OAuth-Scopes`."""
    needed = headers.get("x-accepted-github-permissions")
    if needed:
        return f" (GitHub wants {needed}): grant it to the token or app and re-run"
    scopes = headers.get("x-accepted-oauth-scopes")
    if scopes:
        return f" (GitHub wants scope {scopes}): `gh auth refresh -s {scopes.split(',')[0]}`"
    return (
        ": use a token with Secrets read/write on repositories (and Organization secrets for "
        "--org), or the repo (and admin:org) scope for a classic token"
    )


def _validation_message(data: Any, message: str) -> str:
    details: list[str] = []
    if isinstance(data, dict):
        for error in data.get("errors") or []:
            if isinstance(error, str):
                details.append(error)
            elif isinstance(error, dict) and error.get("message"):
                details.append(str(error["message"]))
    text = message or "validation failed"
    return text + (f" ({'; '.join(details)})" if details else "")


def seal(public_key_b64: str, value: str) -> str:
    """Encrypt `value` to a libsodium sealed box for `public_key_b64`, as GitHub expects."""
    from nacl.encoding import Base64Encoder
    from nacl.public import PublicKey, SealedBox

    box = SealedBox(PublicKey(public_key_b64.encode("ascii"), encoder=Base64Encoder))
    return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")
