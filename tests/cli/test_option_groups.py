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

from sso_sync import source_table
from sso_sync.cli.app import app
from sso_sync.cli.groups import GitHubAuth, Notifying, Sources, Writing
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
    "notify_url_file": Notifying,
    "notify_issue": Notifying,
    "ecr": Sources,
    "codeartifact": Sources,
    "codeartifact_owner": Sources,
    "codeartifact_duration": Sources,
    "region": Sources,
    "no_role_credentials": Sources,
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
        field_names = (
            {s.field for s in source_table.options()}  # the source kinds' settings
            if group is Sources
            else {f.name for f in fields(group)}
        )
        short = name.removeprefix("github_").removeprefix("notify_")
        assert short in field_names or name in field_names, name
    # schedule takes every grouped option too, so it can pass them on.
    assert set(GROUP_PARAMETERS) <= set(_parameters("schedule"))


# Each group's fields and the push option each one is; a sample with every field off its default.
PARAM_OF: dict[type, dict[str, str]] = {
    GitHubAuth: {"api_url": "api_url", "token_file": "github_token_file"},
    Writing: {
        name: name
        for name in (
            "concurrency", "timeout", "expiration_variable", "record_variable", "record_who"
        )
    },
    Notifying: {"url_file": "notify_url_file", "issue": "notify_issue"},
}  # fmt: skip
SAMPLES: dict[type, object] = {
    GitHubAuth: GitHubAuth("https://ghe.example.com/api/v3", Path("/secure/gh-token")),
    Writing: Writing(3, 45.0, "AWS_EXPIRY", "SSO_SYNC_RECORD", record_who=True),
    Notifying: Notifying(Path("/secure/hook-url"), "octo-org/app"),
}


@pytest.mark.parametrize("group", list(PARAM_OF), ids=lambda g: g.__name__)
def test_every_field_of_a_group_round_trips_through_pushs_own_parser(group: type) -> None:
    """A field added to a group without its line in `to_argv` (or without its push option
    named here) fails: the scheduled job would silently lose it."""
    assert set(PARAM_OF[group]) == {f.name for f in fields(group)}
    sample = SAMPLES[group]
    assert [f.name for f in fields(group) if getattr(sample, f.name) == f.default] == []
    command = typer.main.get_command(app).commands["push"]  # type: ignore[attr-defined]
    params = command.make_context("push", sample.to_argv()).params  # type: ignore[attr-defined]
    back = {}
    for name, option in PARAM_OF[group].items():
        value = params[option]
        back[name] = Path(value) if isinstance(getattr(sample, name), Path) else value
    assert group(**back) == sample


def test_defaults_stay_out_of_a_jobs_command_line() -> None:
    assert Writing(8).to_argv() == []  # a job reads as it was asked for
    assert Notifying().to_argv() == []
    assert GitHubAuth().to_argv() == []


def test_a_scheduled_job_gets_the_webhook_files_path_never_the_url(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "gh-token"
    token.write_text("ghp_not_a_real_token_for_dry_runs_000000\n")
    hook = tmp_path / "hook-url"
    hook.write_text("https://hooks.example.com/services/canary-webhook-path\n")
    for path in (token, hook):
        path.chmod(0o600)
    monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", "https://hooks.example.com/env-canary-path")
    result = CliRunner().invoke(
        app,
        ["schedule", "install", "--repo", "octo-org/app", "-p", "ci", "--backend", "cron",
         "--github-token-file", str(token), "--notify-url-file", str(hook),
         "--notify-issue", "octo-org/app", "--dry-run"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if re.search(r'\bpush"? ', line))
    words = [w.strip('"') for w in line.split()]
    pairs = list(itertools.pairwise(words))
    assert ("--notify-url-file", str(hook.resolve())) in pairs
    assert ("--notify-issue", "octo-org/app") in pairs
    assert "canary" not in result.stdout.replace(str(hook.resolve()), "")
    assert "env-canary-path" not in result.stdout + result.stderr


def test_the_sources_round_trip_so_a_job_pushes_the_registry_tokens() -> None:
    given = Sources.of(
        ecr=True,
        codeartifact="corp",
        codeartifact_owner="444455556666",
        codeartifact_duration=3600,
        region="eu-west-1",
        no_role_credentials=True,
    )
    assert len(given.values) == len(source_table.options())  # every setting off its default
    command = typer.main.get_command(app).commands["push"]  # type: ignore[attr-defined]
    params = command.make_context("push", given.to_argv()).params
    assert Sources.of(**{s.field: params[s.field] for s in source_table.options()}) == given
    assert Sources().to_argv() == []
    for name in ("watch", "schedule", "list", "remove"):
        assert {s.field for s in source_table.options()} <= set(_parameters(name)), name


def test_the_source_block_is_built_from_what_each_kind_declares() -> None:
    """Flag, metavar and help come from the kind's OptionSpec: nothing to declare twice."""
    command = typer.main.get_command(app).commands["push"]  # type: ignore[attr-defined]
    params = {p.name: p for p in command.params}
    for spec in source_table.options():
        option = params[spec.field]
        assert (option.opts, option.help) == ([spec.flag], spec.help), spec.flag
        assert option.is_flag == (spec.kind is bool), spec.flag
        assert (option.metavar or "") == spec.metavar, spec.flag


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
    given = [word for pair in pairs_given for word in pair] + ["--record-who", "--ecr"]
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
    assert "--ecr" in words  # the source group reaches the job


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


def test_schedule_says_the_job_does_not_get_the_url_from_the_environment(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "gh-token"
    token.write_text("ghp_not_a_real_token_for_dry_runs_000000\n")
    token.chmod(0o600)
    monkeypatch.setenv("SSO_SYNC_NOTIFY_URL", "https://hooks.example.com/env-canary-path")
    result = CliRunner().invoke(
        app,
        ["schedule", "install", "--repo", "octo-org/app", "-p", "ci", "--backend", "cron",
         "--github-token-file", str(token), "--dry-run"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "the job does not get $SSO_SYNC_NOTIFY_URL" in result.stderr
    assert "env-canary-path" not in result.stdout + result.stderr
