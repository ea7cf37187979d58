"""Option groups as data (src/sso_sync/cli/groups.py): every option of `push` reaches a scheduled
job, written back by the group that owns it, so a new push option can never be left out of the
job's command line by accident."""

from __future__ import annotations

import itertools
import re
from dataclasses import fields
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from sso_sync.cli.app import app
from sso_sync.cli.groups import GitHubAuth, Writing
from sso_sync.cli.target_options import TargetOptions
from tests.support.world import World

# What a job does not take from push's options, and why.
NOT_FOR_A_JOB = {
    "dry_run": "a job writes",
    "as_json": "a job's output is its log",
    "min_remaining": "the job's own, from --every",
    "profile": "written by schedule itself (with $AWS_PROFILE resolved at install time)",
    "prefix": "written with the target block",
}
GROUP_PARAMETERS = {
    "api_url": GitHubAuth,
    "github_token_file": GitHubAuth,
    "concurrency": Writing,
    "timeout": Writing,
    "expiration_variable": Writing,
    "record_variable": Writing,
    "record_who": Writing,
}


def _parameters(name: str) -> list[str]:
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    return [p.name for p in command.params]


def test_every_push_option_belongs_to_a_group_a_job_carries_or_is_named_here() -> None:
    target_block = {f.name for f in fields(TargetOptions)}
    unclaimed = [
        name
        for name in _parameters("push")
        if name not in target_block and name not in GROUP_PARAMETERS and name not in NOT_FOR_A_JOB
    ]
    assert unclaimed == [], "give each a group in cli/groups.py (and its to_argv) or a reason"
    for name, group in GROUP_PARAMETERS.items():
        field_names = {f.name for f in fields(group)}
        assert name.removeprefix("github_") in field_names or name in field_names, name
    # schedule takes every grouped option too, so it can pass them on.
    assert set(GROUP_PARAMETERS) <= set(_parameters("schedule"))


def test_to_argv_round_trips_through_pushs_own_parser() -> None:
    writing = Writing(3, 45.0, "AWS_EXPIRY", "SSO_SYNC_RECORD", record_who=True)
    auth = GitHubAuth("https://ghe.example.com/api/v3", Path("/secure/gh-token"))
    command = typer.main.get_command(app).commands["push"]  # type: ignore[attr-defined]
    ctx = command.make_context("push", [*auth.to_argv(), *writing.to_argv()])
    params = ctx.params
    given = (params["api_url"], Path(params["github_token_file"]))
    assert given == (auth.api_url, auth.token_file)
    again = Writing(
        params["concurrency"],
        params["timeout"],
        params["expiration_variable"],
        params["record_variable"],
        params["record_who"],
    )
    assert again == writing
    assert Writing(8).to_argv() == []  # defaults stay out: a job reads as it was asked for


@pytest.mark.parametrize("backend", ["cron", "systemd", "launchd"])
def test_a_scheduled_job_carries_the_writing_options(
    backend: str, world: World, tmp_path: Path
) -> None:
    token = tmp_path / "gh-token"
    token.write_text("ghp_not_a_real_token_for_dry_runs_000000\n")
    token.chmod(0o600)
    pairs_given = [
        ("--expiration-variable", "AWS_EXPIRY"), ("--record-variable", "SSO_SYNC_RECORD"),
        ("--concurrency", "3"), ("--timeout", "45"),
    ]  # fmt: skip
    given = [word for pair in pairs_given for word in pair] + ["--record-who"]
    result = CliRunner().invoke(
        app,
        ["schedule", "install", "--repo", "octo-org/app", "-p", "ci", "--backend", backend,
         "--github-token-file", str(token), *given, "--dry-run"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    if backend == "launchd":
        words = re.findall(r"<string>(.*?)</string>", result.stdout)
    else:
        line = next(line for line in result.stdout.splitlines() if re.search(r'\bpush"? ', line))
        words = [w.strip('"') for w in line.split()]
    pairs = list(itertools.pairwise(words))
    assert [p for p in pairs_given if p not in pairs] == [], words
    assert "--record-who" in words


def test_the_target_block_round_trips_so_a_job_pushes_what_was_asked() -> None:
    """Every target option reaches the job (an --exclude or --user left out would push to more
    repositories, or to others, than the person asked); the App's options are written by
    `schedule` itself, which resolves the key's path."""
    given = TargetOptions(
        set_name=None,
        repo=["octo-org/svc-*", "octo-org/app"],
        env=["production"],
        org=["octo-org"],
        visibility="selected",
        selected_repo=["octo-org/app"],
        app_name="dependabot",
        config=Path("/etc/sso-sync.toml"),
        exclude=["svc-legacy*"],
        user=True,
    )
    command = typer.main.get_command(app).commands["push"]  # type: ignore[attr-defined]
    params = command.make_context("push", given.to_argv("CI_")).params
    app_fields = {"github_app_id", "github_app_key", "github_app_installation_id"}
    for field in fields(TargetOptions):
        if field.name in app_fields:
            continue
        back = params[field.name]
        wanted = getattr(given, field.name)
        if isinstance(back, tuple):
            back = list(back)
        if field.name == "config":
            back = Path(back)
        assert back == wanted, field.name
    assert params["prefix"] == "CI_"
