"""The one place that builds real boto3/botocore and PyGithub clients.

Imports are inside the functions so that `sso-sync --help` never loads boto3 or PyGithub.
Every client gets a timeout and bounded retries.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync.errors import AwsError, ConfigError, DeadlineReached, UsageError
from sso_sync.transport import (
    cap_botocore_client,
    direct_to_loopback,
    require_safe_transport,
    url_origin,
)

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.session import Session
    from github.Requester import Requester
    from mypy_boto3_codeartifact import CodeArtifactClient
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_sso import SSOClient
    from mypy_boto3_sso_oidc import SSOOIDCClient
    from mypy_boto3_sts import STSClient

    from sso_sync.aws.profiles import AwsPaths
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.deadline import Deadline
    from sso_sync.github.app_auth import AppInstallations, AppSettings
    from sso_sync.github.rest import GitHubApi
    from sso_sync.server_clock import ServerClock

# What `-v` has said about a command's GitHub token, by the command's deadline: a command that
# builds its client twice (a token check, then the push) names the source once.
_TOKEN_SOURCES_TOLD: weakref.WeakKeyDictionary[Deadline, set[str]] = weakref.WeakKeyDictionary()


def _tell_token_source(deadline: Deadline, url: str, source: object) -> None:
    line = f"GitHub token for {url_origin(url)} from {source}"
    told = _TOKEN_SOURCES_TOLD.setdefault(deadline, set())
    if line not in told:
        told.add(line)
        import logging  # here: every command's --help imports this module, and needs no log

        logging.getLogger(__name__).info("%s", line)


CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
AWS_MAX_ATTEMPTS = 4
GITHUB_TIMEOUT = 30


def aws_session(
    paths: AwsPaths,
    profile: str | None = None,
    *,
    deadline: Deadline | None = None,
    server_clock: ServerClock | None = None,
) -> Session:
    """A botocore session reading `paths.config_file`, as the AWS CLI would.

    With a `deadline`, every client made from it, including those botocore makes for itself
    (the token refresh's `sso-oidc` client), has its timeouts within it and sends no request
    and starts no retry once it has passed."""
    import botocore.session

    from sso_sync.files import read_capped

    # botocore reads the file itself, with no such care: a FIFO there would hang it. (A
    # directory there is named by load_profile, with its own advice.)
    if not paths.config_file.is_dir():
        read_capped(paths.config_file, follow_symlinks=True)
    session = botocore.session.get_session()
    session.set_config_variable("config_file", str(paths.config_file))
    # Every client made from this session, botocore's own token refresher's included, checks
    # the URL of each request before sending it.
    session.register("before-send", _refuse_clear_text_request)
    # ... and sends nothing for a loopback endpoint through a proxy on another host.
    direct_to_loopback(session)
    if profile is not None:
        # Lets botocore apply the profile's own settings, such as `services` endpoint overrides.
        session.set_config_variable("profile", profile)
    if deadline is not None:
        bind_deadline(session, deadline)
    if server_clock is not None:
        watch_clock(session, server_clock)
    return session


def watch_clock(session: Session, server_clock: ServerClock) -> None:
    """Every AWS answer's `Date`, errors' included (botocore emits `after-call` before it
    raises), told to `server_clock`."""

    def after_call(http_response: Any = None, **_: Any) -> None:
        headers = getattr(http_response, "headers", None)
        if headers is not None:
            server_clock.observe("aws", dict(headers))

    session.register("after-call", after_call)


def bind_deadline(session: Session, deadline: Deadline) -> None:
    """botocore's documented hooks: a default client config, and handlers for the events it
    emits before each send and before each retry (a handler that raises ends the call)."""
    session.set_default_client_config(_limits(deadline))

    from sso_sync.deadline import soonest

    def before_send(**_: Any) -> None:
        soonest(deadline).check("calling AWS")

    def needs_retry(
        attempts: int = 1,
        response: Any = None,
        caught_exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        nearest = soonest(deadline)
        if nearest.expired:
            raise nearest.reached("calling AWS", sent=True)
        status = response[0].status_code if response else 0
        retryable = caught_exception is not None or status >= 500 or status == 429
        # botocore's standard mode sleeps up to 2**(attempts-1) s before the retry: if that
        # could end past the deadline, stop now rather than sleep through it.
        if retryable and min(20.0, 2.0 ** (attempts - 1)) > nearest.remaining():
            raise nearest.reached("calling AWS (no time left to retry)", sent=True)

    session.register("before-send", before_send)
    session.register("needs-retry", needs_retry)


def _limits(deadline: Deadline | None) -> Config:
    from botocore.config import Config

    connect, read = float(CONNECT_TIMEOUT), float(READ_TIMEOUT)
    if deadline is not None:
        connect, read = deadline.cap(connect, floor=1), deadline.cap(read, floor=1)
    return Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"mode": "standard", "max_attempts": AWS_MAX_ATTEMPTS},
    )


def _config(region: str, *, signed: bool, deadline: Deadline | None = None) -> Config:
    from botocore import UNSIGNED
    from botocore.config import Config

    return Config(
        region_name=region,
        **({} if signed else {"signature_version": UNSIGNED}),
    ).merge(_limits(deadline))


def _endpoint_setting(service: str) -> str:
    variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    return f"{variable} (or AWS_ENDPOINT_URL, or the profile's endpoint_url or `services` section)"


def _refuse_clear_text_request(**kwargs: Any) -> None:
    """botocore's `before-send` hook: the last check before bytes leave, for clients we did not
    build ourselves (botocore's SSO token refresher makes its own `sso-oidc` client)."""
    service = str(kwargs.get("event_name", "before-send.aws")).split(".")[1]
    require_safe_transport(kwargs["request"].url, what=service, setting=_endpoint_setting(service))


def _create_client(session: Session, service: str, region: str, **kwargs: Any) -> Any:
    """botocore refuses a malformed region or endpoint URL only here, as a bare ValueError.

    The endpoint botocore settled on (from whichever setting) is checked here too, so a
    plain-http endpoint is refused before any request, with the setting to change.
    """
    from botocore.exceptions import InvalidRegionError

    try:
        client = session.create_client(service, **kwargs)
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
    require_safe_transport(
        client.meta.endpoint_url, what=service, setting=_endpoint_setting(service)
    )
    cap_botocore_client(client)
    return client


def sso_client(session: Session, region: str, deadline: Deadline | None = None) -> SSOClient:
    config = _config(region, signed=False, deadline=deadline)
    return _create_client(session, "sso", region, config=config)  # type: ignore[no-any-return]


def oidc_client(session: Session, region: str, deadline: Deadline | None = None) -> SSOOIDCClient:
    config = _config(region, signed=False, deadline=deadline)
    return _create_client(session, "sso-oidc", region, config=config)  # type: ignore[no-any-return]


def sts_client(
    session: Session,
    region: str,
    *,
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None,
    deadline: Deadline | None = None,
) -> STSClient:
    return _signed_client(  # type: ignore[no-any-return]
        session, "sts", region, (access_key_id, secret_access_key, session_token), deadline
    )


def ecr_client(
    session: Session, region: str, credentials: RoleCredentials, deadline: Deadline | None = None
) -> ECRClient:
    """ECR, signed with the role credentials (`AWS_ENDPOINT_URL_ECR` honoured)."""
    keys = (credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    return _signed_client(session, "ecr", region, keys, deadline)  # type: ignore[no-any-return]


def codeartifact_client(
    session: Session, region: str, credentials: RoleCredentials, deadline: Deadline | None = None
) -> CodeArtifactClient:
    """CodeArtifact, signed with the role credentials (`AWS_ENDPOINT_URL_CODEARTIFACT`)."""
    keys = (credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    return _signed_client(  # type: ignore[no-any-return]
        session, "codeartifact", region, keys, deadline
    )


def _signed_client(
    session: Session,
    service: str,
    region: str,
    keys: tuple[str, str, str | None],
    deadline: Deadline | None,
) -> Any:
    access_key_id, secret_access_key, session_token = keys
    return _create_client(
        session,
        service,
        region,
        config=_config(region, signed=True, deadline=deadline),
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
    from github.Requester import Requester as PyGithubRequester

    from github import Auth, Github
    from sso_sync.github.connections import connection_classes

    PyGithubRequester.injectConnectionClasses(*connection_classes())
    # injectConnectionClasses also turns PyGithub's keep-alive off (it was made for replaying
    # recorded tests): every request then opened a new connection, on GitHub a TCP and TLS
    # handshake each. Keep-alive back on (tests/github/test_connection_reuse.py counts them).
    PyGithubRequester._Requester__persist = True  # type: ignore[attr-defined]
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
    timeout: float | Deadline,
    token_file: Path | None = None,
    *,
    on_long_wait: Callable[[str], None] | None = None,
    app: AppSettings | AppInstallations | None = None,
    permissions: Mapping[str, str] | None = None,
    server_clock: ServerClock | None = None,
) -> GitHubApi:
    """The GitHub client of one command: URL and token resolved, within the command's deadline
    (or `timeout` seconds from now). Sources in order: GitHub App settings when given, then the
    token file, then the token sources."""
    from sso_sync.deadline import Deadline
    from sso_sync.github.rest import GitHubApi
    from sso_sync.github.token_file import read_token_file, token_file_path
    from sso_sync.github.token_sources import resolve_api_url, resolve_token

    deadline = timeout if isinstance(timeout, Deadline) else checked_deadline(timeout)
    url = resolve_api_url(api_url, environ)
    # No single request may outlast the whole run's deadline.
    per_request = max(1, min(GITHUB_TIMEOUT, math.ceil(deadline.remaining())))
    if app is not None:
        from sso_sync.github.app_auth import AppInstallations, load_private_key

        # resolve_api_url has refused plain http to anything but loopback: the key signs tokens.
        installations = (
            app
            if isinstance(app, AppInstallations)
            else AppInstallations(app, load_private_key(app.key_file), permissions)
        )
        api = GitHubApi(
            requester_factory=lambda: github_requester(None, url, per_request),
            deadline=deadline,
            authorizer=installations,
            on_long_wait=on_long_wait,
            server_clock=server_clock,
        )
        installations.bind(api)
        return api
    # A token file named on purpose (a scheduled job's) comes before the environment and `gh`.
    file = token_file_path(token_file, environ)
    if file is not None:
        token = read_token_file(file)
        _tell_token_source(deadline, url, file)
    else:
        resolved = resolve_token(url, environ)
        token = resolved.value
        _tell_token_source(deadline, url, resolved.source)
    check_token_text(token, str(file) if file is not None else resolved.source)
    return GitHubApi(
        requester_factory=lambda: github_requester(token, url, per_request),
        deadline=deadline,
        on_long_wait=on_long_wait,
        server_clock=server_clock,
    )


def check_token_text(token: str, source: str) -> None:
    """A token goes into an HTTP header: a line break would end the header (requests refuses
    it deep inside a worker, as an internal error), a space would split it. No GitHub token
    holds either, so it is refused here, with where it came from and never its value."""
    if not (token.isascii() and token.isprintable()) or " " in token:
        raise UsageError(
            f"the GitHub token from {source} holds a line break, space or other character no "
            "token has: set it again, as `gh auth token` prints it"
        )


@contextmanager
def command_deadline(timeout: float) -> Iterator[Deadline]:
    """A command's one deadline (`--timeout`), its watchdog running for the block."""
    deadline = checked_deadline(timeout)
    with deadline.guard():
        yield deadline


def checked_deadline(timeout: float) -> Deadline:
    """A command's deadline, `timeout` seconds from now."""
    from sso_sync.deadline import Deadline

    if not math.isfinite(timeout) or timeout < 1:
        raise UsageError(f"--timeout {timeout}: give a number of seconds, 1 or more")
    return Deadline(timeout)


@contextmanager
def aws_network_errors(
    service: str, endpoint_variable: str, deadline: Deadline | None = None
) -> Iterator[None]:
    """botocore's connection failures, as one line that says what to check; past the
    deadline, whatever botocore raised is the deadline."""
    from botocore.exceptions import BotoCoreError, ReadTimeoutError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    try:
        yield
    except DeadlineReached as exc:
        raise DeadlineReached(f"{service}: {exc}", sent=exc.sent) from None
    except (BotoCoreError, AwsError) as exc:
        if deadline is not None and deadline.expired:
            raise deadline.reached(service, sent=True) from None
        if not isinstance(exc, (BotoConnectionError, ReadTimeoutError)):
            raise
        raise AwsError(
            f"cannot reach {service} ({type(exc).__name__}): check the network, sso_region, "
            f"and {endpoint_variable} if you set it"
        ) from None
