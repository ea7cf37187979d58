"""`status` and `verify` print STS refusals through one redaction: STS can quote the request
(IncompleteSignature quotes the Authorization header, access key ID included)."""

from __future__ import annotations

import json

from sso_sync.aws.sts_errors import redact
from tests.support.faults import sts_quoting_the_request
from tests.support.verify import sandbox_credentials
from tests.support.world import ACCOUNT, ROLE, World


def test_status_redacts_what_sts_quotes(world: World, run) -> None:
    world.seed_token()
    assert run("status", "--profile", "ci").exit_code == 0
    [issued] = world.sandbox.issued_credentials
    sts_quoting_the_request(world.sandbox, issued["accessKeyId"])
    result = run("status", "--profile", "ci", "--json")
    verdict = json.loads(result.stdout)["caller_identity"]["verdict"]
    assert verdict.startswith("STS refused the credentials: IncompleteSignature")
    assert "Credential=***/" in verdict
    assert issued["accessKeyId"] not in result.stdout + result.stderr
    assert "second line" not in verdict


def test_verify_redacts_the_same_way(world: World, run, monkeypatch) -> None:
    live = sandbox_credentials(world.sandbox, ACCOUNT, ROLE)
    for name, value in live.items():
        monkeypatch.setenv(name, value)
    sts_quoting_the_request(world.sandbox, live["AWS_ACCESS_KEY_ID"])
    result = run("verify", "--json")
    assert result.exit_code == 1
    assert "Credential=***/" in result.stdout
    assert live["AWS_ACCESS_KEY_ID"] not in result.stdout + result.stderr


def test_redact_hides_values_and_anything_shaped_like_a_key_id() -> None:
    assert redact("a SECRETVALUE b", ["SECRETVALUE", ""]) == "a *** b"
    assert redact("key ASIAZZZZZZZZZZZZZZZZ and AKIA1234567890ABCDEF", []) == "key *** and ***"
