"""Fake GitHub REST API: repositories, environments, secrets (sealed boxes) and variables."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
import time
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlencode

from . import github_app
from .config import SandboxConfig, StoredSecret
from .http import Request, Response, json_response, status_phrase

DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRETS = re.compile(
    r"^/(?:repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?:(?P<rkind>actions|dependabot|codespaces)"
    r"|environments/(?P<env>[^/]+))|orgs/(?P<org>[^/]+)/(?P<okind>actions|dependabot|codespaces)"
    r"|(?P<user>user)/codespaces)"
    r"/secrets(?P<rest>/.*)?$"
)
_VARIABLES = re.compile(
    r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?:actions|environments/(?P<env>[^/]+))"
    r"/variables(?:/(?P<name>[^/]+))?$"
)
_REPO = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)(?P<envs>/environments)?$")
_ENV = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/environments/(?P<env>[^/]+)$")
_ORG = re.compile(r"^/orgs/(?P<org>[^/]+)$")
_ISSUES = re.compile(
    r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/issues(?:/(?P<number>\d+)(?P<comments>/comments)?)?$"
)
_OWNER_REPOS = re.compile(r"^/(?P<kind>orgs|users)/(?P<owner>[^/]+)/repos$")


class GitHubFault(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers


def _not_found() -> GitHubFault:
    return GitHubFault(404, "Not Found")


def _invalid(*errors: str) -> GitHubFault:
    return GitHubFault(422, "Invalid request.", list(errors))


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    environments: list[str]

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Variable:
    value: str
    created_at: str
    updated_at: str


@dataclass
class ScopeKey:
    private_key: Any  # nacl.public.PrivateKey
    key_id: str
    public_b64: str


@dataclass
class Issue:
    number: int
    title: str
    body: str | None
    user: str
    created_at: str
    state: str = "open"
    state_reason: str | None = None
    closed_at: str | None = None
    updated_at: str = ""
    comments: list[tuple[int, str, str]] = field(default_factory=list)  # (id, body, created_at)


@dataclass
class GitHubState:
    # "owner/name" (lower case) -> the repository's issues, in the order they were opened
    issues: dict[str, list[Issue]] = field(default_factory=dict)
    keys: dict[str, ScopeKey] = field(default_factory=dict)
    secrets: dict[str, dict[str, StoredSecret]] = field(default_factory=dict)
    variables: dict[str, dict[str, Variable]] = field(default_factory=dict)


def _int_arg(request: Request, name: str, default: int, maximum: int) -> int:
    try:
        value = int(request.arg(name) or default)
    except ValueError:
        value = default
    return max(1, min(value, maximum))


class GitHubBackend:
    """Callers hold ``lock`` around every method."""

    def __init__(self, config: SandboxConfig, lock: threading.RLock) -> None:
        self.config = config
        self.lock = lock
        self.state = GitHubState()
        self.base_url = ""
        self.repos = {
            full.lower(): Repo(1001 + i, full.split("/", 1)[0], full.split("/", 1)[1], list(envs))
            for i, (full, envs) in enumerate(config.repos.items())
        }
        self._archived = {a.lower() for a in config.archived}
        self.app = github_app.AppState()
        self._used = 0
        self._reset_at = int(self.config.github_now()) + 3600

    def add_repo(self, full_name: str, environments: list[str]) -> None:
        owner, name = full_name.split("/", 1)
        self.repos.setdefault(
            full_name.lower(), Repo(1001 + len(self.repos), owner, name, list(environments))
        )

    # --- plumbing -------------------------------------------------------------------------

    def classify(self, request: Request) -> tuple[str, str]:
        return "github", ""

    def fault_response(
        self, service: str, status: int, headers: dict[str, str], body: dict[str, Any] | None
    ) -> Response:
        payload = body
        if payload is None:
            payload = {"message": status_phrase(status), "documentation_url": DOCS}
            payload["status"] = str(status)
        return json_response(status, payload, headers)

    def finalize(self, response: Response) -> None:
        self._used += 1
        response.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        if response.headers["Content-Type"] == "application/json":
            response.headers["Content-Type"] = "application/json; charset=utf-8"
        response.headers.setdefault("x-ratelimit-limit", str(RATE_LIMIT))
        response.headers.setdefault("x-ratelimit-remaining", str(max(0, RATE_LIMIT - self._used)))
        response.headers.setdefault("x-ratelimit-reset", str(self._reset_at))
        response.headers.setdefault("x-ratelimit-used", str(self._used))
        response.headers.setdefault("x-ratelimit-resource", "core")
        response.headers.setdefault("x-github-api-version-selected", "2022-11-28")
        # GitHub's clock, as `updated_at` is: a test moves both with `github_clock_offset`.
        response.headers.setdefault("Date", formatdate(self.config.github_now(), usegmt=True))

    def handle(self, request: Request, service: str, operation: str) -> Response:
        try:
            path = request.path.rstrip("/")
            if github_app.is_app_path(path):
                self._authenticate_app(request)
                return self._app_route(request, path)
            installation = self._authenticate(request)
            if path == "/installation/repositories" and request.method == "GET":
                if installation is None:
                    raise GitHubFault(
                        403, "You must authenticate with an installation access token"
                    )
                return self._installation_repos(request, installation)
            if installation is not None:
                self._check_installation(installation, path, request.method)
            if path == "/user" and request.method == "GET":
                headers = {}
                if self.config.github_token_scopes is not None:
                    headers["X-OAuth-Scopes"] = self.config.github_token_scopes
                return json_response(200, self._user_json(self.config.github_login), headers)
            return self._route(request)
        except GitHubFault as err:
            payload: dict[str, Any] = {"message": err.message}
            if err.errors is not None:
                payload["errors"] = err.errors
            payload["documentation_url"] = DOCS
            payload["status"] = str(err.status)
            return json_response(err.status, payload, err.headers)

    def _authenticate(self, request: Request) -> github_app.InstallationToken | None:
        """None: the personal token; else the installation token's record."""
        header = request.header("Authorization")
        if not header:
            raise GitHubFault(401, "Requires authentication")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            raise GitHubFault(401, "Bad credentials")
        token = token.strip()
        if hmac.compare_digest(token, self.config.github_token):
            return None
        installation = self.app.tokens.get(token)
        if installation is None or installation.expires_at <= self.config.github_now():
            raise GitHubFault(401, "Bad credentials")
        return installation

    # --- GitHub App auth (see github_app.py) -----------------------------------------------

    def _authenticate_app(self, request: Request) -> None:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GitHubFault(401, "A JSON web token could not be decoded")
        problem = github_app.verify_jwt(
            self.app, self.config.app_id, token.strip(), self.config.github_now()
        )
        if problem is not None:
            raise GitHubFault(401, problem)

    def _app_route(self, request: Request, path: str) -> Response:
        looked_up = github_app.lookup_account(path)
        if looked_up is not None and request.method == "GET":
            account, repo = looked_up
            if repo is not None:
                account = self._repo(account, repo).owner
            for name, ident in self.config.app_installations.items():
                if name.lower() == unquote(account).lower():
                    return json_response(200, self._installation_json(name, ident))
            raise _not_found()
        minting = github_app.mint_target(path)
        if minting is not None and request.method == "POST":
            ident = minting
            found = [a for a, i in self.config.app_installations.items() if i == ident]
            if not found:
                raise _not_found()
            account = found[0]
            body = request.json()
            asked = body.get("permissions") if isinstance(body, dict) else None
            permissions, problem = github_app.grant(self._app_permissions(), asked)
            if permissions is None:
                raise GitHubFault(422, problem or "Invalid request.")
            expires = self.config.github_now() + self.config.installation_token_lifetime
            record = github_app.InstallationToken(ident, account, expires, permissions)
            token = github_app.new_token()
            self.app.tokens[token] = record
            self.app.minted.append(record)
            return json_response(
                201,
                {
                    "token": token,
                    "expires_at": github_app.expires_text(expires),
                    "permissions": permissions,
                    "repository_selection": "all",
                },
            )
        raise _not_found()

    def _app_permissions(self) -> dict[str, str]:
        if self.config.app_permissions is not None:
            return dict(self.config.app_permissions)
        return github_app.default_permissions()

    def _installation_json(self, account: str, ident: int) -> dict[str, Any]:
        return {
            "id": ident,
            "account": self._owner_json(account),
            "repository_selection": "all",
            "access_tokens_url": f"{self.base_url}/app/installations/{ident}/access_tokens",
            "repositories_url": f"{self.base_url}/installation/repositories",
            "html_url": f"https://github.com/settings/installations/{ident}",
            "app_id": self.config.app_id,
            "app_slug": "sso-sync-sandbox",
            "target_id": self._owner_json(account)["id"],
            "target_type": "Organization" if account in self.config.orgs else "User",
            "permissions": self._app_permissions(),
            "events": [],
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "single_file_name": None,
            "suspended_by": None,
            "suspended_at": None,
        }

    def _check_installation(
        self, installation: github_app.InstallationToken, path: str, method: str
    ) -> None:
        if path == "/user":
            raise GitHubFault(403, "Resource not accessible by integration")
        account = github_app.path_account(path)
        if account is None or unquote(account).lower() != installation.account.lower():
            raise _not_found()  # GitHub hides what an installation cannot reach
        needed = github_app.needed_permission(path, method)
        if needed is None:
            return
        name, level = needed
        have = installation.permissions.get(name)
        if name == "metadata" or have == "write" or (have == "read" and level == "read"):
            return
        raise GitHubFault(
            403,
            "Resource not accessible by integration",
            headers={"X-Accepted-GitHub-Permissions": f"{name}={level}"},
        )

    def _installation_repos(
        self, request: Request, installation: github_app.InstallationToken
    ) -> Response:
        repos = [
            self._repo_json(r)
            for r in self.repos.values()
            if r.owner.lower() == installation.account.lower()
        ]
        per_page = _int_arg(request, "per_page", 30, 100)
        page = _int_arg(request, "page", 1, 10**6)
        headers = {}
        if links := self._page_links(request, page, per_page, len(repos)):
            headers["Link"] = links
        chunk = repos[(page - 1) * per_page : page * per_page]
        return json_response(
            200,
            {"total_count": len(repos), "repositories": chunk, "repository_selection": "all"},
            headers,
        )

    def _route(self, request: Request) -> Response:
        path, method = request.path.rstrip("/"), request.method
        if m := _SECRETS.match(path):
            return self._secrets(request, m)
        if m := _VARIABLES.match(path):
            scope = self._variable_scope(m)
            return self._variables(request, scope, m["name"])
        if method == "GET" and (m := _REPO.match(path)):
            repo = self._repo(m["owner"], m["repo"])
            if m["envs"]:
                envs = [self._environment_json(repo, e) for e in repo.environments]
                return json_response(200, {"total_count": len(envs), "environments": envs})
            return json_response(200, self._repo_json(repo))
        if method == "GET" and (m := _ENV.match(path)):
            repo = self._repo(m["owner"], m["repo"])
            env = unquote(m["env"])
            if env not in repo.environments:
                raise _not_found()
            return json_response(200, self._environment_json(repo, env))
        if method == "GET" and (m := _ORG.match(path)):
            org = self._org(m["org"])
            return json_response(200, self._org_json(org))
        if method == "GET" and (m := _OWNER_REPOS.match(path)):
            return self._owner_repos(request, m["kind"], unquote(m["owner"]))
        if m := _ISSUES.match(path):
            return self._issues(request, self._repo(m["owner"], m["repo"]), m)
        raise _not_found()

    # --- issues (what the hourly check workflow and `--notify-issue` use) -------------------

    def _issues(self, request: Request, repo: Repo, m: re.Match[str]) -> Response:
        issues = self.state.issues.setdefault(repo.full_name.lower(), [])
        method = request.method
        if m["number"] is None:
            if method == "GET":
                wanted = request.arg("state") or "open"
                found = [i for i in reversed(issues) if wanted in ("all", i.state)]
                return self._paginate_list(
                    request, [self._issue_json(repo, i) for i in found], 30, 100
                )
            if method == "POST":
                body = request.json()
                title = body.get("title") if isinstance(body, dict) else None
                if not isinstance(title, str) or not title:
                    raise _invalid("title is missing")
                now = _iso(self.config.github_now())
                issue = Issue(
                    len(issues) + 1, title, body.get("body"), self.config.github_login, now
                )
                issue.updated_at = now
                issues.append(issue)
                return json_response(201, self._issue_json(repo, issue))
            raise _not_found()
        number = int(m["number"])
        if not 1 <= number <= len(issues):
            raise _not_found()
        issue = issues[number - 1]
        if m["comments"] and method == "POST":
            body = request.json()
            text = body.get("body") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text:
                raise _invalid("body is missing")
            ident = 9000 + sum(len(i.comments) for i in issues) + 1
            issue.comments.append((ident, text, _iso(self.config.github_now())))
            issue.updated_at = _iso(self.config.github_now())
            return json_response(201, self._comment_json(repo, issue, issue.comments[-1]))
        if m["comments"] and method == "GET":
            items = [self._comment_json(repo, issue, c) for c in issue.comments]
            return self._paginate_list(request, items, 30, 100)
        if method == "PATCH":
            body = request.json()
            state = body.get("state") if isinstance(body, dict) else None
            if state in ("open", "closed"):
                issue.state = state
                issue.closed_at = _iso(self.config.github_now()) if state == "closed" else None
                issue.state_reason = body.get("state_reason") if state == "closed" else "reopened"
            issue.updated_at = _iso(self.config.github_now())
        elif method != "GET":
            raise _not_found()
        return json_response(200, self._issue_json(repo, issue))

    def _issue_json(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        """Every property GitHub's description requires of an `issue`."""
        url = f"{self.base_url}/repos/{repo.full_name}/issues/{issue.number}"
        return {
            "id": 7000 + issue.number,
            "node_id": base64.b64encode(f"I_{repo.id}_{issue.number}".encode()).decode(),
            "url": url,
            "repository_url": f"{self.base_url}/repos/{repo.full_name}",
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"https://github.com/{repo.full_name}/issues/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self._owner_json(issue.user),
            "labels": [],
            "assignee": None,
            "milestone": None,
            "locked": False,
            "comments": len(issue.comments),
            "closed_at": issue.closed_at,
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "author_association": "OWNER",
        }

    def _comment_json(
        self, repo: Repo, issue: Issue, comment: tuple[int, str, str]
    ) -> dict[str, Any]:
        ident, body, at = comment
        issue_url = f"{self.base_url}/repos/{repo.full_name}/issues/{issue.number}"
        return {
            "id": ident,
            "node_id": base64.b64encode(f"IC_{ident}".encode()).decode(),
            "url": f"{self.base_url}/repos/{repo.full_name}/issues/comments/{ident}",
            "html_url": f"https://github.com/{repo.full_name}/issues/{issue.number}#issuecomment-{ident}",
            "issue_url": issue_url,
            "body": body,
            "user": self._owner_json(self.config.github_login),
            "created_at": at,
            "updated_at": at,
            "author_association": "OWNER",
        }

    def issues(self, full_name: str) -> list[Issue]:
        """A repository's issues, for tests (callers hold the lock)."""
        return list(self.state.issues.get(full_name.lower(), []))

    def _owner_repos(self, request: Request, kind: str, owner: str) -> Response:
        """`GET /orgs/{org}/repos` and `GET /users/{user}/repos`: a bare JSON array, paged."""
        if kind == "orgs":
            owner = self._org(owner)
        else:
            known = {r.owner.lower(): r.owner for r in self.repos.values()}
            if owner.lower() not in known or owner.lower() in (o.lower() for o in self.config.orgs):
                raise _not_found()
            owner = known[owner.lower()]
        repos = [self._repo_json(r) for r in self.repos.values() if r.owner == owner]
        return self._paginate_list(request, repos, 30, 100)

    def _paginate_list(
        self, request: Request, items: list[dict[str, Any]], default: int, maximum: int
    ) -> Response:
        per_page = _int_arg(request, "per_page", default, maximum)
        page = _int_arg(request, "page", 1, 10**6)
        headers = {}
        if links := self._page_links(request, page, per_page, len(items)):
            headers["Link"] = links
        return json_response(200, items[(page - 1) * per_page : page * per_page], headers)

    # --- lookups and JSON shapes ----------------------------------------------------------

    def _repo(self, owner: str, name: str) -> Repo:
        # GitHub resolves owner/repo names case-insensitively.
        repo = self.repos.get(f"{unquote(owner)}/{unquote(name)}".lower())
        if repo is None:
            raise _not_found()
        return repo

    def _org(self, org: str) -> str:
        for known in self.config.orgs:
            if known.lower() == unquote(org).lower():
                return known
        raise _not_found()

    def _owner_json(self, login: str) -> dict[str, Any]:
        # Every property GitHub's OpenAPI description requires of a `simple-user`, so that
        # answers pass the contract tests (tests/test_contract.py).
        is_org = login in self.config.orgs
        owner_id = int(hashlib.sha256(login.encode()).hexdigest()[:6], 16)
        users = f"{self.base_url}/users/{login}"
        return {
            "login": login,
            "id": owner_id,
            "node_id": base64.b64encode(f"04:User{owner_id}".encode()).decode(),
            "type": "Organization" if is_org else "User",
            "url": f"{self.base_url}/{'orgs' if is_org else 'users'}/{login}",
            "html_url": f"https://github.com/{login}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{owner_id}?v=4",
            "gravatar_id": "",
            "site_admin": False,
            "events_url": f"{users}/events{{/privacy}}",
            "followers_url": f"{users}/followers",
            "following_url": f"{users}/following{{/other_user}}",
            "gists_url": f"{users}/gists{{/gist_id}}",
            "organizations_url": f"{users}/orgs",
            "received_events_url": f"{users}/received_events",
            "repos_url": f"{users}/repos",
            "starred_url": f"{users}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{users}/subscriptions",
        }

    def _user_json(self, login: str) -> dict[str, Any]:
        """`GET /user`: every property GitHub's description requires of a `public-user`."""
        return {
            **self._owner_json(login),
            **dict.fromkeys(("bio", "blog", "company", "email", "location", "name")),
            "hireable": None,
            **dict.fromkeys(("followers", "following", "public_gists", "public_repos"), 0),
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        }

    def _org_json(self, org: str) -> dict[str, Any]:
        """`GET /orgs/{org}`: every property GitHub's description requires of an
        `organization-full`."""
        owner = self._owner_json(org)
        base = f"{self.base_url}/orgs/{org}"
        return {
            **owner,
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events",
            "hooks_url": f"{base}/hooks",
            "issues_url": f"{base}/issues",
            "members_url": f"{base}/members{{/member}}",
            "public_members_url": f"{base}/public_members{{/member}}",
            "description": None,
            "has_organization_projects": False,
            "has_repository_projects": False,
            **dict.fromkeys(("public_repos", "public_gists", "followers", "following"), 0),
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "archived_at": None,
        }

    def _repo_json(self, repo: Repo) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{repo.full_name}"
        html = f"https://github.com/{repo.full_name}"
        # Every property GitHub's OpenAPI description requires of a `full-repository`.
        links = {
            f"{name}_url": f"{url}/{path}"
            for name, path in (
                ("archive", "{archive_format}{/ref}"),
                ("assignees", "assignees{/user}"),
                ("blobs", "git/blobs{/sha}"),
                ("branches", "branches{/branch}"),
                ("collaborators", "collaborators{/collaborator}"),
                ("comments", "comments{/number}"),
                ("commits", "commits{/sha}"),
                ("compare", "compare/{base}...{head}"),
                ("contents", "contents/{+path}"),
                ("contributors", "contributors"),
                ("deployments", "deployments"),
                ("downloads", "downloads"),
                ("events", "events"),
                ("forks", "forks"),
                ("git_commits", "git/commits{/sha}"),
                ("git_refs", "git/refs{/sha}"),
                ("git_tags", "git/tags{/sha}"),
                ("hooks", "hooks"),
                ("issue_comment", "issues/comments{/number}"),
                ("issue_events", "issues/events{/number}"),
                ("issues", "issues{/number}"),
                ("keys", "keys{/key_id}"),
                ("labels", "labels{/name}"),
                ("languages", "languages"),
                ("merges", "merges"),
                ("milestones", "milestones{/number}"),
                ("notifications", "notifications{?since,all,participating}"),
                ("pulls", "pulls{/number}"),
                ("releases", "releases{/id}"),
                ("stargazers", "stargazers"),
                ("statuses", "statuses/{sha}"),
                ("subscribers", "subscribers"),
                ("subscription", "subscription"),
                ("tags", "tags"),
                ("teams", "teams"),
                ("trees", "git/trees{/sha}"),
            )
        }
        return {
            "id": repo.id,
            "node_id": base64.b64encode(f"010:Repository{repo.id}".encode()).decode(),
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self._owner_json(repo.owner),
            "private": True,
            "url": url,
            "html_url": html,
            "description": None,
            "fork": False,
            **links,
            "clone_url": f"{html}.git",
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": None,
            "license": None,
            "default_branch": "main",
            "visibility": "private",
            "archived": repo.full_name.lower() in self._archived,
            "disabled": False,
            "has_issues": True,
            # The caller's own rights, as GitHub tells an authenticated caller (doctor reads
            # them for --notify-issue).
            "permissions": dict.fromkeys(("admin", "maintain", "push", "triage", "pull"), True),
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": False,  # required of a `repository` (/installation/repositories)
            "has_discussions": False,
            "forks": 0,
            "forks_count": 0,
            "open_issues": 0,
            "open_issues_count": 0,
            "size": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "network_count": 0,
            "subscribers_count": 0,
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "pushed_at": "2024-01-01T00:00:00Z",
        }

    def _environment_json(self, repo: Repo, env: str) -> dict[str, Any]:
        ident = repo.id * 1000 + repo.environments.index(env)
        return {
            "id": ident,
            "node_id": base64.b64encode(f"020:Environment{ident}".encode()).decode(),
            "name": env,
            "url": f"{self.base_url}/repos/{repo.full_name}/environments/{env}",
            "html_url": f"https://github.com/{repo.full_name}/deployments/activity_log?environments_filter={env}",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        }

    def _key(self, scope: str) -> ScopeKey:
        key = self.state.keys.get(scope)
        if key is None:
            from nacl.public import PrivateKey

            private = PrivateKey.generate()
            public = bytes(private.public_key)
            # GitHub key ids are long decimal strings; derive one from the key itself.
            key_id = str(int.from_bytes(hashlib.sha256(public).digest()[:8], "big"))
            key = ScopeKey(private, key_id, base64.b64encode(public).decode())
            self.state.keys[scope] = key
        return key

    def _page_links(self, request: Request, page: int, per_page: int, total: int) -> str:
        last = max(1, -(-total // per_page))

        def link(p: int, rel: str) -> str:
            query = {k: v[0] for k, v in request.query.items() if v}
            query |= {"per_page": str(per_page), "page": str(p)}
            return f'<{self.base_url}{request.path}?{urlencode(query)}>; rel="{rel}"'

        links = []
        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        return ", ".join(links)

    def _paginate(
        self, request: Request, items: list[dict[str, Any]], key: str, default: int, maximum: int
    ) -> Response:
        per_page = _int_arg(request, "per_page", default, maximum)
        page = _int_arg(request, "page", 1, 10**6)
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if links := self._page_links(request, page, per_page, len(items)):
            headers["Link"] = links
        return json_response(200, {"total_count": len(items), key: chunk}, headers)

    # --- secrets --------------------------------------------------------------------------

    def _secrets(self, request: Request, m: re.Match[str]) -> Response:
        user = m["user"] is not None
        if user:
            # The signed-in user's Codespaces secrets: always "selected" repositories.
            org: str | None = None
            scope = "user/codespaces"
        elif m["org"] is not None:
            org = self._org(m["org"])
            scope = f"orgs/{org}/{m['okind']}"
        else:
            repo = self._repo(m["owner"], m["repo"])
            org = None
            if m["env"] is not None:
                env = unquote(m["env"])
                if env not in repo.environments:
                    raise _not_found()
                scope = f"repos/{repo.full_name}/environments/{env}"
            else:
                scope = f"repos/{repo.full_name}/{m['rkind']}"
        rest = [unquote(p) for p in (m["rest"] or "").split("/")[1:]]
        method = request.method
        store = self.state.secrets.setdefault(scope, {})
        if not rest and method == "GET":
            items = [self._secret_json(scope, n, s) for n, s in sorted(store.items())]
            return self._paginate(request, items, "secrets", 30, 100)
        if user and len(rest) == 1 and method == "PUT":
            return self._put_secret(request, scope, rest[0].upper(), None, user=True)
        if rest == ["public-key"] and method == "GET":
            key = self._key(scope)
            return json_response(200, {"key_id": key.key_id, "key": key.public_b64})
        if len(rest) == 1:
            name = rest[0].upper()
            if method == "GET":
                if name not in store:
                    raise _not_found()
                return json_response(200, self._secret_json(scope, name, store[name]))
            if method == "PUT":
                return self._put_secret(request, scope, name, org)
            if method == "DELETE":
                if store.pop(name, None) is None:
                    raise _not_found()
                return Response(204)
        if org is not None and len(rest) >= 2 and rest[1] == "repositories":
            return self._selected_repos(request, org, store, rest)
        raise _not_found()

    def _secret_json(self, scope: str, name: str, secret: StoredSecret) -> dict[str, Any]:
        item: dict[str, Any] = {
            "name": name,
            "created_at": secret.created_at,
            "updated_at": secret.updated_at,
        }
        if secret.visibility is not None:
            item["visibility"] = secret.visibility
            if secret.visibility == "selected":
                item["selected_repositories_url"] = (
                    f"{self.base_url}/{scope}/secrets/{name}/repositories"
                )
        return item

    def _repo_ids(self, org: str, ids: Any, *, strings: bool = False) -> list[int]:
        if strings and isinstance(ids, list):
            # Actions and Dependabot take ids as integers or strings (GitHub's description
            # says `anyOf`; PyGithub sends Dependabot's as strings); Codespaces only integers.
            ids = [int(i) if isinstance(i, str) and i.isascii() and i.isdigit() else i for i in ids]
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise _invalid("selected_repository_ids must be a list of integers")
        known = {r.id for r in self.repos.values() if r.owner == org}
        if unknown := [i for i in ids if i not in known]:
            raise _invalid(f"Unknown repository ids: {unknown}")
        return list(ids)

    def _put_secret(
        self, request: Request, scope: str, name: str, org: str | None, *, user: bool = False
    ) -> Response:
        try:
            body = request.json()
        except ValueError:
            raise GitHubFault(400, "Problems parsing JSON") from None
        if not isinstance(body, dict):
            raise GitHubFault(400, "Problems parsing JSON")
        if not _NAME.match(name) or name.startswith("GITHUB_"):
            raise _invalid(
                "Secret names can only contain alphanumeric characters or underscores, "
                "must not start with a number and must not start with the GITHUB_ prefix."
            )
        key = self._key(scope)
        if body.get("key_id") != key.key_id:
            raise _invalid("key_id does not match the current public key")
        value = self._decrypt(key, body.get("encrypted_value"))
        visibility: str | None = None
        selected: list[int] | None = None
        if org is not None:
            visibility = body.get("visibility")
            if visibility not in ("all", "private", "selected"):
                raise _invalid("visibility must be one of: all, private, selected")
            if visibility == "selected":
                selected = self._repo_ids(
                    org,
                    body.get("selected_repository_ids", []),
                    strings=not scope.endswith("/codespaces"),
                )
        elif user:
            visibility = "selected"
            ids = body.get("selected_repository_ids", [])
            known = {r.id for r in self.repos.values()}
            if not isinstance(ids, list) or any(i not in known for i in ids):
                raise _invalid("selected_repository_ids must name repositories you can access")
            selected = list(ids)
        store = self.state.secrets.setdefault(scope, {})
        now = _iso(self.config.github_now())
        existing = store.get(name)
        store[name] = StoredSecret(
            value=value,
            created_at=existing.created_at if existing else now,
            updated_at=now,
            visibility=visibility,
            selected_repository_ids=selected,
            key_id=key.key_id,
        )
        return Response(204) if existing else json_response(201, {})

    @staticmethod
    def _decrypt(key: ScopeKey, encrypted: Any) -> str:
        from nacl.exceptions import CryptoError
        from nacl.public import SealedBox

        if not isinstance(encrypted, str) or not encrypted:
            raise _invalid("encrypted_value is required")
        try:
            sealed = base64.b64decode(encrypted, validate=True)
            plain: bytes = SealedBox(key.private_key).decrypt(sealed)
            return plain.decode("utf-8")
        except (binascii.Error, ValueError, CryptoError):
            raise _invalid(
                "encrypted_value must be a base64 sealed box for the current public key"
            ) from None

    def _selected_repos(
        self, request: Request, org: str, store: dict[str, StoredSecret], rest: list[str]
    ) -> Response:
        secret = store.get(rest[0].upper())
        if secret is None:
            raise _not_found()
        method = request.method
        if len(rest) == 2 and method == "GET":
            # Paged as GitHub pages it (`per_page` 30 by default, at most 100).
            ids = secret.selected_repository_ids or []
            repos = [self._repo_json(r) for r in self.repos.values() if r.id in ids]
            return self._paginate(request, repos, "repositories", 30, 100)
        if method in ("PUT", "DELETE") and secret.visibility != "selected":
            raise GitHubFault(409, "Secret visibility is not 'selected'")
        if len(rest) == 2 and method == "PUT":
            body = request.json()
            wanted = body.get("selected_repository_ids") if isinstance(body, dict) else None
            secret.selected_repository_ids = self._repo_ids(org, wanted)
            return Response(204)
        if len(rest) == 3 and method in ("PUT", "DELETE"):
            try:
                (repo_id,) = self._repo_ids(org, [int(rest[2])])
            except ValueError:
                raise _not_found() from None
            ids = [i for i in secret.selected_repository_ids or [] if i != repo_id]
            if method == "PUT":
                ids.append(repo_id)
            secret.selected_repository_ids = sorted(ids)
            return Response(204)
        raise _not_found()

    # --- variables ------------------------------------------------------------------------

    def _variable_scope(self, m: re.Match[str]) -> str:
        repo = self._repo(m["owner"], m["repo"])
        if m["env"] is None:
            return f"repos/{repo.full_name}/actions"
        env = unquote(m["env"])
        if env not in repo.environments:
            raise _not_found()
        return f"repos/{repo.full_name}/environments/{env}"

    def _variables(self, request: Request, scope: str, raw_name: str | None) -> Response:
        store = self.state.variables.setdefault(scope, {})
        method = request.method

        def as_json(name: str, var: Variable) -> dict[str, Any]:
            return {
                "name": name,
                "value": var.value,
                "created_at": var.created_at,
                "updated_at": var.updated_at,
            }

        if raw_name is None:
            if method == "GET":
                items = [as_json(n, v) for n, v in sorted(store.items())]
                return self._paginate(request, items, "variables", 10, 30)
            if method == "POST":
                body = request.json()
                if not isinstance(body, dict):
                    raise GitHubFault(400, "Problems parsing JSON")
                name = self._variable_name(body.get("name"))
                if not isinstance(body.get("value"), str):
                    raise _invalid("value is required")
                if name in store:
                    raise GitHubFault(409, "Already exists - Variable already exists")
                now = _iso(self.config.github_now())
                store[name] = Variable(body["value"], now, now)
                return json_response(201, {})
            raise _not_found()
        name = unquote(raw_name).upper()
        var = store.get(name)
        if var is None:
            raise _not_found()
        if method == "GET":
            return json_response(200, as_json(name, var))
        if method == "DELETE":
            del store[name]
            return Response(204)
        if method == "PATCH":
            body = request.json()
            if not isinstance(body, dict):
                raise GitHubFault(400, "Problems parsing JSON")
            new_name = name
            if body.get("name") is not None:
                new_name = self._variable_name(body["name"])
                if new_name != name and new_name in store:
                    raise GitHubFault(409, "Already exists - Variable already exists")
            if body.get("value") is not None:
                if not isinstance(body["value"], str):
                    raise _invalid("value must be a string")
                var.value = body["value"]
            var.updated_at = _iso(self.config.github_now())
            del store[name]
            store[new_name] = var
            return Response(204)
        raise _not_found()

    @staticmethod
    def _variable_name(raw: Any) -> str:
        if not isinstance(raw, str) or not _NAME.match(raw) or raw.upper().startswith("GITHUB_"):
            raise _invalid(
                "Variable names can only contain alphanumeric characters or underscores, "
                "must not start with a number and must not start with the GITHUB_ prefix."
            )
        return raw.upper()

    # --- inspection -----------------------------------------------------------------------

    def secrets(self, scope: str) -> dict[str, StoredSecret]:
        store = self.state.secrets.get(scope.strip("/"), {})
        return {
            name: replace(
                s,
                selected_repository_ids=(
                    list(s.selected_repository_ids)
                    if s.selected_repository_ids is not None
                    else None
                ),
            )
            for name, s in store.items()
        }

    def variables(self, scope: str) -> dict[str, str]:
        return {n: v.value for n, v in self.state.variables.get(scope.strip("/"), {}).items()}
