"""`sso-sync --help` must stay fast: the CLI module may not import boto3 or PyGithub."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from sso_sync import __version__
from sso_sync.cli.app import COMMANDS, app
from sso_sync.errors import EXIT_CODES


def test_importing_the_cli_loads_neither_boto3_nor_pygithub() -> None:
    code = (
        "import sys, sso_sync.cli; "
        "heavy = [m for m in ('boto3', 'botocore', 'github', 'nacl') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_the_exit_codes_and_version_prints() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for code in EXIT_CODES:
        assert f"{code}:" in result.stdout
    version = runner.invoke(app, ["--version"])
    assert version.stdout.strip() == f"sso-sync {__version__}"


HEAVY = ("boto3", "botocore", "github", "nacl", "requests", "urllib3", "rich", "filelock")


def loaded_modules(*args: str) -> set[str]:
    """Every module a fresh interpreter has loaded after `sso-sync ARGS` returned."""
    code = (
        "import sys, io, contextlib\n"
        "from sso_sync.cli import main\n"
        f"sys.argv = ['sso-sync', *{list(args)!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def modules_loaded_by(*args: str) -> set[str]:
    """Top-level packages a fresh interpreter has loaded after `sso-sync ARGS` returned."""
    return {m.split(".")[0] for m in loaded_modules(*args)}


def test_help_and_version_load_nothing_heavy() -> None:
    """Not even what only a command's output needs (json, logging, threads, hashing)."""
    for args in (["--help"], ["--version"]):
        loaded = modules_loaded_by(*args)
        assert not loaded & {*HEAVY, "pydantic", "json", "logging", "concurrent", "hashlib"}


def test_top_level_help_builds_no_command() -> None:
    """The command list comes from the table: no command module is imported for it, so the
    start-up of `--help` does not grow with every command added."""
    loaded = loaded_modules("--help")
    assert [m for m in loaded if m.startswith("sso_sync.cli.commands.")] == []


# What a command's `--help` may load of ours beyond sso_sync.cli: the vocabulary its options are
# declared with. The use case (pushing, sync, plan, the state file, credentials, schedulers) is
# imported inside the command's function, so `--help` stays within 1.5x `import typer`
# (benchmarks/run.py --startup-only). A module added here is one every --help pays for.
HELP_MAY_LOAD = {
    "sso_sync",
    "sso_sync._version",
    "sso_sync.errors",
    "sso_sync.wording",
    "sso_sync.clients",  # command_deadline; boto3 and PyGithub only inside its functions
    "sso_sync.transport",
    "sso_sync.github",
    "sso_sync.github.fanout",  # DEFAULT_CONCURRENCY
    "sso_sync.aws",
    "sso_sync.aws.profiles",  # AwsPaths and AwsSession: light, imported by the AWS commands
    "sso_sync.aws.session",
    "sso_sync.keepfresh",
    "sso_sync.keepfresh.clock",  # the Context's clock: state file and server_clock on first use
    "sso_sync.keepfresh.schedule",  # BACKENDS
    # The source block's options are built from the kinds' declarations (cli/source_options.py),
    # for push, watch, schedule, list, remove, doctor and dependabot-config: the table, the
    # role credentials' kind and each module of credential_kinds/ (whose calls are imported
    # inside its functions). Their dataclasses cost: 30 interleaved runs of `push --help`
    # against the hand-written block measured +3.5 to +4.5 ms (about 4%), ~0.5 ms per
    # dataclass a kind's module defines at its top.
    "sso_sync.sources",
    "sso_sync.source_table",
    "sso_sync.credential_kinds",
    "sso_sync.credential_kinds.registries",
}
# Standard modules only a running command needs (`sso-sync --help` loads none of them either;
# logging is set up when the command runs, after --help has returned).
HELP_MUST_NOT_LOAD = {
    "email",
    "socket",
    "hashlib",
    "json",
    "logging",
    "tempfile",
    "plistlib",
    "random",
}


@pytest.mark.parametrize("command", [name for name, _, _ in COMMANDS])
def test_command_help_loads_only_what_declares_its_options(command: str) -> None:
    loaded = loaded_modules(command, "--help")
    cli = {m for m in loaded if m == "sso_sync.cli" or m.startswith("sso_sync.cli.")}
    ours = {m for m in loaded if m.startswith("sso_sync.")} - cli
    assert ours - HELP_MAY_LOAD == set()
    module = {name: target for name, target, _ in COMMANDS}[command].split(":")[0]
    commands = {m for m in loaded if m.startswith("sso_sync.cli.commands.")}
    assert commands == {f"sso_sync.cli.commands.{module}"}
    assert loaded & HELP_MUST_NOT_LOAD == set()
    # typer 0.29 builds every option through pydantic: the reason for pyproject's cap.
    assert {m.split(".")[0] for m in loaded} & {*HEAVY, "pydantic"} == set()
