"""A push builds one GitHub client: the token check, the repository patterns, the scheduled job's
look for secrets changed elsewhere, the writes and the record variable all go through it (one
connection pool; with GitHub App auth one authorizer, one installation token per installation),
and it is closed once, at the end. Counted by a context whose GitHub factory counts the clients
it builds (cli/context.py), driving the real CLI against the sandbox."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sso_sync.cli.app import app
from sso_sync.cli.context import Context
from sso_sync.cli.streams import Streams
from sso_sync.sandbox import SandboxConfig
from sso_sync.terminal import Quiet
from tests.support.world import World, assert_no_leak, issued_as_secrets

APP_ID = "31337"
REPOS = ["octo-org/svc-a", "octo-org/svc-b", "other-org/tool"]


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        device_interval=0,
        repos={r: [] for r in REPOS},
        orgs=["octo-org", "other-org"],
        app_installations={"octo-org": 501, "other-org": 502},
    )


class CountingContext(Context):
    """The CLI's own context, counting the GitHub clients its factory builds and closes."""

    built: list[Any]

    def github_factory(self, *args: Any, **options: Any) -> Any:
        make = super().github_factory(*args, **options)

        def counted() -> Any:
            api = make()
            self.built.append(api)
            close = api.close
            api.closes = 0

            def counting_close() -> None:
                api.closes += 1
                close()

            api.close = counting_close
            return api

        return counted


def _push(world: World, argv: list[str], **environ: str) -> tuple[Any, CountingContext]:
    ctx = CountingContext(
        environ={**os.environ, "CI": "1", **environ},
        terminal=Quiet(lambda _line: None),
        streams=Streams(stdin_tty=False),
    )
    ctx.built = []
    result = CliRunner().invoke(app, ["push", *argv], obj=ctx)
    assert_no_leak(result.stdout + result.stderr, world.secret_values())
    assert result.exit_code == 0, result.stderr
    return result, ctx


def test_a_scheduled_push_with_patterns_and_a_record_builds_one_github_client(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GH_TOKEN", raising=False)  # the App alone
    world.seed_token()
    key = world.app_key_file(tmp_path)
    argv = ["-p", "ci", "--repo", "octo-org/svc-*", "--repo", "other-org/tool"]
    argv += ["--github-app-id", APP_ID, "--github-app-key", str(key)]
    _push(world, argv)  # this machine has written them: the job's look lists them
    world.sandbox.clear_requests()
    before = len(world.sandbox.minted_installation_tokens)

    _, ctx = _push(world, [*argv, "--record-variable", "SSO_SYNC_PUSHED"], SSO_SYNC_JOB="nightly")

    for repo in REPOS:
        stored = world.sandbox.secrets(f"repos/{repo}/actions")
        assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)
    paths = [(r.method, r.path) for r in world.sandbox.requests if r.service == "github"]
    assert ("GET", "/orgs/octo-org/installation") in paths or any(
        p.startswith("/installation/repositories") for _, p in paths
    )  # the pattern was listed
    listings = [p for m, p in paths if m == "GET" and p.endswith("/actions/secrets")]
    assert len(listings) == len(REPOS)  # the job's look for changes made elsewhere
    assert any(m == "POST" and p.endswith("/actions/variables") for m, p in paths)  # the record
    assert len(ctx.built) == 1  # token check, patterns, look, writes, record: one client
    assert ctx.built[0].closes >= 1
    minted = [i for i, _ in world.sandbox.minted_installation_tokens[before:]]
    assert sorted(minted) == [501, 502]  # one token per installation


def test_a_push_with_a_token_builds_one_github_client(world: World) -> None:
    world.seed_token()
    argv = ["-p", "ci", *(a for r in REPOS for a in ("--repo", r))]
    _, ctx = _push(world, [*argv, "--expiration-variable", "AWS_EXPIRES"])
    assert len(ctx.built) == 1


def test_each_watch_cycle_builds_one_github_client(world: World) -> None:
    """`watch`: one client to start (the token, the first list of repositories), then one per
    cycle for its listing, its look for changes made elsewhere and its push."""
    from datetime import timedelta

    from sso_sync.clients import checked_deadline
    from sso_sync.github.targets import RepoPattern, Target, TargetSet
    from sso_sync.keepfresh.cycles import WatchCycles
    from sso_sync.pushing import PushRequest, PushSides

    world.seed_token()
    ctx = Context(environ=dict(os.environ), terminal=Quiet(lambda _l: None))
    built: list[Any] = []

    def github(deadline: Any, app: Any) -> Any:
        built.append(ctx.github(None, deadline, app=app))
        return built[-1]

    tool = Target("repo", "other-org", "tool")
    sets = (TargetSet(None, "ci", "", (tool,), patterns=(RepoPattern("octo-org", "svc-*"),)),)
    request = PushRequest(sets, checked_deadline(60), 4, progress=False)
    sides = PushSides(
        aws=lambda p: ctx.aws(p, deadline=request.deadline),
        github=lambda: ctx.github(None, request.deadline),
        store=ctx.state_store(),
        terminal=ctx.terminal,
        now=ctx.now,
    )
    watch = WatchCycles(
        request=request,
        sides=sides,
        aws_for=lambda p, deadline: ctx.aws(p, deadline=deadline),
        github_for=github,
        given=sets,
        timeout=60,
        app=None,
        permissions={},
    )
    watch.start()
    assert len(built) == 1
    for cycle in (1, 2):  # the second lists the repositories again and looks at what it wrote
        world.sandbox.clear_requests()
        run = watch.run(timedelta(hours=2))  # every target due: pushed each cycle
        assert run.ok and len(run.results) == len(REPOS)
        assert len(built) == 1 + cycle
        paths = [r.path for r in world.sandbox.requests if r.service == "github"]
        assert any(p.endswith("/actions/secrets") for p in paths) == (cycle == 2)
    for repo in REPOS:
        stored = world.sandbox.secrets(f"repos/{repo}/actions")
        assert {n: s.value for n, s in stored.items()} == issued_as_secrets(world)
