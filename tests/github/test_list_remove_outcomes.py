"""The outcome words of `list` and `remove`, in process against the sandbox: a request the
deadline kept from being sent is `not-attempted` (never `failed`), in the listing and in the
deletes; and the CLI's reports of both commands (text and `--json`)."""

from __future__ import annotations

import json

from sso_sync import clients
from sso_sync.deadline import Deadline
from sso_sync.github.listing import list_managed
from sso_sync.github.removal import RemoveResult, apply_remove, plan_remove
from sso_sync.github.rest import GitHubApi
from sso_sync.github.targets import Target, TargetSet
from sso_sync.sandbox import Sandbox
from tests.support.world import World

APP = "octo-org/app"
SETS = (
    TargetSet(
        name=None,
        profile=None,
        prefix="",
        targets=(Target("repo", "octo-org", "app"), Target("repo", "octo-org", "api")),
    ),
)


def api_for(sandbox: Sandbox, deadline: Deadline | None = None) -> GitHubApi:
    return GitHubApi(
        requester_factory=lambda: clients.github_requester(
            sandbox.github_token, sandbox.github_url
        ),
        deadline=deadline,
    )


def test_a_listing_the_deadline_kept_from_being_sent_is_not_attempted(world: World) -> None:
    api = api_for(world.sandbox, Deadline(0))  # passed before the first request
    listings = list_managed(api, SETS, concurrency=1)
    assert [li.outcome for li in listings] == ["not-attempted", "not-attempted"]
    assert all("before it could be sent" in (li.error or "") for li in listings)
    assert world.sandbox.requests == []
    # `remove` reports such a target as its listing does.
    assert [RemoveResult(li).outcome for li in listings] == ["not-attempted", "not-attempted"]
    assert [RemoveResult(li).as_dict()["error"] for li in listings] == [li.error for li in listings]


def test_deletes_the_deadline_kept_from_being_sent_are_not_attempted(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--repo", APP, "--repo", "octo-org/api", "-p", "ci").exit_code == 0
    plan = plan_remove(list_managed(api_for(world.sandbox), SETS))
    assert plan.count == 8
    world.sandbox.clear_requests()
    results = apply_remove(api_for(world.sandbox, Deadline(0)), plan, concurrency=1)
    assert [r.outcome for r in results] == ["not-attempted", "not-attempted"]
    assert {o for r in results for _, o in r.outcomes} == {"not-attempted"}
    assert world.sandbox.requests == []
    assert len(world.sandbox.secrets(f"repos/{APP}/actions")) == 4


# --- the CLI's reports --------------------------------------------------------------------


def test_remove_json_says_ok_and_why_for_a_target_that_could_not_be_read(world: World, run) -> None:
    result = run("remove", "--repo", "nobody/none", "--yes", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    [target] = report["targets"]
    assert target["outcome"] == "failed" and target["ok"] is False
    assert "repository nobody/none not found" in target["error"]
    assert "nothing deleted" not in result.stderr
    assert "error: 1 of 1 target failed: nobody/none" in result.stderr


def test_remove_json_with_nothing_to_remove_says_ok_in_removes_words(world: World, run) -> None:
    result = run("remove", "--repo", APP, "--repo", "nobody/none", "--yes", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["dry_run"] is False
    by_target = {t["target"]: t for t in report["targets"]}
    assert by_target[APP]["outcome"] == "updated"  # none of the managed secrets is there
    assert by_target[APP]["ok"] is True
    assert by_target["nobody/none"]["error"] is not None
    assert "listed" not in result.stdout
    alone = run("remove", "--repo", APP, "--yes", "--json")
    assert alone.exit_code == 0
    assert json.loads(alone.stdout)["ok"] is True
    assert "nothing to remove" in alone.stderr


def test_remove_dry_run_json_says_ok(world: World, run) -> None:
    result = run("remove", "--repo", APP, "--repo", "nobody/none", "--dry-run", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["ok"] is False
    assert json.loads(run("remove", "--repo", APP, "--dry-run", "--json").stdout)["ok"] is True


def test_list_and_remove_failure_lines_name_the_target_once(world: World, run) -> None:
    for args in (("list",), ("remove", "--yes"), ("remove", "--dry-run")):
        result = run(*args, "--repo", "nobody/none")
        assert result.exit_code == 1
        [line] = result.stdout.splitlines()
        # The label, and the "repository ... not found" hint: not a second label.
        assert line.startswith("nobody/none: failed: listing secrets: repository nobody/none"), (
            args,
            line,
        )
