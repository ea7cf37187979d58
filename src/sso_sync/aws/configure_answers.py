"""What `configure` is given or asked, checked: each check names the flag that supplies the value.

A typed answer that fails its check is asked again (the AWS CLI's prompts do the same), so one
typo no longer loses the account and role already chosen; with nothing to ask (flags only, or
CI) the first failure is final.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from sso_sync.errors import UsageError

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")

T = TypeVar("T")


class Prompter(Protocol):
    """How `configure` asks; the CLI answers from the terminal, tests from scripted input."""

    def text(self, label: str, default: str | None) -> str: ...

    def choose(self, label: str, options: Sequence[str]) -> int:
        """The index of the chosen option."""
        ...

    def say(self, message: str) -> None: ...


class NoPrompts:
    """Used when nothing may be asked: each missing value names the flag that supplies it."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say

    def text(self, label: str, default: str | None) -> str:
        if default is not None:
            return default
        raise UsageError(f"missing {label}: pass it as a flag (see `sso-sync configure --help`)")

    def choose(self, label: str, options: Sequence[str]) -> int:
        raise UsageError(f"several {label}s are available: choose one with a flag")

    def say(self, message: str) -> None:
        self._say(message)


def ask(prompter: Prompter, label: str, default: str | None, check: Callable[[str], T]) -> T:
    """Ask until the answer passes `check`; a prompter that cannot ask fails on the first."""
    while True:
        answer = prompter.text(label, default)
        try:
            return check(answer)
        except UsageError as exc:
            if isinstance(prompter, NoPrompts):
                raise
            prompter.say(f"{exc}; try again")


def check_start_url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^https?://[^\s/]+", value):
        raise UsageError(
            f"invalid start URL {value!r}: expected https://d-xxxxxxxxxx.awsapps.com/start "
            "(--start-url)"
        )
    return value


def check_region(value: str, flag: str) -> str:
    value = value.strip()
    if not _REGION.fullmatch(value):
        raise UsageError(f"invalid region {value!r}: expected a name like eu-west-1 ({flag})")
    return value


def check_scopes(value: str) -> tuple[str, ...]:
    scopes = tuple(s.strip() for s in value.split(",") if s.strip())
    if not scopes or any(" " in s for s in scopes):
        raise UsageError(
            f"invalid scopes {value!r}: a comma-separated list such as sso:account:access "
            "(--scopes)"
        )
    return scopes


def check_account(value: str) -> str:
    value = value.strip()
    if not _ACCOUNT.fullmatch(value):
        raise UsageError(f"invalid account id {value!r}: 12 digits (--account-id)")
    return value
