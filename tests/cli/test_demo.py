"""`sso-sync demo` end to end: it must pass, touch nothing of the user's, and print no secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from sso_sync.cli.app import app

# The demo's sandbox mints its own values, so look for their shapes rather than exact values.
SECRET_SHAPES = [
    re.compile(r"ASIA[A-Z0-9]{16}"),  # access key ids
    re.compile(r"ghp_sandbox\w+"),  # the sandbox's GitHub token
    re.compile(r"\bao[ar][\w-]{20,}"),  # SSO access and refresh tokens
    re.compile(r"(?<![\w/.-])[A-Za-z0-9+/]{40}(?![\w.])"),  # secret access keys
]


def test_demo_runs_the_main_line_and_leaks_nothing(isolated_env: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [s["name"] for s in report["secrets"]] == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "ECR_PASSWORD",  # a registry token, beside the credentials
    ]
    assert all(s["decrypts_to_issued"] and s["outcome"] == "created" for s in report["secrets"])
    assert report["caller_arn"].startswith("arn:aws:sts::111122223333:assumed-role/")
    for shape in SECRET_SHAPES:
        assert not shape.search(result.stdout + result.stderr), shape.pattern
    # The user's ~/.aws was never created.
    assert not (isolated_env / ".aws").exists()


def test_demo_human_output(isolated_env: Path) -> None:
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.stderr
    assert "decrypts to what SSO issued" in result.stdout
    assert "  ECR_PASSWORD: decrypts to what ECR issued" in result.stdout.splitlines()
    assert "demo passed" in result.stdout
    assert "sign-in: device code" in result.stderr
    # It ends with the next step: the README's "Try it by hand" (tests/cli/test_try_by_hand.py).
    assert result.stdout.splitlines()[-1] == (
        "next: drive each command yourself against the sandbox (`python -m sso_sync.sandbox`): "
        'see "Try it by hand" in the README'
    )


def test_demo_output_holds_none_of_the_values_its_sandbox_minted() -> None:
    from sso_sync.demo import run_demo
    from sso_sync.sandbox import Sandbox

    made: list[Sandbox] = []

    def make() -> Sandbox:
        made.append(Sandbox())
        return made[0]

    said: list[str] = []
    report = run_demo(said.append, make_sandbox=make)
    assert report["ok"] is True
    text = json.dumps(report) + "\n".join(said)
    sandbox = made[0]
    values = {sandbox.github_token}
    for cred in sandbox.issued_credentials:
        values |= {cred["accessKeyId"], cred["secretAccessKey"], cred["sessionToken"]}
    assert len(values) == 4
    assert not [v for v in values if v in text]


def test_demo_uses_its_own_sandbox_whatever_endpoints_the_shell_exports(
    isolated_env: Path, monkeypatch
) -> None:
    """A shell with another sandbox's environment loaded (as "Try it by hand" does) must not
    redirect the demo: botocore reads AWS_ENDPOINT_URL_* over the demo's `[services]`."""
    import os

    for name in ("AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # discard: nothing answers there
    monkeypatch.setenv("AWS_PROFILE", "not-the-demos")
    result = CliRunner().invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    assert os.environ["AWS_ENDPOINT_URL_STS"] == "http://127.0.0.1:9"  # given back afterwards
