"""Where notices go (keepfresh/notices.py): a webhook, the desktop, a GitHub issue.

- The webhook's URL is a secret (whoever holds it can post), so it comes from
  `SSO_SYNC_NOTIFY_URL` or a file only its owner may read, never from a command line, and it is
  never printed: a failure names "the webhook" and the HTTP status or the error's kind. The POST
  never follows a redirect, is tried at most twice, and the whole send is cut off after
  `WEBHOOK_BUDGET` seconds, so a slow or failing hook never holds a push for long.
- The desktop: the terminal's `notify` (notify-send or osascript, where there is one).
- A GitHub issue in a repository named with `--notify-issue`: the one the hourly check workflow
  opens, found among the open issues by the same title (action/workflows.py `issue_title`);
  opened, commented on while the problem stays, closed when all is right again. Sign-in links
  never go there.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sso_sync.errors import SsoSyncError, UsageError
from sso_sync.files import read_private, utc_timestamp
from sso_sync.keepfresh.notices import Notice, NotifyFailed
from sso_sync.transport import is_loopback_host

if TYPE_CHECKING:
    from sso_sync.github.rest import GitHubApi
    from sso_sync.terminal import Terminal

URL_ENV = "SSO_SYNC_NOTIFY_URL"
WEBHOOK_TIMEOUT = 3.0  # seconds for one attempt
WEBHOOK_BUDGET = 5.0  # seconds for the whole send, the one retry included
WEBHOOK_ATTEMPTS = 2
MAX_URL_FILE = 4096


def check_webhook_url(url: str, where: str) -> None:
    """https://, or http:// to loopback only. The message never repeats the URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return
    if scheme == "http" and is_loopback_host(parts.hostname):
        return
    raise UsageError(
        f"the webhook URL in {where} is not an https:// URL (plain http:// is allowed only to "
        "127.0.0.1, ::1 or localhost): give the https:// URL your chat service gave you"
    )


def webhook_url(environ: Mapping[str, str], url_file: Path | None) -> str | None:
    """The webhook URL: from the file when one is named, else from the environment."""
    if url_file is not None:
        data = read_private(url_file, "the webhook URL file", MAX_URL_FILE)
        url = data.decode("utf-8", "replace").strip()
        if not url:
            raise UsageError(f"the webhook URL file {url_file} is empty: put the URL in it")
        check_webhook_url(url, str(url_file))
        return url
    url = environ.get(URL_ENV, "").strip()
    if not url:
        return None
    check_webhook_url(url, URL_ENV)
    return url


def _refusing_redirects() -> Any:
    """A redirect is answered as the failure it is: the body (the notice) is not re-sent."""
    import urllib.request

    class Refuse(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
            return None

    return Refuse()


@dataclass
class Webhook:
    url: str = field(repr=False)  # a secret: never in a repr, a log or a message
    name: str = "the webhook"
    takes_private: bool = True
    budget: float = WEBHOOK_BUDGET

    def send(self, notice: Notice) -> None:
        body = json.dumps(notice.payload()).encode()
        outcome: list[str | None] = []
        # A thread, so that the budget holds even against a peer that drips its answer a byte
        # at a time (a socket timeout only bounds each read).
        worker = threading.Thread(target=lambda: outcome.append(self._post(body)), daemon=True)
        worker.start()
        worker.join(self.budget)
        if not outcome:
            raise NotifyFailed(f"{self.name} did not answer within {self.budget:g} s")
        if outcome[0] is not None:
            raise NotifyFailed(f"{self.name} {outcome[0]}")

    def _post(self, body: bytes) -> str | None:
        """None when delivered, else why not (never the URL)."""
        import urllib.error
        import urllib.request

        handlers: list[Any] = [_refusing_redirects()]
        if is_loopback_host(urlsplit(self.url).hostname):
            # Plain http is allowed there only because it never leaves the machine: never to
            # the proxy HTTP_PROXY names (transport.py; `gh` decides alike). Elsewhere urllib
            # honours the proxy settings as it reads them.
            handlers.append(urllib.request.ProxyHandler({}))
        opener = urllib.request.build_opener(*handlers)
        problem = "failed"
        for _attempt in range(WEBHOOK_ATTEMPTS):
            request = urllib.request.Request(  # noqa: S310 - the scheme is checked
                self.url,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": "sso-sync"},
                method="POST",
            )
            try:
                with opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
                    response.read(65536)
                    return None
            except urllib.error.HTTPError as exc:
                problem = f"answered HTTP {exc.code}"
                if exc.code < 500:  # a redirect or a refusal: trying again changes nothing
                    return problem + (" (redirects are not followed)" if exc.code < 400 else "")
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"could not be reached ({type(reason).__name__})"
        return problem


@dataclass
class Desktop:
    terminal: Terminal
    name: str = "the desktop"
    takes_private: bool = True

    def send(self, notice: Notice) -> None:
        self.terminal.notify(notice.title, notice.text)


@dataclass
class GitHubIssue:
    repo: str  # OWNER/REPO
    title: str
    github: Callable[[], GitHubApi]  # a client within its own short deadline
    name: str = "the GitHub issue"
    takes_private: bool = False  # a repository's readers may be many

    def send(self, notice: Notice) -> None:
        try:
            api = self.github()
        except SsoSyncError as exc:
            raise NotifyFailed(f"{self.name} in {self.repo}: {exc}") from None
        try:
            self._apply(api, notice)
        except SsoSyncError as exc:
            raise NotifyFailed(f"{self.name} in {self.repo}: {exc}") from None
        finally:
            api.close()

    def _apply(self, api: GitHubApi, notice: Notice) -> None:
        from sso_sync.github.rest import expect_status

        base = f"/repos/{self.repo}/issues"
        number = self.find(api)
        body = _issue_body(notice)
        if number is None:
            if notice.event == "recovered":
                return  # nothing open to close
            created = api.request("POST", base, {"title": self.title, "body": body})
            expect_status(created, f"open an issue in {self.repo}", (201,))
            return
        commented = api.request("POST", f"{base}/{number}/comments", {"body": body})
        expect_status(commented, f"comment on issue #{number} in {self.repo}", (201,))
        if notice.event == "recovered" and notice.all_clear:
            closed = api.request(
                "PATCH", f"{base}/{number}", {"state": "closed", "state_reason": "completed"}
            )
            expect_status(closed, f"close issue #{number} in {self.repo}", (200,))

    def find(self, api: GitHubApi) -> int | None:
        """The open issue with this title, among the 100 most recent (as the workflow looks)."""
        from sso_sync.github.rest import expect_status

        listed = api.request("GET", f"/repos/{self.repo}/issues?state=open&per_page=100")
        expect_status(listed, f"list the open issues of {self.repo}", (200,))
        for issue in listed.data if isinstance(listed.data, list) else []:
            if (
                isinstance(issue, dict)
                and issue.get("title") == self.title
                and "pull_request" not in issue
            ):
                return int(issue["number"])
        return None


def _issue_body(notice: Notice) -> str:
    lines = [f"**{notice.title}** (from `{notice.host}` at {utc_timestamp(notice.at)})", ""]
    lines.append(notice.text)
    if notice.targets:
        lines += ["", "Targets: " + ", ".join(f"`{t}`" for t in notice.targets)]
    if notice.command:
        lines += ["", f"Run: `{notice.command}`"]
    return "\n".join(lines)
