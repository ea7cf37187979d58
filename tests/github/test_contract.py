"""Contract tests: our GitHub requests checked by Prism against GitHub's own OpenAPI description.

Every request goes through `prism proxy --errors` (see `prism_support.py`) to the session's
sandbox. A request that breaks GitHub's description gets Prism's 422 and fails the test with
Prism's validation messages; a sandbox answer GitHub could not give fails it too. Each test also
checks that its requests reached the sandbox and that the secrets decrypt there.

To put a new CLI command under contract, add one `cli_case(...)` line to `CLI_CASES`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sso_sync.github.rest import REQUEST_HEADERS, Response, seal
from sso_sync.sandbox import Sandbox
from tests.support.prism import Contract, Prism
from tests.support.world import World

# The first test also waits for Prism to load GitHub's description (up to 2 minutes on a
# loaded machine): more than the per-test limit of pyproject.toml allows.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

CREDENTIAL_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)


@pytest.fixture
def sandbox(contract_sandbox: Sandbox) -> Sandbox:
    """The session's sandbox behind Prism, in place of conftest's per-test one, so that `world`
    and `run` work unchanged. Tests keep apart by giving their secrets a per-test prefix."""
    return contract_sandbox


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8].upper()
    return f"C{digest}_"


@pytest.fixture
def contract(prism: Prism, world: World, monkeypatch: pytest.MonkeyPatch) -> Contract:
    monkeypatch.setenv("GITHUB_API_URL", prism.url)
    return Contract(prism, world.sandbox.github_token)


# --- CLI commands, end to end ---------------------------------------------------------------


@dataclass(frozen=True)
class CliCase:
    argv: tuple[str, ...]  # "{prefix}" is replaced by the test's own secret-name prefix
    lands_in: tuple[str, ...] = ()  # sandbox scopes that must then hold the credentials
    gone_from: tuple[str, ...] = ()  # sandbox scopes that must then hold none of them
    before: tuple[tuple[str, ...], ...] = ()  # commands run first (not under contract)


def cli_case(
    *argv: str,
    lands_in: tuple[str, ...] = (),
    gone_from: tuple[str, ...] = (),
    before: tuple[tuple[str, ...], ...] = (),
    id: str | None = None,
) -> Any:
    return pytest.param(CliCase(argv, lands_in, gone_from, before), id=id or " ".join(argv[:2]))


PUSH_APP = ("push", "--repo", "octo-org/app", "--profile", "ci", "--prefix", "{prefix}")

CLI_CASES = [
    cli_case(*PUSH_APP, lands_in=("repos/octo-org/app/actions",), id="push-repo"),
    cli_case(
        "push",
        "--repo",
        "octo-org/app",
        "--repo",
        "octo-org/api",
        "--profile",
        "ci",
        "--prefix",
        "{prefix}",
        lands_in=("repos/octo-org/app/actions", "repos/octo-org/api/actions"),
        id="push-two-repos",
    ),
    cli_case(*PUSH_APP, "--dry-run", before=(PUSH_APP,), id="push-dry-run"),
    cli_case(
        *PUSH_APP,
        "--env",
        "production",
        lands_in=("repos/octo-org/app/environments/production",),
        id="push-env",
    ),
    cli_case(
        *PUSH_APP,
        "--app",
        "dependabot",
        lands_in=("repos/octo-org/app/dependabot",),
        id="push-dependabot",
    ),
    cli_case(
        "push",
        "--org",
        "octo-org",
        "--profile",
        "ci",
        "--prefix",
        "{prefix}",
        lands_in=("orgs/octo-org/actions",),
        id="push-org-private",
    ),
    cli_case(
        "push",
        "--org",
        "octo-org",
        "--visibility",
        "all",
        "--profile",
        "ci",
        "--prefix",
        "{prefix}",
        lands_in=("orgs/octo-org/actions",),
        id="push-org-all",
    ),
    cli_case(
        "push",
        "--org",
        "octo-org",
        "--selected-repo",
        "octo-org/app",
        "--selected-repo",
        "octo-org/web",
        "--profile",
        "ci",
        "--prefix",
        "{prefix}",
        lands_in=("orgs/octo-org/actions",),
        id="push-org-selected",
    ),
    cli_case(
        "push",
        "--org",
        "octo-org",
        "--app",
        "dependabot",
        "--profile",
        "ci",
        "--prefix",
        "{prefix}",
        lands_in=("orgs/octo-org/dependabot",),
        id="push-org-dependabot",
    ),
    cli_case(
        *PUSH_APP,
        "--app",
        "codespaces",
        lands_in=("repos/octo-org/app/codespaces",),
        id="push-codespaces",
    ),
    cli_case(
        *("push", "--org", "octo-org", "--app", "codespaces", "--selected-repo", "octo-org/api"),
        *("--profile", "ci", "--prefix", "{prefix}"),
        lands_in=("orgs/octo-org/codespaces",),
        id="push-org-codespaces-selected",
    ),
    cli_case(
        *("push", "--user", "--selected-repo", "octo-org/app", "--profile", "ci"),
        *("--prefix", "{prefix}"),
        lands_in=("user/codespaces",),
        id="push-user-codespaces",
    ),
    cli_case(
        *("push", "--repo", "octo-org/a*", "--exclude", "web", "--profile", "ci"),
        *("--prefix", "{prefix}"),
        lands_in=("repos/octo-org/app/actions", "repos/octo-org/api/actions"),
        id="push-pattern",
    ),
    cli_case(
        "list", "--repo", "octo-org/app", "--prefix", "{prefix}", before=(PUSH_APP,), id="list"
    ),
    cli_case(
        *("doctor", "--repo", "octo-org/app", "--env", "production", "--org", "octo-org"),
        *("--profile", "ci"),
        id="doctor",
    ),
    cli_case(
        *("list", "--user", "--prefix", "{prefix}"),
        before=(("push", "--user", "--profile", "ci", "--prefix", "{prefix}"),),
        id="list-user-codespaces",
    ),
    cli_case(
        "remove",
        "--repo",
        "octo-org/app",
        "--prefix",
        "{prefix}",
        "--yes",
        before=(PUSH_APP,),
        gone_from=("repos/octo-org/app/actions",),
        id="remove",
    ),
]


def issued_as_secrets(sandbox: Sandbox, prefix: str) -> dict[str, str]:
    from datetime import datetime, timezone

    cred = sandbox.issued_credentials[-1]
    expiration = datetime.fromtimestamp(cred["expiration"] / 1000, timezone.utc)
    values = (
        cred["accessKeyId"],
        cred["secretAccessKey"],
        cred["sessionToken"],
        expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return {prefix + name: value for name, value in zip(CREDENTIAL_NAMES, values, strict=True)}


def stored_with_prefix(sandbox: Sandbox, scope: str, prefix: str) -> dict[str, str]:
    return {n: s.value for n, s in sandbox.secrets(scope).items() if n.startswith(prefix)}


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_command_keeps_to_githubs_contract(
    case: CliCase, contract: Contract, world: World, run, prefix: str
) -> None:
    world.seed_token()
    for argv in case.before:
        setup = run(*(a.replace("{prefix}", prefix) for a in argv))
        assert setup.exit_code == 0, setup.stderr
    contract.begin()

    result = run(*(a.replace("{prefix}", prefix) for a in case.argv))

    contract.assert_passed()
    assert result.exit_code == 0, result.stderr
    for scope in case.lands_in:
        assert stored_with_prefix(world.sandbox, scope, prefix) == issued_as_secrets(
            world.sandbox, prefix
        ), scope
    for scope in case.gone_from:
        assert stored_with_prefix(world.sandbox, scope, prefix) == {}, scope


# --- every endpoint we use, through our GitHub client ----------------------------------------

ORG = "octo-org"
# Repository ids in the sandbox: octo-org/app is 1001, octo-org/api 1002 (see SandboxConfig).
APP_ID, API_ID = 1001, 1002

SCOPES = [
    pytest.param("repos/octo-org/app/actions", {}, id="repo"),
    pytest.param("repos/octo-org/app/dependabot", {}, id="repo-dependabot"),
    pytest.param("repos/octo-org/app/environments/production", {}, id="environment"),
    pytest.param(f"orgs/{ORG}/actions", {"visibility": "all"}, id="org-all"),
    pytest.param(f"orgs/{ORG}/actions", {"visibility": "private"}, id="org-private"),
    pytest.param(
        f"orgs/{ORG}/actions",
        {"visibility": "selected", "selected_repository_ids": [APP_ID, API_ID]},
        id="org-selected",
    ),
    pytest.param(f"orgs/{ORG}/dependabot", {"visibility": "private"}, id="org-dependabot"),
    pytest.param(
        f"orgs/{ORG}/dependabot",
        {"visibility": "selected", "selected_repository_ids": [API_ID]},
        id="org-dependabot-selected",
    ),
    pytest.param("repos/octo-org/app/codespaces", {}, id="repo-codespaces"),
    pytest.param(f"orgs/{ORG}/codespaces", {"visibility": "private"}, id="org-codespaces"),
    pytest.param(
        f"orgs/{ORG}/codespaces",
        {"visibility": "selected", "selected_repository_ids": [APP_ID]},
        id="org-codespaces-selected",
    ),
]


def put_secret(
    contract: Contract, scope: str, key: dict[str, Any], name: str, value: str, extra: Any
) -> Response:
    body = {"encrypted_value": seal(key["key"], value), "key_id": key["key_id"], **extra}
    return contract.call("PUT", f"/{scope}/secrets/{name}", body)


@pytest.mark.parametrize(("scope", "extra"), SCOPES)
def test_secret_endpoints_keep_to_githubs_contract(
    contract: Contract, prefix: str, scope: str, extra: dict[str, Any]
) -> None:
    sandbox = contract.sandbox
    key_response = contract.call("GET", f"/{scope}/secrets/public-key")
    assert key_response.status == 200
    key = key_response.data

    first, second = f"{prefix}ONE", f"{prefix}TWO"
    assert put_secret(contract, scope, key, first, "value one", extra).status == 201
    assert put_secret(contract, scope, key, first, "value 1", extra).status == 204
    assert put_secret(contract, scope, key, second, "value two", extra).status == 201
    stored = sandbox.secrets(scope)
    assert stored[first].value == "value 1" and stored[second].value == "value two"
    assert stored[first].visibility == extra.get("visibility")
    assert stored[first].selected_repository_ids == extra.get("selected_repository_ids")

    got = contract.call("GET", f"/{scope}/secrets/{first}")
    assert got.status == 200 and got.data["name"] == first

    # Page through the list one secret at a time, as a list of any length would be read.
    listed: list[str] = []
    page = 1
    while True:
        response = contract.call("GET", f"/{scope}/secrets?per_page=1&page={page}")
        assert response.status == 200
        batch = response.data["secrets"]
        listed += [s["name"] for s in batch]
        if not batch or 'rel="next"' not in response.headers.get("link", ""):
            break
        page += 1
    assert {first, second} <= set(listed)
    assert page >= 2

    for name in (first, second):
        assert contract.call("DELETE", f"/{scope}/secrets/{name}").status == 204
    assert not {first, second} & set(sandbox.secrets(scope))
    contract.assert_passed()


def test_user_codespaces_secret_endpoints_keep_to_githubs_contract(
    contract: Contract, prefix: str
) -> None:
    key = contract.call("GET", "/user/codespaces/secrets/public-key").data
    name = f"{prefix}USER"
    extra = {"selected_repository_ids": [APP_ID]}
    assert put_secret(contract, "user/codespaces", key, name, "mine", extra).status == 201
    assert contract.sandbox.secrets("user/codespaces")[name].value == "mine"
    got = contract.call("GET", f"/user/codespaces/secrets/{name}")
    assert got.status == 200 and got.data["visibility"] == "selected"
    listed = contract.call("GET", "/user/codespaces/secrets?per_page=100&page=1")
    assert name in {s["name"] for s in listed.data["secrets"]}
    assert contract.call("DELETE", f"/user/codespaces/secrets/{name}").status == 204


def test_repository_listings_keep_to_githubs_contract(contract: Contract) -> None:
    """What `--repo OWNER/GLOB` reads: the organization's repositories, every page."""
    first = contract.call("GET", "/orgs/octo-org/repos?type=all&per_page=2&page=1")
    assert [r["name"] for r in first.data] == ["app", "api"]
    assert 'rel="next"' in first.headers.get("link", "")
    second = contract.call("GET", "/orgs/octo-org/repos?type=all&per_page=2&page=2")
    assert [r["name"] for r in second.data] == ["web"]


def test_github_app_auth_keeps_to_githubs_contract(
    contract: Contract,
    world: World,
    run,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The installation look-up, the token request and `/installation/repositories`, sent by
    `push` as a GitHub App."""
    world.seed_token()
    world.use_github_app(monkeypatch, tmp_path)
    contract.begin()
    result = run("push", "--repo", "octo-org/ap*", "--profile", "ci", "--prefix", prefix)
    contract.assert_passed()
    assert result.exit_code == 0, result.stderr
    paths = {(e.method, e.path.partition("?")[0]) for e in contract.exchanges()}
    assert {
        ("GET", "/orgs/octo-org/installation"),
        ("POST", "/app/installations/501/access_tokens"),
        ("GET", "/installation/repositories"),
    } <= paths
    assert stored_with_prefix(world.sandbox, "repos/octo-org/api/actions", prefix) == (
        issued_as_secrets(world.sandbox, prefix)
    )


def test_repository_lookup_keeps_to_githubs_contract(contract: Contract) -> None:
    """How `--selected-repo OWNER/NAME` becomes the id an org secret needs."""
    response = contract.call("GET", "/repos/octo-org/api")
    assert response.status == 200
    assert response.data["id"] == API_ID and response.data["full_name"] == "octo-org/api"


def test_variable_endpoints_keep_to_githubs_contract(contract: Contract, prefix: str) -> None:
    scope = "repos/octo-org/app/actions"
    name = f"{prefix}REGION"
    created = contract.call("POST", f"/{scope}/variables", {"name": name, "value": "eu-west-1"})
    assert created.status == 201
    updated = contract.call(
        "PATCH", f"/{scope}/variables/{name}", {"name": name, "value": "us-east-1"}
    )
    assert updated.status == 204
    got = contract.call("GET", f"/{scope}/variables/{name}")
    assert got.status == 200 and got.data["value"] == "us-east-1"
    assert contract.sandbox.variables(scope)[name] == "us-east-1"
    assert contract.call("DELETE", f"/{scope}/variables/{name}").status == 204


# --- the check itself can fail ------------------------------------------------------------


def test_a_request_that_breaks_the_description_fails_with_prisms_messages(
    contract: Contract,
) -> None:
    scope = "repos/octo-org/app/actions"
    with pytest.raises(pytest.fail.Exception) as failure:
        contract.call("PUT", f"/{scope}/secrets/BROKEN", {"encrypted_value": 5})
    message = str(failure.value)
    assert "422" in message
    assert "Request body must have required property 'key_id'" in message
    assert "encrypted_value must be string" in message
    # Prism answered it itself: the sandbox never saw it.
    assert not any(r.path.endswith("/BROKEN") for r in contract.sandbox.requests)


def test_a_sandbox_answer_github_could_not_give_fails_the_check(contract: Contract) -> None:
    contract.sandbox.inject_fault(
        "github", "GET", r"/secrets/public-key$", 200, body={"key": "no key_id"}
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        contract.call("GET", "/repos/octo-org/app/actions/secrets/public-key")
    assert "must have required property 'key_id'" in str(failure.value)


def test_our_requests_carry_the_headers_github_recommends(
    contract: Contract, world: World, run, prefix: str
) -> None:
    """GitHub asks for `Accept: application/vnd.github+json` and a pinned API version; Prism's
    mock mode answers that Accept with 406 on PUT, its proxy mode (ours) lets it through."""
    world.seed_token()
    result = run(*(a.replace("{prefix}", prefix) for a in PUSH_APP))
    assert result.exit_code == 0, result.stderr
    contract.assert_passed()
    sent = contract.exchanges()
    assert {e.method for e in sent} == {"GET", "PUT"}
    for exchange in sent:
        for name, value in REQUEST_HEADERS.items():
            assert exchange.request_headers.get(name.lower()) == value, exchange.describe()


@pytest.mark.parametrize("dry_run", [False, True], ids=["push", "dry-run"])
@pytest.mark.parametrize("app", ["actions", "dependabot", "codespaces"])
def test_org_visibility_look_ups_keep_to_githubs_contract(
    contract: Contract, world: World, run, prefix: str, app: str, dry_run: bool
) -> None:
    """What `push --org` without `--visibility` reads to keep a secret's visibility: the
    secret (a 404 for a new one is in the `push-org-*` cases above) and, when `selected`, its
    repositories."""
    world.seed_token()
    org = ("push", "--org", ORG, "--app", app, "--profile", "ci", "--prefix", prefix)
    setup = run(*org, "--selected-repo", "octo-org/app", "--selected-repo", "octo-org/api")
    assert setup.exit_code == 0, setup.stderr
    contract.begin()

    result = run(*org, *(("--dry-run",) if dry_run else ()))

    contract.assert_passed()
    assert result.exit_code == 0, result.stderr
    sent = {(e.method, e.path.partition("?")[0]) for e in contract.exchanges()}
    secret = f"/orgs/{ORG}/{app}/secrets/{prefix}AWS_SESSION_TOKEN"
    assert {("GET", secret), ("GET", f"{secret}/repositories")} <= sent
    mine = {
        n: s
        for n, s in contract.sandbox.secrets(f"orgs/{ORG}/{app}").items()
        if n.startswith(prefix)
    }
    assert {(s.visibility, tuple(s.selected_repository_ids or ())) for s in mine.values()} == {
        ("selected", (APP_ID, API_ID))
    }
    if not dry_run:
        assert {n: s.value for n, s in mine.items()} == issued_as_secrets(world.sandbox, prefix)


def test_the_notification_issue_keeps_to_githubs_contract(contract: Contract, prefix: str) -> None:
    """What `--notify-issue` sends (keepfresh/channels.py): find the open issue by its title,
    open it, comment on it, close it; through Prism, by the channel itself."""
    from datetime import datetime, timezone

    from sso_sync.keepfresh.channels import GitHubIssue
    from sso_sync.keepfresh.notices import Notice

    title = f"AWS credentials for GitHub Actions need attention ({prefix.lower()})"
    channel = GitHubIssue("octo-org/web", title, contract.api)
    at = datetime.now(timezone.utc)
    failing = Notice("target_failing", "octo-org/web failed 3 times", "host", at, targets=("x",))
    contract.begin()
    channel.send(failing)  # opens
    channel.send(failing)  # comments
    channel.send(Notice("recovered", "right again", "host", at, all_clear=True))  # closes
    contract.assert_passed()
    paths = [(e.method, e.path.partition("?")[0]) for e in contract.exchanges()]
    assert ("POST", "/repos/octo-org/web/issues") in paths
    assert paths[-1] == ("PATCH", paths[-1][1])
    [issue] = [i for i in contract.sandbox.issues("octo-org/web") if i.title == title]
    assert issue.state == "closed" and len(issue.comments) == 2
