"""IAM Identity Center answering something that is not role credentials (`{}`, a proxy's HTML,
an expiration that is negative, absurd or already past): one line naming the service and what
was wrong, exit 1, and nothing pushed or printed."""

from __future__ import annotations

import time

import pytest

from tests.support.world import World

REPO = "octo-org/app"
CREDENTIALS = r"^/federation/credentials$"


def role(expiration: object) -> dict:
    return {
        "roleCredentials": {
            "accessKeyId": "ASIAEXAMPLEEXAMPLE00",
            "secretAccessKey": "x" * 40,
            "sessionToken": "y" * 200,
            "expiration": expiration,
        }
    }


ANSWERS = {
    "empty object": ({}, "holds no credentials"),
    "no secret key": ({"roleCredentials": {"accessKeyId": "A"}}, "holds no credentials"),
    "negative expiration": (role(-1), "expired at 1969-12-31T23:59:59Z"),
    "absurd expiration": (role(10**20), "no usable expiration (out of range)"),
    "expiration as text": (role("soon"), "could not be read"),
    "already expired": (role(int((time.time() - 600) * 1000)), "before they could be used"),
    "a year from now": (role(int((time.time() + 365 * 86400) * 1000)), "out of range"),
}


@pytest.mark.parametrize(("body", "message"), list(ANSWERS.values()), ids=list(ANSWERS))
@pytest.mark.parametrize("command", ["push", "export"])
def test_a_malformed_role_credentials_answer_is_one_line(
    world: World, run, body: dict, message: str, command: str
) -> None:
    world.seed_token()
    world.sandbox.inject_fault("sso", "GET", CREDENTIALS, 200, times=-1, body=body)
    args = ["push", "--repo", REPO] if command == "push" else ["export"]
    result = run(*args, "--profile", "ci")
    assert result.exit_code == 1, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: IAM Identity Center")
    assert message in line
    if command == "push":
        assert world.sandbox.secrets(f"repos/{REPO}/actions") == {}
    else:
        assert result.stdout == ""


def test_an_html_answer_is_one_line(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "sso",
        "GET",
        CREDENTIALS,
        200,
        times=-1,
        headers={"Content-Type": "text/html"},
        raw_body=b"<!doctype html><title>Proxy sign-in</title>",
    )
    result = run("push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 1
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: IAM Identity Center")
    assert world.sandbox.secrets(f"repos/{REPO}/actions") == {}


def test_status_reports_a_malformed_answer_without_a_traceback(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault("sso", "GET", CREDENTIALS, 200, times=-1, body={})
    result = run("status", "--profile", "ci")
    assert result.exit_code == 1
    assert "holds no credentials" in result.stdout
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr
