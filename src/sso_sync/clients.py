"""The one place that builds real boto3/botocore and PyGithub clients.

Imports are inside the functions so that `sso-sync --help` never loads boto3 or PyGithub.
Every client gets a timeout and bounded retries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync.aws.profiles import AwsPaths
from sso_sync.errors import AwsError, ConfigError, UsageError

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.session import Session
    from github.Requester import Requester
    from mypy_boto3_sso import SSOClient
    from mypy_boto3_sso_oidc import SSOOIDCClient
    from mypy_boto3_sts import STSClient

    from sso_sync.github.app_auth import AppInstallations, AppSettings
    from sso_sync.github.rest import GitHubApi

CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
AWS_MAX_ATTEMPTS = 4
GITHUB_TIMEOUT = 30


def aws_session(paths: AwsPaths, profile: str | None = None) -> Session:
    """A botocore session reading `paths.config_file`, as the AWS CLI would."""
    import botocore.session

    session = botocore.session.get_session()
    session.set_config_variable("config_file", str(paths.config_file))
    if profile is not None:
        # Lets botocore apply the profile's own settings, such as `services` endpoint overrides.
        session.set_config_variable("profile", profile)
    return session


def _config(region: str, *, signed: bool) -> Config:
    from botocore import UNSIGNED
    from botocore.config import Config

    return Config(
        region_name=region,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"mode": "standard", "max_attempts": AWS_MAX_ATTEMPTS},
        **({} if signed else {"signature_version": UNSIGNED}),
    )


def _create_client(session: Session, service: str, region: str, **kwargs: Any) -> Any:
    """botocore refuses a malformed region or endpoint URL only here, as a bare ValueError."""
    from botocore.exceptions import InvalidRegionError

    try:
        return session.create_client(service, **kwargs)
    except InvalidRegionError:
        raise ConfigError(
            f"'{region}' is not an AWS region name (such as eu-west-1): check sso_region in "
            "the AWS config, and AWS_REGION / AWS_DEFAULT_REGION"
        ) from None
    except ValueError as exc:  # "Invalid endpoint: ...", from an endpoint URL setting
        variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
        raise ConfigError(
            f"cannot call {service}: {exc}: check {variable} (and AWS_ENDPOINT_URL) or the "
            "profile's `services` section"
        ) from None


def sso_client(session: Session, region: str) -> SSOClient:
    return _create_client(session, "sso", region, config=_config(region, signed=False))  # type: ignore[no-any-return]


def oidc_client(session: Session, region: str) -> SSOOIDCClient:
    return _create_client(session, "sso-oidc", region, config=_config(region, signed=False))  # type: ignore[no-any-return]


def sts_client(
    session: Session,
    region: str,
    *,
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None,
) -> STSClient:
    return _create_client(  # type: ignore[no-any-return]
        session,
        "sts",
        region,
        config=_config(region, signed=True),
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
    )


def github_requester(token: str | None, api_url: str, timeout: int = GITHUB_TIMEOUT) -> Requester:
    """PyGithub's requester with its own retries and write throttle off: `github.py` paces and
    retries, honouring Retry-After and the rate-limit headers, within a deadline.

    Off on purpose: PyGithub's default `GithubRetry` sleeps on 403/429/5xx for as long as GitHub
    asks (often 60 s) without knowing our deadline; its `seconds_between_writes` (1 s) keeps its
    bookkeeping per requester and unlocked, so with one requester per worker thread (which we
    need: its connection object is not thread-safe) it would neither pace the run as a whole
    nor be safe. `pacing.Pacer` paces every worker together instead.
    """
    from github import Auth, Github

    client = Github(
        # None: `GitHubApi`'s authorizer sets the Authorization header per request (App auth).
        auth=Auth.Token(token) if token is not None else None,
        base_url=api_url.rstrip("/"),
        timeout=timeout,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )
    return client.requester


def github_api(
    api_url: str | None,
    environ: Mapping[str, str],
    timeout: float,
    token_file: Path | None = None,
    *,
    on_long_wait: Callable[[str], None] | None = None,
    app: AppSettings | AppInstallations | None = None,
    permissions: Mapping[str, str] | None = None,
) -> GitHubApi:
    """The GitHub client of one command: URL and token resolved, `timeout` seconds in all.
    Sources in order: GitHub App settings when given, then the token file, then the token
    sources."""
    from sso_sync.github.rest import GitHubApi, resolve_api_url, resolve_token
    from sso_sync.github.token_file import read_token_file, token_file_path

    if not math.isfinite(timeout) or timeout < 1:
        raise UsageError(f"--timeout {timeout}: give a number of seconds, 1 or more")
    url = resolve_api_url(api_url, environ)
    # No single request may outlast the whole run's deadline.
    per_request = max(1, min(GITHUB_TIMEOUT, math.ceil(timeout)))
    if app is not None:
        from sso_sync.github.app_auth import AppInstallations, check_api_url, load_private_key

        check_api_url(url)
        installations = (
            app
            if isinstance(app, AppInstallations)
            else AppInstallations(app, load_private_key(app.key_file), permissions)
        )
        api = GitHubApi(
            requester_factory=lambda: github_requester(None, url, per_request),
            timeout=timeout,
            authorizer=installations,
            on_long_wait=on_long_wait,
        )
        installations.bind(api)
        return api
    # A token file named on purpose (a scheduled job's) comes before the environment and `gh`.
    file = token_file_path(token_file, environ)
    token = read_token_file(file) if file is not None else resolve_token(environ, url)
    return GitHubApi(
        requester_factory=lambda: github_requester(token, url, per_request),
        timeout=timeout,
        on_long_wait=on_long_wait,
    )


@contextmanager
def aws_network_errors(service: str, endpoint_variable: str) -> Iterator[None]:
    """botocore's connection failures, as one line that says what to check."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import ReadTimeoutError

    try:
        yield
    except (BotoConnectionError, ReadTimeoutError) as exc:
        raise AwsError(
            f"cannot reach {service} ({type(exc).__name__}): check the network, sso_region, "
            f"and {endpoint_variable} if you set it"
        ) from None
