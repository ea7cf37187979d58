"""The typer app: global options, the command table, and the one place errors become exit codes.

Nothing else in the package imports typer outside `cli/`. boto3 and PyGithub are imported only
inside the commands that need them, so `sso-sync --help` starts fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer
import typer.main
from typer.core import TyperGroup

from sso_sync import __version__
from sso_sync.cli import ui
from sso_sync.cli.usage import UsageProblem, option_missing_its_value, usage_line
from sso_sync.errors import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    Interrupted,
    SsoSyncError,
    traceback_without_messages,
)

if TYPE_CHECKING:
    import logging

    from sso_sync.cli.context import Context

# (name, "module:function" under sso_sync.cli.commands, one line for the command list), in the
# order `--help` shows them. A command's module is imported only when that command is used, so
# `sso-sync --help` builds none of them.
COMMANDS: list[tuple[str, str, str]] = [
    ("login", "login:login", "Sign in to IAM Identity Center and cache the token."),
    ("push", "push:push", "Push fresh role credentials as GitHub secrets."),
    ("watch", "watch:watch", "Keep the targets fresh while the sign-in lasts."),
    ("schedule", "schedule:schedule", "Install, show or remove a job that pushes unattended."),
    ("demo", "demo:demo", "Run the whole flow against a local sandbox."),
    ("list", "list:list_secrets", "List the secrets sso-sync manages on each target."),
    ("remove", "remove:remove", "Delete the secrets sso-sync manages from each target."),
    ("status", "status:status", "Show whether a profile is usable, and for how long."),
    ("doctor", "doctor:doctor", "Check the whole set-up, one line per item, with the fix."),
    ("configure", "configure:configure", "Create an SSO profile in ~/.aws/config."),
    ("export", "export:export_credentials", "Print role credentials for other tools."),
    ("verify", "verify:verify", "Check the AWS credentials in the environment with STS."),
    (
        "init-workflows",
        "init_workflows:init_workflows",
        "Write the credentials-check and deploy workflows.",
    ),
    ("logout", "logout:logout", "Sign out of IAM Identity Center, as `aws sso logout` does."),
    (
        "dependabot-config",
        "dependabot_config:dependabot_config",
        "Print dependabot.yml registries for ECR, CodeArtifact.",
    ),
]


def command_function(target: str) -> Callable[..., None]:
    """The function behind a `COMMANDS` entry ("module:function"), importing its module."""
    import importlib

    module, function = target.split(":")
    command: Callable[..., None] = getattr(
        importlib.import_module(f"sso_sync.cli.commands.{module}"), function
    )
    return command


def _log() -> logging.Logger:
    """The package's logger; `logging` is imported only once a command runs."""
    import logging

    return logging.getLogger("sso_sync")


# "\b" keeps click from re-flowing the table into one paragraph per line.
EXIT_TABLE = "\b\nExit codes:\n" + "\n".join(
    f"{code:>5}: {meaning}" for code, meaning in EXIT_CODES.items()
)


def _wants_json(args: list[str]) -> bool:
    """`--json` among the options (not after `--`): errors then also go to stdout as JSON."""
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def _global_flags_first(args: list[str]) -> list[str]:
    """`push ... -v` as `-v push ...`: the global flags (they take no value) are accepted after
    the command too, up to a `--`, since that is where a newcomer adds them."""
    command = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    if command is None:
        return args
    end = args.index("--") if "--" in args else len(args)
    moved = [a for a in args[command + 1 : end] if _is_global_flag(a)]
    if not moved:
        return args
    rest = [a for a in args[command + 1 : end] if not _is_global_flag(a)]
    return [*args[:command], *moved, args[command], *rest, *args[end:]]


def _is_global_flag(arg: str) -> bool:
    return arg in ("--verbose", "--debug") or (len(arg) > 1 and arg.strip("v") == "-")


def _usage_error(exc: Exception) -> tuple[int, str] | None:
    """Exit code and message of a click usage error (typer may vendor click: duck-typed)."""
    code, message = getattr(exc, "exit_code", None), getattr(exc, "format_message", None)
    if not isinstance(code, int) or message is None or type(exc).__name__ == "NoArgsIsHelpError":
        return None
    return code, str(message())


class _LazyCommands(Mapping[str, Any]):
    """The group's commands, each built (module imported, typer parameters read) on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}
        self._table = {name: (target, short) for name, target, short in COMMANDS}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            target, short_help = self._table[name]
            single = typer.Typer(add_completion=False, rich_markup_mode=None)
            single.command(name, short_help=short_help)(
                errors_to_exit_codes(command_function(target))
            )
            self._built[name] = typer.main.get_command(single)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


class _JsonErrorsGroup(TyperGroup):
    """The commands of `COMMANDS`, built lazily; usage errors (click's, raised before a command
    runs) also become JSON with --json."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands()  # type: ignore[assignment]

    def main(self, *args: Any, **extra: Any) -> Any:
        # A context handed in (`obj=`) prints from the first line on: usage errors come
        # before the callback that installs it (cli/context.py `running`). Before any context
        # was made in this process there is none to hand in or to leave behind, and `--help`
        # does not load the module for nothing.
        context = sys.modules.get("sso_sync.cli.context")
        if context is None:
            return super().main(*args, **extra)
        with context.running(extra.get("obj")):
            return super().main(*args, **extra)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # From the table: listing the commands must not build (import) every one of them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, _, short in COMMANDS])

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        wants_json = _wants_json(list(args))
        try:
            ctx = super().make_context(info_name, _global_flags_first(list(args)), parent, **extra)
        except Exception as exc:
            _json_usage_error(exc, wants_json)
            raise
        ctx.meta["sso_sync.json"] = wants_json
        return ctx

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            command = ctx.meta.get("sso_sync.command", ctx.command_path)
            _json_usage_error(exc, bool(ctx.meta.get("sso_sync.json")), command)
            raise

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta["sso_sync.command"] = f"{ctx.command_path} {name}"
        problem = None if command is None else option_missing_its_value(command, rest)
        if problem is not None:
            _json_usage_error(
                UsageProblem(problem, f"{ctx.command_path} {name}"),
                ctx.meta.get("sso_sync.json", False),
            )
        return name, command, rest


def _json_usage_error(exc: Exception, wants_json: bool, command: str = "sso-sync") -> None:
    """A usage error as one `error:` line on stderr (and one JSON object with --json), exit 2."""
    usage = _usage_error(exc)
    if usage is None:
        return
    line = usage_line(exc, command)
    ui.err(line)
    if wants_json:
        ui.out_json_error(usage[0], line.removeprefix("error: "))
    raise typer.Exit(usage[0])


app = typer.Typer(
    cls=_JsonErrorsGroup,
    name="sso-sync",
    help=(
        "Keep GitHub Actions supplied with fresh AWS credentials from IAM Identity Center (SSO)."
        "\n\nMain line: sso-sync push --repo OWNER/NAME --profile ci"
    ),
    epilog=EXIT_TABLE,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])


def errors_to_exit_codes(command: F) -> F:
    """The one place errors become a one-line message and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sso_sync.cli.context import current

        _set_up_logging(current())
        printed_before = current().json_printed

        def fail(code: int, message: str) -> typer.Exit:
            ui.err(message)
            # With --json a script reads one object: the error, unless a result (which says
            # "ok": false itself) was printed already.
            if kwargs.get("as_json") and current().json_printed == printed_before:
                ui.out_json_error(code, message.removeprefix("error: "))
            return typer.Exit(code)

        try:
            return command(*args, **kwargs)
        except Interrupted:  # the command has printed what got done
            raise fail(EXIT_INTERRUPTED, "interrupted") from None
        except SsoSyncError as exc:
            _log().debug("failure:\n%s", traceback_without_messages(exc))
            raise fail(exc.exit_code, f"error: {ui.one_line(str(exc))}") from None
        except KeyboardInterrupt:
            raise fail(EXIT_INTERRUPTED, "interrupted") from None
        except typer.Exit:
            raise
        except Exception as exc:  # a bug: say so without echoing a message that may hold data
            _log().debug("unexpected failure:\n%s", traceback_without_messages(exc))
            if isinstance(exc, OSError) and exc.filename:
                # A file we did not expect to fail on: its name and the reason, nothing more.
                raise fail(
                    EXIT_FAILED,
                    f"error: cannot use {exc.filename} ({exc.strerror}): fix it, then retry",
                ) from None
            raise fail(
                EXIT_FAILED,
                f"error: unexpected {type(exc).__name__}; re-run with --debug for details "
                "and report it",
            ) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        ui.out(f"sso-sync {__version__}")
        raise typer.Exit


def _clean_formatter_class() -> type[logging.Formatter]:
    import logging

    class CleanFormatter(logging.Formatter):
        """Log lines quote outside text too: no terminal controls in them either."""

        def format(self, record: logging.LogRecord) -> str:
            return ui.clean(super().format(record))

    return CleanFormatter


@app.callback()
def main_options(
    ctx: typer.Context,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="More detail on stderr (-vv: debug).",
        ),
    ] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Debug logging on stderr.")] = False,
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer needs Optional on 3.10
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Keep GitHub Actions supplied with fresh AWS credentials from IAM Identity Center."""
    from sso_sync.cli.context import install

    install(ctx)  # one context for the command: its streams, environment, terminal, JSON count
    # Logging is set up when the command itself runs (errors_to_exit_codes): a command's
    # --help ends before that, so it need not import logging.
    ctx.obj.verbosity = 2 if debug else verbose


def _set_up_logging(context: Context) -> None:
    """The package's log lines on the command's stderr: warnings, -v info, -vv (or --debug)
    debug."""
    import logging

    level = {0: logging.WARNING, 1: logging.INFO}.get(context.verbosity, logging.DEBUG)
    handler = logging.StreamHandler(context.streams.err)
    handler.setFormatter(_clean_formatter_class()("%(levelname)s %(name)s: %(message)s"))
    log = _log()
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    # A failing log write (stderr closed, a broken pipe) must not print its own traceback:
    # that traceback would show the exception being handled at the time, message and all.
    logging.raiseExceptions = False


def main() -> None:
    """The `sso-sync` program (the console script): one command, then the process ends."""
    import gc
    import os

    # Off for the command, as the process ends with it: the cyclic collector spent ~45 ms of
    # a 0.7 s push (benchmarks/adhoc/push_profile.py) rescanning the objects the imports make,
    # and what it frees is freed at exit anyway (the peak RSS measured the same without it).
    # `watch`, which runs for weeks, turns it back on.
    gc.disable()

    log_file = os.environ.get("SSO_SYNC_LOG_FILE", "")
    if log_file and sys.argv[1:2] == ["push"]:  # a scheduled job's push (see keepfresh.joblog)
        from pathlib import Path

        from sso_sync.keepfresh.joblog import log_to_file

        log_to_file(Path(log_file))
    try:
        app()
    except KeyboardInterrupt:
        ui.err("interrupted")
        sys.exit(EXIT_INTERRUPTED)
