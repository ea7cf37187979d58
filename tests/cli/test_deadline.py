"""`--timeout` bounds the whole command, whatever a peer does: a GitHub or IAM Identity Center
that never answers, or answers one byte every two seconds, ends the run by the deadline with
each target reported, exit 1. Upper bounds here grow with the machine's load
(tests/support/bounds.py): they check that the run ends, not how fast."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from sso_sync.sandbox import SandboxConfig
from tests.support.bounds import within
from tests.support.hostile import HostilePeer
from tests.support.world import NAMES, World

REPO = "octo-org/app"
DEADLINE = 3.0  # every --timeout here (seconds)


@pytest.fixture(params=["stall", "drip"])
def peer(request: pytest.FixtureRequest) -> Iterator[HostilePeer]:
    with HostilePeer(request.param, interval=2.0) as hostile:
        yield hostile


def timed(run, *args: str):
    started = time.monotonic()
    result = run(*args)
    return result, time.monotonic() - started


def test_push_ends_by_its_deadline_when_github_stalls(
    world: World, run, peer: HostilePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    monkeypatch.setenv("GITHUB_API_URL", peer.url)
    result, took = timed(run, "push", "--repo", REPO, "--profile", "ci", "--timeout", "3")
    assert took < within(DEADLINE), result.stderr
    assert result.exit_code == 1, result.stderr
    assert result.stdout.startswith(f"{REPO}: not-attempted: ")
    assert "--timeout deadline (3 s)" in result.stdout
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


def test_push_json_says_not_attempted(
    world: World, run, peer: HostilePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    monkeypatch.setenv("GITHUB_API_URL", peer.url)
    args = ("push", "-R", REPO, "-R", "octo-org/api", "-p", "ci", "--timeout", "3", "--json")
    result, took = timed(run, *args)
    assert took < within(DEADLINE) and result.exit_code == 1
    report = json.loads(result.stdout)
    assert [t["outcome"] for t in report["targets"]] == ["not-attempted", "not-attempted"]


@pytest.mark.parametrize("command", ["list", "remove"])
def test_list_and_remove_end_by_their_deadline(
    world: World, run, peer: HostilePeer, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", peer.url)
    extra = ["--yes"] if command == "remove" else []
    result, took = timed(run, command, "--repo", REPO, "--timeout", "3", *extra)
    assert took < within(DEADLINE), result.stderr
    assert result.exit_code == 1, result.stderr
    assert "deadline" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


@pytest.mark.parametrize("command", ["push", "status", "export", "login", "logout"])
def test_aws_commands_end_by_their_deadline_when_iam_identity_center_stalls(
    world: World, run, peer: HostilePeer, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    world.seed_token()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", peer.url)
    args = {
        "push": ["push", "--repo", REPO],
        "status": ["status"],
        "export": ["export"],
        "login": ["login"],  # checks the live token with ListAccounts first
        "logout": ["logout"],
    }
    result, took = timed(run, *args[command], "--profile", "ci", "--timeout", "3")
    assert took < within(DEADLINE), result.stderr
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    if command == "push":
        assert result.stdout.startswith(f"{REPO}: not-attempted: IAM Identity Center: ")
        assert world.sandbox.secrets(f"repos/{REPO}/actions") == {}


@pytest.fixture
def sandbox_config(request: pytest.FixtureRequest) -> SandboxConfig:
    if request.node.get_closest_marker("twenty_repos") is None:
        return SandboxConfig(device_interval=0)
    return SandboxConfig(device_interval=0, repos={f"octo-org/r{i:02}": [] for i in range(20)})


@pytest.mark.twenty_repos
def test_a_slow_github_leaves_the_rest_not_attempted_by_the_deadline(world: World, run) -> None:
    """20 repositories at 0.5 s a request, one at a time: about 50 s of work in a 3 s run."""
    world.seed_token()
    world.sandbox.set_latency(0.5)
    repos = [a for i in range(20) for a in ("--repo", f"octo-org/r{i:02}")]
    args = ("push", *repos, "--profile", "ci", "--timeout", "3", "--concurrency", "1", "--json")
    result, took = timed(run, *args)
    assert took < within(DEADLINE), result.stderr
    assert result.exit_code == 1
    outcomes = [t["outcome"] for t in json.loads(result.stdout)["targets"]]
    assert outcomes.count("not-attempted") >= 15, outcomes
    assert set(outcomes) <= {"created", "mixed", "failed", "not-attempted"}
    for i, outcome in enumerate(outcomes):
        stored = world.sandbox.secrets(f"repos/octo-org/r{i:02}/actions")
        if outcome == "created":
            assert sorted(stored) == sorted(NAMES)
        if outcome == "not-attempted":
            assert stored == {}


@pytest.mark.parametrize("peer", ["stall"], indirect=True)
def test_configure_ends_by_its_deadline_when_iam_identity_center_stalls(
    world: World, run, peer: HostilePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()  # signed in: the first network call is the account listing
    config = world.home / ".aws" / "config"
    before = config.read_bytes()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", peer.url)
    result, took = timed(
        run, "configure", "--session-name", "corp", "--profile", "p1", "--timeout", "3"
    )
    assert took < within(DEADLINE), result.stderr
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert config.read_bytes() == before  # nothing half-written


@pytest.mark.parametrize("peer", ["stall"], indirect=True)
def test_doctor_ends_by_its_deadline_when_iam_identity_center_stalls(
    world: World, run, peer: HostilePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", peer.url)
    result, took = timed(run, "doctor", "--repo", REPO, "--profile", "ci", "--timeout", "3")
    assert took < within(DEADLINE), result.stdout + result.stderr
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "✘ role credentials" in result.stdout
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
