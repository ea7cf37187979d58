"""What a new user meets first (issue 23, section 3): global flags wherever they are typed,
usage errors in the one `error:` style with a hint, and `-v` saying each thing once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from sso_sync.wording import expire_at
from tests.support.world import World

APP = "octo-org/app"


# --- global flags after the command -------------------------------------------------------


@pytest.mark.parametrize("flags", [("-v",), ("--verbose",), ("-vv",), ("--debug",)])
def test_global_flags_are_accepted_after_the_command(world: World, run, flags) -> None:
    world.seed_token()
    result = run("push", "--repo", APP, "--profile", "ci", *flags)
    assert result.exit_code == 0, result.stderr
    assert "GitHub token for" in result.stderr


def test_verbose_names_the_token_source_once(world: World, run) -> None:
    world.seed_token()
    result = run("-v", "push", "--repo", APP, "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("GitHub token for") == 1, result.stderr


def test_a_flag_after_double_dash_is_left_alone(world: World, run) -> None:
    result = run("list", "--repo", APP, "--", "-v")
    assert result.exit_code == 2
    assert "GitHub token for" not in result.stderr


# --- usage errors: one line, our style, the fix ------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("push", "--repo", APP, "--concurrency", "0"),
            "error: --concurrency must be 1 or more (got '0'): see `sso-sync push --help`",
        ),
        (
            ("list", "--repo", APP, "--concurrency", "101"),
            "error: --concurrency must be 100 or less (got '101'): see `sso-sync list --help`",
        ),
        (
            ("push", "--repo", APP, "--timeout", "soon"),
            "error: --timeout must be a whole number (got 'soon'): see `sso-sync push --help`",
        ),
        (("status", "--profile"), "error: --profile needs a value: see `sso-sync status --help`"),
        (
            ("push", "--bogus"),
            "error: no such option: --bogus (Possible options: --org, --user): "
            "see `sso-sync push --help`",
        ),
        (
            ("pussh",),
            "error: no such command 'pussh'. Did you mean 'push'? See `sso-sync --help`",
        ),
    ],
)
def test_usage_errors_are_one_error_line_naming_the_help(world: World, run, args, line) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == line + "\n"
    assert result.stdout == ""


@pytest.mark.parametrize("verb", ["push", "list", "remove", "schedule install"])
def test_an_option_followed_by_another_option_is_named_not_read_as_a_set(
    world: World, run, verb: str
) -> None:
    result = run(*verb.split(), "--repo", APP, "--env", "--profile", "ci")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: --env needs a value, but the option --profile follows it: "
        "give --env VALUE, then --profile"
    ), result.stderr
    assert "set name" not in result.stderr


# --- a missing AWS config file ------------------------------------------------------------


def test_a_missing_aws_config_file_is_named_as_missing(
    world: World, run, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "elsewhere" / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing))
    result = run("status", "--profile", "ci")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: profile 'ci' not found: the AWS config file {missing} does not exist: create "
        "it with `sso-sync configure --profile ci`, or point AWS_CONFIG_FILE at the file you use\n"
    )


# --- wording ------------------------------------------------------------------------------


def test_push_and_export_say_how_long_the_credentials_last(world: World, run) -> None:
    world.seed_token()
    pushed = run("push", "--repo", APP, "--profile", "ci")
    assert pushed.exit_code == 0, pushed.stderr
    assert re.search(
        r"^credentials for 111122223333/ci expire at \S+Z \((59|60) min left\)$",
        pushed.stdout,
        re.MULTILINE,
    ), pushed.stdout
    exported = run("export", "--profile", "ci", "--format", "ini")
    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout == ""  # as the README says: the one line is on stderr
    assert re.search(r"the credentials expire at \S+Z \((59|60) min left\)\n$", exported.stderr)


def test_expire_at_says_left_or_ago() -> None:
    at = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert expire_at(at, at - timedelta(hours=2, minutes=5)) == (
        "expire at 2026-01-01T12:00:00Z (2 h 5 min left)"
    )
    assert expire_at(at, at + timedelta(minutes=3)) == (
        "expired at 2026-01-01T12:00:00Z (3 min ago)"
    )


# --- watch and a repository that does not exist ------------------------------------------


def test_watch_does_not_retry_a_missing_repository_within_seconds(world: World) -> None:
    """End to end: GitHub's real 404 (the sandbox's) keeps the next cycle at its regular time."""
    import signal

    from tests.support.watch import Watch

    world.seed_token()
    with Watch("--repo", "nobody/none", "--repo", APP, "--profile", "ci") as watch:
        line = watch.next_line(timeout=60)
        watch.proc.send_signal(signal.SIGTERM)
        watch.finish()
    assert "FAILED 1 (nobody/none)" in line, line
    stamps = re.match(r"(\S+) cycle 1: .*; next run (\S+)$", line.strip())
    assert stamps is not None, line
    started, next_run = (datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ") for t in stamps.groups())
    assert next_run - started > timedelta(minutes=30), line
