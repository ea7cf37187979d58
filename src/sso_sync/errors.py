"""One exception hierarchy; each class carries the exit code the CLI returns for it.

The table here is the one documented in the README and in `sso-sync --help`.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOGIN_NEEDED = 3
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILED: "an operation failed (a target, a check)",
    EXIT_USAGE: "bad usage or input (including a missing GitHub token)",
    EXIT_LOGIN_NEEDED: "sign-in needed and not possible here (no terminal, or CI)",
    EXIT_INTERRUPTED: "interrupted",
}


class SsoSyncError(Exception):
    """Base of every error we expect; `str()` is a one-line message that names the next step."""

    exit_code = EXIT_FAILED


class UsageError(SsoSyncError):
    """Bad input from the user: flags, names, config."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """The AWS config (or our own config file) is missing something or is malformed."""


class GitHubAuthMissing(UsageError):
    """No GitHub token could be found."""


class LoginRequired(SsoSyncError):
    """A browser sign-in is needed and this process cannot do one."""

    exit_code = EXIT_LOGIN_NEEDED


class AwsError(SsoSyncError):
    """IAM Identity Center or STS refused or failed."""


class PermissionMissing(AwsError):
    """AWS refused a call the role's permission set does not allow; `actions` names the IAM
    actions it needs (the one AWS named, when it named one)."""

    def __init__(self, message: str, *, actions: tuple[str, ...]) -> None:
        super().__init__(message)
        self.actions = actions


class GitHubError(SsoSyncError):
    """The GitHub API refused or failed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DeadlineReached(GitHubError):
    """The command's deadline (`--timeout`) came before a request (to GitHub or AWS) could be
    made or finished, or Ctrl-C cut it. `sent`: the request had gone out, so it may have taken
    effect. A GitHubError so that per-target code reports it against the target."""

    def __init__(self, message: str, *, status: int | None = None, sent: bool = False) -> None:
        super().__init__(message, status=status)
        self.sent = sent


class Cancelled(GitHubError):
    """Another worker hit an error that ends the whole run (a bad token)."""


class Interrupted(SsoSyncError):
    """Ctrl-C (or SIGTERM) stopped the run; `results`, if any, is what got done first."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str = "interrupted", *, results: object = None) -> None:
        super().__init__(message)
        self.results = results


class LockTimeout(SsoSyncError):
    """Another process held a lock (the token cache's) longer than we could wait."""


class OperationFailed(SsoSyncError):
    """Some targets failed; the per-target report has already been printed."""


class ChangedElsewhere(OperationFailed):
    """`watch --on-change stop` found a secret another writer changed: it stops (exit 1)."""


def traceback_without_messages(exc: BaseException) -> str:
    """The traceback of `exc` and of the exceptions it was raised from, for `--debug`.

    Frames and exception types only: a third-party exception's message can quote what it was
    given (botocore's parameter validation quotes values), and that may be a token. Our own
    messages are printed on the error line anyway.
    """
    import traceback

    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = [
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_tb(e.__traceback__))
        + f"{type(e).__module__}.{type(e).__qualname__} (message withheld)\n"
        for e in reversed(chain)
    ]
    return "\nwhich led to:\n\n".join(parts)
