"""Canaries for the paths a secret could take besides our own messages: `--debug` tracebacks
of third-party exceptions, third-party loggers, STS error messages that quote the request,
the sign-in callback server's error printing, and a malformed answer from GitHub."""

from __future__ import annotations

import sys

import pytest
import typer
from typer.testing import CliRunner

import sso_sync.cli.app as cli
from sso_sync.action.verify import Checks, EnvCredentials, StsAnswer, judge
from sso_sync.aws.signin.auth_code import CallbackServer
from sso_sync.errors import ConfigError
from tests.support.world import World, assert_no_leak

REPO = "octo-org/app"
CANARY = "canary-SECRET-0123456789abcdef"


def app_raising(exc_factory) -> typer.Typer:
    """A one-command app behind the real error mapping and logging setup of the CLI."""
    test_app = typer.Typer(pretty_exceptions_show_locals=False)
    test_app.callback()(cli.main_options)

    @test_app.command()
    @cli.errors_to_exit_codes
    def boom() -> None:
        exc_factory()

    return test_app


def raise_unexpected() -> None:
    raise ValueError(f"Invalid type for parameter accessToken, value: {CANARY}")


def raise_ours_from_theirs() -> None:
    try:
        raise_unexpected()
    except ValueError:
        raise ConfigError("the profile is broken: fix it") from None


def raise_ours_during_theirs() -> None:
    try:
        raise_unexpected()
    except ValueError:
        raise ConfigError("the profile is broken: fix it")  # the context is the point


@pytest.mark.parametrize(
    ("raiser", "inner_shown"),
    [(raise_unexpected, True), (raise_ours_from_theirs, False), (raise_ours_during_theirs, True)],
)
@pytest.mark.parametrize("flags", [["--debug"], ["-vv"]])
def test_debug_tracebacks_show_frames_and_types_but_no_message(raiser, inner_shown, flags) -> None:
    result = CliRunner().invoke(app_raising(raiser), [*flags, "boom"])
    assert result.exit_code in (1, 2)
    assert CANARY not in result.stdout + result.stderr
    assert "Traceback (most recent call last)" in result.stderr  # the frames are still there
    assert ("ValueError (message withheld)" in result.stderr) is inner_shown
    assert ("in raise_unexpected" in result.stderr) is inner_shown
    assert result.stderr.count("error: ") == 1


def test_push_under_debug_prints_only_our_own_loggers(world: World, run) -> None:
    """A silent refresh (botocore), role credentials, then a 401 from GitHub (PyGithub): the
    third-party loggers stay quiet, whatever -vv and --debug do to ours."""
    world.seed_token(expires_in=60)  # inside botocore's refresh window
    world.sandbox.inject_fault("github", "GET", "/public-key$", 401)
    result = run("-vv", "--debug", "push", "--repo", REPO, "--profile", "ci")
    assert result.exit_code == 1, result.stderr
    assert "DEBUG sso_sync" in result.stderr
    for line in result.stderr.splitlines():
        assert not line.startswith(("DEBUG", "INFO", "WARNING")) or " sso_sync" in line, line
    for noisy in ("botocore", "urllib3", "github.Requester", "Authorization"):
        assert noisy not in result.stderr


def test_sts_messages_that_quote_the_request_are_redacted(world: World) -> None:
    """STS's refusal text can quote the request, credentials and all: whichever client asked
    (botocore here, the AWS CLI in the action's fast path), the verdict redacts it."""
    credentials = EnvCredentials(
        access_key_id="AKIACANARY0123456789",
        secret_access_key=CANARY,
        session_token="session-" + CANARY,
        expiration=None,
        region="us-east-1",
    )
    quoted = (
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization=AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/20261126, "
        f"X-Amz-Security-Token={credentials.session_token}"
    )
    answer = StsAnswer(error_code="IncompleteSignature", error_message=quoted)
    verdict = judge(answer, credentials, Checks(), push_command="sso-sync push")
    assert not verdict.valid
    assert "IncompleteSignature" in verdict.message
    assert "***" in verdict.message
    assert_no_leak(str(verdict.as_dict()), set(credentials.secret_values()))


def test_the_callback_server_prints_no_traceback_of_a_failed_answer(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    ours = logging.getLogger("sso_sync")
    handler = logging.StreamHandler(sys.stderr)  # capsys's stderr, as the CLI sets it up
    monkeypatch.setattr(ours, "handlers", [handler])
    monkeypatch.setattr(ours, "level", logging.DEBUG)
    with CallbackServer("state") as callback:
        try:
            raise BrokenPipeError(f"while answering /oauth/callback?code={CANARY}")
        except BrokenPipeError:
            # What socketserver calls when a handler raises (a browser hanging up mid-answer).
            callback._server.handle_error(None, ("127.0.0.1", 1))
    captured = capsys.readouterr()
    assert captured.err == "the sign-in callback failed to answer a request\n"
    assert CANARY not in captured.out


def test_a_malformed_public_key_fails_that_target_only(world: World, run) -> None:
    world.seed_token()
    world.sandbox.inject_fault(
        "github",
        "GET",
        f"/repos/{REPO}/actions/secrets/public-key$",
        200,
        body={"key_id": "1", "key": "bm90IGEga2V5"},
    )
    result = run("push", "--repo", REPO, "--repo", "octo-org/api", "--profile", "ci")
    assert result.exit_code == 1, result.stderr
    assert "is not a public key" in result.stdout
    assert "unexpected" not in result.stderr
    assert len(world.sandbox.secrets("repos/octo-org/api/actions")) == 4
    # Refused before any sealing: not one PUT reached that repository (the sandbox would have
    # refused a value sealed to a bad key anyway, so its empty store alone proves nothing).
    puts = [r.path for r in world.sandbox.requests if r.method == "PUT"]
    assert [p for p in puts if p.startswith(f"/repos/{REPO}/")] == []
    assert len(puts) == 4
    assert sys.modules.get("sso_sync.cli.app") is cli
