"""Usage errors (click's, raised before a command runs) in our one-line `error:` style, with the
command's `--help` as the fix; and the check that an option needing a value got one, not the
next option (`--env --profile ci` would read `--profile` as the environment and `ci` as a set).

click's own text ("Usage: ... Try ... Error: Invalid value for '--concurrency': Input should be
greater than or equal to 1") is three lines in another voice; typer may vendor click, so the
exceptions are duck-typed here, as in `app`.
"""

from __future__ import annotations

import itertools
import re
from typing import Any


def usage_line(exc: Exception, command: str = "sso-sync") -> str:
    """`error: --concurrency must be 1 or more (got '0'): see `sso-sync push --help``;
    `command` when the error does not say which command it is about."""
    command = getattr(getattr(exc, "ctx", None), "command_path", None) or command
    param = getattr(exc, "param", None)
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")]
    reason = _constraint(exc.__cause__) or _click_constraint(exc, param)
    if opts and reason is not None:
        problem = f"{opts[0]} {reason}"
    else:
        message = str(getattr(exc, "format_message", lambda: str(exc))())
        problem = message[:1].lower() + message[1:]
        problem = re.sub(r"^option '(-[^']+)' requires an argument", r"\1 needs a value", problem)
    problem = problem.rstrip(".")
    # "Did you mean 'push'?" ends a sentence already.
    return f"error: {problem}{' See' if problem.endswith('?') else ': see'} `{command} --help`"


def _constraint(cause: BaseException | None) -> str | None:
    """A number's bound, in our words, from the validation error behind the message."""
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return None
    try:
        first: dict[str, Any] = errors()[0]
    except (TypeError, IndexError):
        return None
    bounds = first.get("ctx") or {}
    given = f" (got {first.get('input')!r})"
    if "ge" in bounds:
        return f"must be {bounds['ge']} or more{given}"
    if "le" in bounds:
        return f"must be {bounds['le']} or less{given}"
    if str(first.get("type", "")).endswith("_parsing"):
        return f"must be a whole number{given}"
    return None


def _click_constraint(exc: Exception, param: Any) -> str | None:
    """The same words from click's own range and number checks (typer before 0.29 validates
    with click's `IntRange`/`FloatRange`: "0 is not in the range 1<=x<=100")."""
    message = str(getattr(exc, "message", ""))
    kind = getattr(param, "type", None)
    out_of_range = re.match(r"^'?(.*?)'? is not in the range", message)
    if out_of_range and kind is not None:
        given = out_of_range.group(1)
        low, high = getattr(kind, "min", None), getattr(kind, "max", None)
        try:
            value = float(given)
        except ValueError:
            return None
        if low is not None and value < low:
            return f"must be {low:g} or more (got {given!r})"
        if high is not None and value > high:
            return f"must be {high:g} or less (got {given!r})"
        return None
    not_a_number = re.match(r"^'(.*)' is not a valid (?:integer|float)", message)
    if not_a_number:
        return f"must be a whole number (got {not_a_number.group(1)!r})"
    return None


def option_missing_its_value(command: Any, args: list[str]) -> str | None:
    """The problem when an option that takes a value is followed by another option of the same
    command instead (`--env --profile ci`), or None."""
    takes_value: set[str] = set()
    known: set[str] = set()
    for param in getattr(command, "params", []):
        names = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
        known.update(n for n in names if n.startswith("-"))
        if getattr(param, "param_type_name", "") == "option" and not (
            getattr(param, "is_flag", False) or getattr(param, "count", False)
        ):
            takes_value.update(names)
    end = args.index("--") if "--" in args else len(args)
    for arg, following in itertools.pairwise(args[:end]):
        if arg in takes_value and following.split("=", 1)[0] in known:
            return (
                f"{arg} needs a value, but the option {following} follows it: "
                f"give {arg} VALUE, then {following}"
            )
    return None


class UsageProblem(Exception):
    """A usage error found before click's parser: shaped as click's, so it prints the same."""

    exit_code = 2

    def __init__(self, message: str, command_path: str) -> None:
        super().__init__(message)
        self.message = message
        self.command_path = command_path
        self.ctx = self  # `usage_line` reads `ctx.command_path`

    def format_message(self) -> str:
        return self.message
