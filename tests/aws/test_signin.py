"""`sso-sync login`, full: the browser flow with PKCE end to end against the sandbox, the choice
of flow, reuse of a live session, and client registrations cached as AWS CLI v2 caches them."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import stat
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit

import pytest

from sso_sync.aws.signin.flow import (
    Flow,
    FlowChoice,
    SignInUi,
    browser_unreachable_reason,
    choose_flow,
    sign_in,
)
from sso_sync.errors import AwsError, LoginRequired, UsageError
from tests.support.session import botocore_caller_identity
from tests.support.signin import FollowingBrowser, core
from tests.support.world import ACCOUNT, World, assert_no_leak

TOKEN_KEYS = {
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
}


def aws_cli_registration_name(world: World, scopes: list[str] | None, session: str | None) -> str:
    """AWS CLI v2's rule, spelled out independently (awscli/botocore/utils.py,
    BaseSSOTokenFetcher._registration_cache_key)."""
    args = {
        "tool": "botocore",
        "startUrl": world.sandbox.config.start_url,
        "region": world.sandbox.config.region,
        "scopes": scopes,
        "session_name": session,
    }
    return hashlib.sha1(json.dumps(args, sort_keys=True).encode()).hexdigest() + ".json"


class Ui:
    def __init__(self, browser: Any = None) -> None:
        self.said: list[str] = []
        self.urls: list[tuple[str, bool]] = []
        self.device_prompts: list[Any] = []
        self.ui = SignInUi(
            say=self.said.append,
            show_device_prompt=lambda prompt, opened: self.device_prompts.append(prompt),
            show_url=lambda url, opened: self.urls.append((url, opened)),
            open_browser=browser,
        )

    def text(self) -> str:
        return "\n".join(self.said + [u for u, _ in self.urls])


def oidc_calls(world: World) -> list[tuple[str, int]]:
    return [(r.operation, r.status) for r in world.sandbox.requests if r.service == "sso-oidc"]


# --- the browser flow, end to end -------------------------------------------------------------


def test_pkce_end_to_end_hits_the_callback_and_caches_a_token(world: World) -> None:
    c = core()
    sent: dict[str, dict[str, Any]] = {}
    c.oidc.meta.events.register(
        "before-call.sso-oidc.*",
        lambda params, model, **_: sent.__setitem__(model.name, json.loads(params["body"])),
    )
    browser = FollowingBrowser()
    ui = Ui(browser)

    result = sign_in(
        c.session, c.oidc, c.profile, c.cache, choice=FlowChoice(Flow.AUTH_CODE), ui=ui.ui
    )

    assert result.flow is Flow.AUTH_CODE and not result.reused
    # RegisterClient as AWS CLI v2 >= 2.22 sends it.
    register = sent["RegisterClient"]
    assert register["grantTypes"] == ["authorization_code", "refresh_token"]
    assert register["redirectUris"] == ["http://127.0.0.1/oauth/callback"]
    assert register["issuerUrl"] == world.sandbox.config.start_url
    assert register["scopes"] == ["sso:account:access"]
    assert register["clientType"] == "public"
    # The page the browser was sent to.
    [url] = browser.opened
    assert ui.urls == [(url, True)]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == world.sandbox.aws_url
    assert parts.path == "/authorize"
    query = parse_qsl(parts.query)
    assert [k for k, _ in query] == [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge_method",
        "scopes",
        "code_challenge",
    ]
    q = dict(query)
    assert q["response_type"] == "code" and q["code_challenge_method"] == "S256"
    assert q["scopes"] == "sso:account:access"
    assert uuid.UUID(q["state"]).version == 4
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/oauth/callback", q["redirect_uri"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", q["code_challenge"])  # S256, base64url, no '='
    # The browser landed on our callback server, which answered with the success page.
    assert browser.final_url.startswith(q["redirect_uri"] + "?code=")
    assert browser.status == 200 and "Signed in" in browser.body
    # CreateToken with the code, the verifier and the exact redirect URI; the sandbox checked
    # S256(verifier) == challenge and the redirect URI before answering 200.
    token_call = sent["CreateToken"]
    assert token_call["grantType"] == "authorization_code"
    assert token_call["redirectUri"] == q["redirect_uri"]
    assert len(token_call["codeVerifier"]) == 64
    assert oidc_calls(world) == [("RegisterClient", 200), ("Authorize", 302), ("CreateToken", 200)]
    # The token cache, in AWS CLI v2's format.
    cache = world.token_file("corp")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    entry = json.loads(cache.read_text())
    assert set(entry) == TOKEN_KEYS
    assert entry["expiresAt"].endswith("Z")
    assert_no_leak(ui.text(), world.secret_values() | {token_call["codeVerifier"]})


def test_pkce_token_is_used_by_botocore_itself(world: World) -> None:
    c = core()
    sign_in(
        c.session,
        c.oidc,
        c.profile,
        c.cache,
        choice=FlowChoice(Flow.AUTH_CODE),
        ui=Ui(FollowingBrowser()).ui,
    )
    assert botocore_caller_identity("ci")["Account"] == ACCOUNT


def test_forged_callbacks_are_ignored_and_the_real_one_completes(world: World) -> None:
    """Any local process can reach the callback port: requests without this sign-in's state
    (a forged code, a forged error, none at all) get 400 and do not end the wait."""
    forged: list[tuple[int, str]] = []

    def forge_first(location: str) -> str:
        parts = urlsplit(location)
        real = dict(parse_qsl(parts.query))
        for query in (
            {"code": "forged-code", "state": str(uuid.uuid4())},
            {"error": "access_denied", "state": "x" * len(real["state"])},
            {"code": "forged-code"},
            {"error": "access_denied"},
            {"code": "forged-code", "state": real["state"][:-1]},
        ):
            attacker = FollowingBrowser()
            attacker._get(
                urlunsplit(parts._replace(query="&".join(f"{k}={v}" for k, v in query.items()))),
                follow=True,
            )
            forged.append((attacker.status, attacker.body))
        return location

    c = core()
    browser = FollowingBrowser(tamper=forge_first)
    sign_in(
        c.session,
        c.oidc,
        c.profile,
        c.cache,
        choice=FlowChoice(Flow.AUTH_CODE),
        ui=Ui(browser).ui,
    )
    assert len(forged) == 5
    assert all(status == 400 and "Not this sign-in" in body for status, body in forged)
    assert browser.status == 200 and "Signed in" in browser.body
    assert world.token_file("corp").exists()
    assert [op for op, _ in oidc_calls(world)].count("CreateToken") == 1


def test_an_error_from_the_browser_is_reported_without_echoing_it(world: World) -> None:
    def deny(location: str) -> str:
        state = parse_qs(urlsplit(location).query)["state"][0]
        base = location.split("?", 1)[0]
        return f"{base}?error=access_denied&state={state}"

    c = core()
    with pytest.raises(AwsError, match=r"\(access_denied\)"):
        sign_in(
            c.session,
            c.oidc,
            c.profile,
            c.cache,
            choice=FlowChoice(Flow.AUTH_CODE),
            ui=Ui(FollowingBrowser(tamper=deny)).ui,
        )
    assert not world.token_file("corp").exists()


def test_no_answer_from_the_browser_gives_up_at_the_time_limit(world: World) -> None:
    c = core()
    ui = Ui(browser=lambda url: True)  # a browser that opens, but nobody signs in
    with pytest.raises(LoginRequired, match="--use-device-code"):
        sign_in(
            c.session,
            c.oidc,
            c.profile,
            c.cache,
            choice=FlowChoice(Flow.AUTH_CODE),
            ui=ui.ui,
            time_limit=0.5,
        )
    assert not world.token_file("corp").exists()
    # The callback server is gone: its port no longer answers.
    redirect = parse_qs(urlsplit(ui.urls[0][0]).query)["redirect_uri"][0]
    port = urlsplit(redirect).port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_no_browser_prints_the_url_and_waits_for_it(world: World) -> None:
    c = core()
    ui = Ui(browser=None)  # --no-browser: the person opens the URL themselves
    person = FollowingBrowser()
    shown: list[str] = []

    def show_url(url: str, opened: bool) -> None:
        assert not opened
        shown.append(url)
        person(url)  # the person pastes the URL into a browser on this computer

    ui_no_browser = SignInUi(
        say=ui.said.append,
        show_device_prompt=ui.ui.show_device_prompt,
        show_url=show_url,
        open_browser=None,
    )
    result = sign_in(
        c.session, c.oidc, c.profile, c.cache, choice=FlowChoice(Flow.AUTH_CODE), ui=ui_no_browser
    )
    assert not result.reused and len(shown) == 1 and person.status == 200


def test_the_authorize_url_follows_a_services_section_endpoint(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the config names the sandbox for sso-oidc: without it, the default AWS endpoint
    # (unreachable here) would be used and RegisterClient would fail.
    monkeypatch.delenv("AWS_ENDPOINT_URL_SSO_OIDC")
    config = world.home / ".aws" / "config"
    text = config.read_text().replace("[profile ci]\n", "[profile ci]\nservices = sandbox\n", 1)
    config.write_text(
        text + f"\n[services sandbox]\nsso_oidc =\n  endpoint_url = {world.sandbox.aws_url}\n"
    )
    c = core()
    browser = FollowingBrowser()
    sign_in(
        c.session, c.oidc, c.profile, c.cache, choice=FlowChoice(Flow.AUTH_CODE), ui=Ui(browser).ui
    )
    assert browser.opened[0].startswith(f"{world.sandbox.aws_url}/authorize?")
    assert world.token_file("corp").is_file()


BROWSER_SCRIPT = """\
import os, re, sys, urllib.error, urllib.request

class Manual(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

try:
    urllib.request.build_opener(Manual()).open(sys.argv[1], timeout=10)
    sys.exit(2)  # the authorize page must redirect
except urllib.error.HTTPError as exc:
    location = exc.headers["Location"]
with open(os.environ["SEEN_FILE"], "w") as seen:
    seen.write(location)
if os.environ.get("FORGE_STATE"):
    # Another local process answers first, with a forged state: it must be turned away.
    try:
        urllib.request.urlopen(re.sub("state=[^&]*", "state=forged", location), timeout=10)
        sys.exit(3)
    except urllib.error.HTTPError as exc:
        if exc.code != 400:
            sys.exit(3)
try:
    with urllib.request.urlopen(location, timeout=10) as page:
        sys.exit(0 if b"Signed in" in page.read() else 1)
except urllib.error.HTTPError:
    sys.exit(1)  # our callback refused the answer, as a browser would show its error page
"""


@pytest.mark.parametrize("forge", [False, True])
def test_cli_login_runs_the_browser_flow_with_a_real_browser_command(
    world: World, tmp_path: Path, forge: bool
) -> None:
    """`sso-sync login` as a user runs it: Python's webbrowser starts $BROWSER, a program that
    follows the redirect to our callback server (after, playing an attacker, a forged state)."""
    browser = tmp_path / "browser"
    browser.write_text(f"#!{sys.executable}\n{BROWSER_SCRIPT}")
    browser.chmod(0o755)
    seen = tmp_path / "seen"
    env = dict(os.environ, BROWSER=str(browser), SEEN_FILE=str(seen))
    if forge:
        env["FORGE_STATE"] = "1"
    sso_sync = Path(sys.executable).with_name("sso-sync")
    out = subprocess.run(
        # Debug logging on success too: nothing it logs may carry a secret or the code.
        [
            str(sso_sync),
            *([] if forge else ["--debug"]),
            "login",
            "--profile",
            "ci",
            "--use-auth-code",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    code = parse_qs(urlsplit(seen.read_text()).query)["code"][0]
    assert_no_leak(out.stdout + out.stderr, world.secret_values() | {code})
    assert "Traceback" not in out.stderr
    assert out.returncode == 0, out.stderr
    assert "Your browser has been opened" in out.stderr
    assert "Signed in to sso-session 'corp' (profile 'ci')" in out.stderr
    assert [op for op, _ in oidc_calls(world)] == ["RegisterClient", "Authorize", "CreateToken"]
    assert set(json.loads(world.token_file("corp").read_text())) == TOKEN_KEYS


# --- choosing the flow ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "platform", "docker", "reason"),
    [
        ({"CI": "true", "DISPLAY": ":0"}, "linux", False, "CI is set"),
        ({"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22", "DISPLAY": ":0"}, "linux", False, "SSH"),
        ({"SSH_TTY": "/dev/pts/1"}, "darwin", False, "SSH"),
        ({"DISPLAY": ":0"}, "linux", True, "/.dockerenv"),
        ({}, "linux", False, "no graphical display"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False, None),
        ({"DISPLAY": ":0"}, "linux", False, None),
        ({}, "darwin", False, None),
        ({}, "win32", False, None),
    ],
)
def test_where_a_browser_cannot_reach_the_loopback_callback(
    environ: dict[str, str], platform: str, docker: bool, reason: str | None
) -> None:
    found = browser_unreachable_reason(
        environ, platform=platform, exists=lambda path: docker and path == "/.dockerenv"
    )
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_flow_choice_rules(world: World) -> None:
    ci, legacy = core("ci").profile, core("legacy").profile
    desktop = {"DISPLAY": ":0"}
    ssh = {"SSH_TTY": "/dev/pts/0", "DISPLAY": ":0"}

    def choose(profile: Any, environ: dict[str, str], **flags: bool) -> FlowChoice:
        flags = {"use_device_code": False, "use_auth_code": False, **flags}
        return choose_flow(
            profile, environ=environ, platform="linux", exists=lambda p: False, **flags
        )

    assert choose(ci, desktop) == FlowChoice(Flow.AUTH_CODE)
    assert choose(ci, desktop, use_device_code=True) == FlowChoice(Flow.DEVICE_CODE)
    headless = choose(ci, ssh)
    assert headless.flow is Flow.DEVICE_CODE and headless.headless
    assert "SSH" in (headless.note or "") and "--use-auth-code" in (headless.note or "")
    assert choose(ci, ssh, use_auth_code=True) == FlowChoice(Flow.AUTH_CODE)
    old = choose(legacy, desktop)
    assert old.flow is Flow.DEVICE_CODE and "no sso_session" in (old.note or "")
    with pytest.raises(UsageError, match="sso-session"):
        choose(legacy, desktop, use_auth_code=True)
    with pytest.raises(UsageError, match="exclude each other"):
        choose(ci, desktop, use_auth_code=True, use_device_code=True)


def test_headless_fallback_uses_a_device_code_and_says_why(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.10 50000 192.0.2.20 22")
    result = run("login", "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert "Signing in with a device code: this is an SSH session" in result.stderr
    assert "confirm the code" in result.stderr
    # Nothing tried to open a browser for a person who is not at this machine's screen.
    assert "browser has been opened" not in result.stderr
    assert [op for op, _ in oidc_calls(world)][:2] == ["RegisterClient", "StartDeviceAuthorization"]
    assert "Authorize" not in [op for op, _ in oidc_calls(world)]


def test_legacy_profile_and_conflicting_flags(world: World, run) -> None:
    bad = run("login", "--profile", "legacy", "--use-auth-code")
    assert bad.exit_code == 2 and "no sso_session" in bad.stderr
    assert "Traceback" not in bad.stderr
    both = run("login", "--profile", "ci", "--use-auth-code", "--use-device-code")
    assert both.exit_code == 2 and "exclude each other" in both.stderr
    assert world.sandbox.requests == []


# --- reuse and --force --------------------------------------------------------------------------


def test_a_live_session_is_reused_without_any_prompt(world: World, run) -> None:
    seeded = world.seed_token(expires_in=3600)
    result = run("login", "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert (
        "Already signed in to sso-session 'corp' (profile 'ci')" in result.stderr
        and "--force" in result.stderr
    )
    assert "code" not in result.stderr.replace("--use-device-code", "")
    # One check that the server still takes it, and no sign-in.
    assert [(r.operation, r.status) for r in world.sandbox.requests] == [("ListAccounts", 200)]
    assert json.loads(world.token_file("corp").read_text()) == seeded


def test_a_session_due_for_refresh_is_refreshed_silently_not_signed_in_again(
    world: World, run
) -> None:
    seeded = world.seed_token(expires_in=60)
    result = run("login", "--profile", "ci")
    assert result.exit_code == 0, result.stderr
    assert "Already signed in" in result.stderr
    assert oidc_calls(world) == [("CreateToken", 200)]  # the refresh, no sign-in
    assert json.loads(world.token_file("corp").read_text())["accessToken"] != seeded["accessToken"]


def test_force_signs_in_again(world: World, run) -> None:
    seeded = world.seed_token(expires_in=3600)
    result = run("login", "--profile", "ci", "--force", "--use-device-code", "--no-browser")
    assert result.exit_code == 0, result.stderr
    assert "Signed in to sso-session 'corp' (profile 'ci')" in result.stderr
    assert "StartDeviceAuthorization" in [op for op, _ in oidc_calls(world)]
    entry = json.loads(world.token_file("corp").read_text())
    assert entry["accessToken"] != seeded["accessToken"]


def test_an_expired_unrefreshable_session_runs_the_flow(world: World, run) -> None:
    world.seed_token(expires_in=-60, refreshable=False)
    result = run("login", "--profile", "ci", "--use-device-code", "--no-browser")
    assert result.exit_code == 0, result.stderr
    assert "Already signed in" not in result.stderr
    assert "StartDeviceAuthorization" in [op for op, _ in oidc_calls(world)]


# --- client registrations -----------------------------------------------------------------------


def test_registration_file_is_named_and_reused_as_aws_cli_v2_does(world: World, run) -> None:
    name = aws_cli_registration_name(world, ["sso:account:access"], "corp")
    registration = world.sso_cache / name

    assert run("login", "--profile", "ci", "--use-device-code", "--no-browser").exit_code == 0
    device = json.loads(registration.read_text())
    assert stat.S_IMODE(registration.stat().st_mode) == 0o600
    assert set(device) == {"clientId", "clientSecret", "expiresAt", "scopes"}
    assert device["expiresAt"].endswith("Z") and "grantTypes" not in device

    world.sandbox.clear_requests()
    again = run("login", "--profile", "ci", "--force", "--use-device-code", "--no-browser")
    assert again.exit_code == 0, again.stderr
    ops = [op for op, _ in oidc_calls(world)]
    assert "RegisterClient" not in ops and "StartDeviceAuthorization" in ops
    assert json.loads(world.token_file("corp").read_text())["clientId"] == device["clientId"]

    # The browser flow needs a registration with its grant types: it registers anew...
    world.sandbox.clear_requests()
    c = core()
    sign_in(
        c.session,
        c.oidc,
        c.profile,
        c.cache,
        choice=FlowChoice(Flow.AUTH_CODE),
        force=True,
        ui=Ui(FollowingBrowser()).ui,
    )
    assert oidc_calls(world)[0][0] == "RegisterClient"
    browser_reg = json.loads(registration.read_text())
    assert browser_reg["grantTypes"] == ["authorization_code", "refresh_token"]
    assert browser_reg["clientId"] != device["clientId"]
    # ...and reuses that one next time.
    world.sandbox.clear_requests()
    c = core()
    sign_in(
        c.session,
        c.oidc,
        c.profile,
        c.cache,
        choice=FlowChoice(Flow.AUTH_CODE),
        force=True,
        ui=Ui(FollowingBrowser()).ui,
    )
    assert [op for op, _ in oidc_calls(world)] == ["Authorize", "CreateToken"]
    # Only client registrations and the token: nothing else was written.
    stems = sorted(p.name for p in world.sso_cache.glob("*.json"))
    assert stems == sorted([name, world.token_file("corp").name])


def test_a_registration_within_15_minutes_of_expiry_is_replaced(world: World, run) -> None:
    assert run("login", "--profile", "ci", "--use-device-code", "--no-browser").exit_code == 0
    registration = world.sso_cache / aws_cli_registration_name(
        world, ["sso:account:access"], "corp"
    )
    entry = json.loads(registration.read_text())
    soon = datetime.now(timezone.utc) + timedelta(minutes=14)
    registration.write_text(json.dumps(entry | {"expiresAt": soon.strftime("%Y-%m-%dT%H:%M:%SZ")}))
    world.sandbox.clear_requests()
    assert (
        run("login", "--profile", "ci", "--force", "--use-device-code", "--no-browser").exit_code
        == 0
    )
    assert oidc_calls(world)[0][0] == "RegisterClient"
    assert json.loads(registration.read_text())["clientId"] != entry["clientId"]


def test_registration_key_without_configured_scopes_and_for_legacy_profiles(
    world: World, run
) -> None:
    config = world.home / ".aws" / "config"
    config.write_text(
        config.read_text().replace("sso_registration_scopes = sso:account:access\n", "")
    )
    assert run("login", "--profile", "ci", "--use-device-code", "--no-browser").exit_code == 0
    # Not configured: the AWS CLI keys on null, though it registers the default scope.
    assert (world.sso_cache / aws_cli_registration_name(world, None, "corp")).is_file()
    assert run("login", "--profile", "legacy", "--no-browser").exit_code == 0
    assert (world.sso_cache / aws_cli_registration_name(world, None, None)).is_file()


def test_configure_signs_in_with_a_device_code_when_asked(
    world: World, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")  # a desktop, where the default would be the browser
    result = run(
        "configure",
        "--session-name",
        "corp",
        "--account-id",
        ACCOUNT,
        "--role-name",
        "Deployer",
        "--profile",
        "deployer",
        "--use-device-code",
        "--no-browser",
    )
    assert result.exit_code == 0, result.stderr
    assert "confirm the code" in result.stderr and "Signing in with" not in result.stderr
    assert [op for op, _ in oidc_calls(world)][:2] == ["RegisterClient", "StartDeviceAuthorization"]
    # The registration is filed under the scopes configure writes to the config.
    assert (
        world.sso_cache / aws_cli_registration_name(world, ["sso:account:access"], "corp")
    ).is_file()
