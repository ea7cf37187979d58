"""Push as one use case (src/sso_sync/pushing.py), driven in process as `watch`, the scheduled
job and `demo` drive it: a context handed in (no patching), the real botocore and PyGithub
clients against the sandbox, and what gets pushed as a table of credential sources.

A second source row here (a made-up short-lived token) proves the table: its secret is sealed,
written and decrypted on the GitHub side like the role credentials, the state file keeps its own
expiry, and freshness follows the secret that expires first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

from typer.testing import CliRunner

from sso_sync.cli.app import app
from sso_sync.cli.context import Context
from sso_sync.cli.streams import Streams
from sso_sync.clients import command_deadline
from sso_sync.github.targets import Target, TargetSet
from sso_sync.keepfresh.state import VERSION, StateStore, target_key
from sso_sync.pushing import Push, PushRequest, PushSides
from sso_sync.sources import ROLE_CREDENTIALS, Credentials, IssuedSecret
from sso_sync.terminal import Quiet
from tests.support.world import World, assert_no_leak, issued_as_secrets

APP = Target("repo", "octo-org", "app")
SHORT = timedelta(minutes=12)


@dataclass(frozen=True)
class ShortLivedToken:
    """A row of the table that is not the role credentials: one secret, living 12 minutes."""

    key: ClassVar[str] = "test-token"
    value: str = "canary-short-lived-token-9b1d4c2e7f3a"

    def secret_names(self) -> tuple[str, ...]:
        return ("TEST_REGISTRY_TOKEN",)

    def fetch(self, credentials: Credentials, aws: Any) -> tuple[IssuedSecret, ...]:
        assert aws.profile.name == "ci"  # the profile's AWS side comes along for such calls
        expires = datetime.now(timezone.utc).replace(microsecond=0) + SHORT
        return (
            IssuedSecret("TEST_REGISTRY_TOKEN", self.value, min(expires, credentials.expiration)),
        )


def _push(world: World, ctx: Context, sets: tuple[TargetSet, ...], **options: Any) -> Any:
    with command_deadline(60) as deadline:
        sides = PushSides(
            aws=lambda p: ctx.aws(p, deadline=deadline),
            github=lambda: ctx.github(None, deadline),
            store=ctx.state_store(),
            terminal=ctx.terminal,
            now=ctx.now,
        )
        return Push(PushRequest(sets, deadline, 4, **options), sides).run()


def test_a_second_source_row_is_pushed_decrypted_and_keeps_its_own_expiry(world: World) -> None:
    import os

    world.seed_token()
    lines: list[str] = []
    ctx = Context(
        environ=dict(os.environ), terminal=Quiet(lines.append), streams=Streams(stdin_tty=False)
    )
    token = ShortLivedToken()
    sets = (TargetSet(None, "ci", "", (APP,), sources=(ROLE_CREDENTIALS, token)),)

    run = _push(world, ctx, sets)

    assert run.ok, run.failure()
    stored = {n: s.value for n, s in world.sandbox.secrets("repos/octo-org/app/actions").items()}
    assert stored == {**issued_as_secrets(world), "TEST_REGISTRY_TOKEN": token.value}
    record = ctx.state_store().read()[target_key(APP, "")]
    assert record.secrets is not None and set(record.secrets) == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "TEST_REGISTRY_TOKEN",
    }
    # The target's expiry is its first secret's: the 12-minute token, not the hour-long role.
    assert record.expires_at == record.secrets["TEST_REGISTRY_TOKEN"]
    assert record.secrets["AWS_SESSION_TOKEN"] > record.expires_at
    assert run.remaining[APP.label] is not None and run.remaining[APP.label] <= SHORT.seconds
    text = json.dumps(ctx.state_store().path.read_text()) + "\n".join(lines)
    assert_no_leak(text, world.secret_values() | {token.value})

    # Fresh by the role credentials (an hour), due by the token (12 min): pushed again.
    world.sandbox.clear_requests()
    again = _push(world, ctx, sets, min_remaining=timedelta(minutes=30))
    assert [h.outcome for h in again.held] == [] and again.results and again.results[0].ok
    # With 10 minutes asked, every secret has enough: fresh, and not one request anywhere.
    world.sandbox.clear_requests()
    fresh = _push(world, ctx, sets, min_remaining=timedelta(minutes=10))
    assert [h.outcome for h in fresh.held] == ["fresh"] and fresh.results == []
    assert world.sandbox.requests == []


def test_a_context_handed_to_the_cli_replaces_the_process_environment(
    world: World, monkeypatch: Any
) -> None:
    """The command reads the context's environment and speaks through its terminal: with the
    token only in the context (none in os.environ), the push works and its progress lines come
    to the handed-in terminal."""
    import os

    world.seed_token()
    environ = dict(os.environ)
    monkeypatch.delenv("GH_TOKEN")
    lines: list[str] = []
    ctx = Context(environ=environ, terminal=Quiet(lines.append), streams=Streams(stdin_tty=False))
    result = CliRunner().invoke(
        app, ["push", "--repo", "octo-org/app", "--repo", "octo-org/api", "-p", "ci"], obj=ctx
    )
    assert result.exit_code == 0, result.stderr
    assert "octo-org/app: AWS_ACCESS_KEY_ID created" in result.stdout
    assert "octo-org/api: AWS_ACCESS_KEY_ID created" in result.stdout
    # Two targets and no terminal: the CLI's own would print "[1/2] ..." on stderr.
    assert "[1/2]" not in result.stderr
    shown = CliRunner().invoke(
        app, ["push", "--repo", "octo-org/app", "--repo", "octo-org/api", "-p", "ci"],
        obj=Context(environ=environ, streams=Streams(stdin_tty=False)),
    )  # fmt: skip
    assert shown.exit_code == 0 and "[1/2]" in shown.stderr, shown.stderr
    without = CliRunner().invoke(app, ["push", "--repo", "octo-org/app", "-p", "ci"])
    assert without.exit_code == 2 and "GitHub" in without.stderr, without.stderr
    assert_no_leak(result.stdout + result.stderr + shown.stderr, world.secret_values())


def test_a_version_1_state_file_is_read_and_written_back_as_version_2(tmp_path: Path) -> None:
    """The state file's format changed (each secret's own expiry): an old file keeps working,
    its one expiry standing for every secret, and the next change migrates it in place."""
    v1 = {
        "version": 1,
        "targets": {
            target_key(APP, ""): {
                "target": "octo-org/app",
                "kind": "repo",
                "owner": "octo-org",
                "repo": "app",
                "environment": None,
                "app": "actions",
                "prefix": "",
                "outcome": "updated",
                "attempted_at": "2026-12-07T10:00:00Z",
                "pushed_at": "2026-12-07T10:00:00Z",
                "expires_at": "2026-12-07T11:00:00Z",
                "account_id": "111122223333",
                "role_name": "ci",
                "error": None,
            }
        },
        "jobs": {"sso-sync-a": {"at": "2026-12-07T10:00:00Z", "ok": True}},
    }
    store = StateStore(tmp_path)
    tmp_path.chmod(0o700)
    store.path.write_text(json.dumps(v1))
    store.path.chmod(0o600)
    record = store.read()[target_key(APP, "")]
    assert record.expires_at == "2026-12-07T11:00:00Z" and record.secrets is None
    moment = datetime(2026, 12, 7, 10, 30, tzinfo=timezone.utc)
    assert record.remaining_seconds(moment) == 1800
    store.record_job("sso-sync-b", {"at": "2026-12-07T10:05:00Z", "ok": True})
    data = json.loads(store.path.read_text())
    assert data["version"] == VERSION == 2
    assert data["targets"][target_key(APP, "")]["expires_at"] == "2026-12-07T11:00:00Z"
    assert set(data["jobs"]) == {"sso-sync-a", "sso-sync-b"}


def test_a_source_added_to_a_pushed_target_makes_it_due_at_once(world: World) -> None:
    """A job that gains a registry token (or any new row) pushes it on its next run, however
    long the role credentials it already pushed have left."""
    import os

    world.seed_token()
    ctx = Context(environ=dict(os.environ), terminal=Quiet(), streams=Streams(stdin_tty=False))
    roles_only = (TargetSet(None, "ci", "", (APP,)),)
    assert _push(world, ctx, roles_only).ok
    still_fresh = _push(world, ctx, roles_only, min_remaining=timedelta(minutes=10))
    assert [h.outcome for h in still_fresh.held] == ["fresh"]
    token = ShortLivedToken()
    widened = (TargetSet(None, "ci", "", (APP,), sources=(ROLE_CREDENTIALS, token)),)
    run = _push(world, ctx, widened, min_remaining=timedelta(minutes=10))
    assert run.held == [] and run.results and run.results[0].ok
    stored = world.sandbox.secrets("repos/octo-org/app/actions")
    assert stored["TEST_REGISTRY_TOKEN"].value == token.value


def test_a_state_file_from_a_newer_version_is_refused_not_rewritten(world: World, run) -> None:
    """Its unknown fields would be lost on the next write: exit 2 with the fix, file as it was."""
    import os

    from sso_sync.state_dir import state_dir

    world.seed_token()
    assert run("push", "--repo", "octo-org/app", "-p", "ci").exit_code == 0
    path = state_dir(os.environ) / "targets.json"
    newer = {**json.loads(path.read_text()), "version": 99, "future": {"kept": True}}
    path.write_text(json.dumps(newer))
    result = run("push", "--repo", "octo-org/app", "-p", "ci")
    assert result.exit_code == 2, result.stderr
    assert "written by a newer sso-sync (state version 99" in result.stderr
    assert json.loads(path.read_text()) == newer
