"""The notifier a command runs with (keepfresh/notices.py): the webhook and the GitHub issue as
`Notifying` names them, and the desktop always, as before."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sso_sync.cli.context import Context
    from sso_sync.cli.groups import GitHubAuth, Notifying
    from sso_sync.github.app_auth import AppSettings
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.targets import TargetSet
    from sso_sync.keepfresh.notices import Channel, Notifier

ISSUE_TIMEOUT = 20.0  # seconds for the issue's few requests, apart from the push's deadline


def build_notifier(
    ctx: Context,
    notifying: Notifying,
    sets: Sequence[TargetSet],
    auth: GitHubAuth,
    app: AppSettings | None,
) -> Notifier:
    """Checked before any request: a bad URL file or repository is exit 2 now."""
    from sso_sync.keepfresh.channels import Desktop, GitHubIssue, Webhook
    from sso_sync.keepfresh.notices import Notifier

    merged = notifying.merged(sets)
    url = merged.validate(ctx.environ)
    channels: list[Channel] = [Desktop(ctx.terminal)]
    if url is not None:
        channels.insert(0, Webhook(url))
    if merged.issue is not None:

        def github() -> GitHubApi:
            return ctx.github(
                auth.api_url,
                ISSUE_TIMEOUT,
                auth.token_file,
                announce_waits=False,
                app=app,
                permissions={"issues": "write"},
            )

        channels.append(GitHubIssue(merged.issue, issue_title_for(sets, merged.issue), github))
    return Notifier(channels, ctx.state_store(), ctx.now, say=ctx.terminal.say)


def issue_title_for(sets: Sequence[TargetSet], repo: str) -> str:
    """The title the hourly check in `repo` uses: qualified by environment and prefix when the
    sets push exactly one such pair there (as `init-workflows` would have written it), else
    by the one prefix of the sets, else plain."""
    from sso_sync.action.workflows import issue_title

    pairs = {
        (t.environment, s.prefix)
        for s in sets
        for t in s.targets
        if t.repo is not None and f"{t.owner}/{t.repo}".lower() == repo.lower()
    }
    if len(pairs) == 1:
        return issue_title(*pairs.pop())
    prefixes = {s.prefix for s in sets}
    return issue_title(None, prefixes.pop() if len(prefixes) == 1 else "")


def check_for_job(notifying: Notifying, action: str) -> Notifying:
    """For `schedule`: the URL file is checked now (a job would only fail later); the job never
    gets $SSO_SYNC_NOTIFY_URL, a secret, in its environment: say so when it is the only URL.
    Returns `notifying`, checked."""
    from sso_sync.cli import ui
    from sso_sync.cli.context import current
    from sso_sync.keepfresh.channels import URL_ENV

    notifying.validate({})
    if action == "install" and notifying.url_file is None and current().environ.get(URL_ENV):
        ui.err(
            f"note: the job does not get ${URL_ENV} (a secret is never written into a job): "
            "put the URL in a file only you can read and pass --notify-url-file FILE"
        )
    return notifying
