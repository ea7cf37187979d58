"""`push --record-variable NAME [--record-who]`: the audit note at the target."""

from __future__ import annotations

import json
import socket

from sso_sync import __version__
from tests.support.world import World, assert_no_leak, issued_as_secrets

REPO = "octo-org/app"
SCOPE = f"repos/{REPO}/actions"
VAR = "SSO_SYNC_PUSHED"


def test_the_record_says_when_and_until_when_and_nothing_secret(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", REPO, "-p", "ci", "--record-variable", VAR)
    assert result.exit_code == 0, result.stderr
    note = json.loads(world.sandbox.variables(SCOPE)[VAR])
    assert set(note) == {"pushed_at", "expires_at", "version"}
    assert note["expires_at"] == issued_as_secrets(world)["AWS_CREDENTIAL_EXPIRATION"]
    assert note["version"] == __version__
    # Nothing else was asked of AWS: no STS call without --record-who.
    assert [r.operation for r in world.sandbox.requests if r.service != "github"] == [
        "GetRoleCredentials"
    ]


def test_record_who_adds_the_role_the_person_and_the_host(world: World, run) -> None:
    world.seed_token()
    result = run("push", "--repo", REPO, "-p", "ci", "--record-variable", VAR, "--record-who")
    assert result.exit_code == 0, result.stderr
    text = world.sandbox.variables(SCOPE)[VAR]
    note = json.loads(text)
    assert note["pushed_by"] == world.sandbox.config.user_name  # the STS session name
    assert note["role_arn"].startswith("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ci_")
    assert not note["role_arn"].endswith(note["pushed_by"])
    assert note["host"] == socket.gethostname()
    assert_no_leak(text, world.secret_values())


def test_record_who_alone_and_an_organization_target_are_usage_errors(world: World, run) -> None:
    world.seed_token()
    alone = run("push", "--repo", REPO, "-p", "ci", "--record-who")
    assert alone.exit_code == 2 and "--record-who needs --record-variable" in alone.stderr
    org = run("push", "--org", "octo-org", "-p", "ci", "--record-variable", VAR)
    assert org.exit_code == 2 and "--record-variable: org octo-org is an organization" in org.stderr
    assert world.sandbox.requests == []


def test_the_help_and_readme_say_who_can_see_the_record(run) -> None:
    from pathlib import Path

    for command in ("push", "watch"):
        shown = " ".join(run(command, "--help").stdout.split())
        assert "Anyone who can read the repository's variables (and workflow logs) sees it" in (
            shown
        ), command
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    assert (
        "Anyone who can read the repository's variables (and its workflow logs) sees it" in readme
    )
