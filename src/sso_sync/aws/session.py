"""The AWS side of one command, as one facade: the config files, the botocore session, the
profile, the token cache, the sign-in (talking to the person through the core's `Terminal`),
the role credentials and the status report. Below the CLI: the push use case, `watch`'s
cycles, `demo` and the commands all take one of these.

The only way to AWS: nothing else builds a botocore session or an IAM Identity Center, OIDC,
STS, ECR or CodeArtifact client (tests/test_architecture.py checks), so every such client is
within a deadline and refuses clear text. `AwsClients` is the part that needs no profile
(`configure` before its profile exists, `logout --all`, `verify` with credentials in hand);
`AwsSession` is one with a profile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from sso_sync.aws.profiles import AwsPaths, profile_name_or_default

if TYPE_CHECKING:
    from datetime import datetime

    from botocore.session import Session
    from mypy_boto3_codeartifact import CodeArtifactClient
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_sso import SSOClient
    from mypy_boto3_sso_oidc import SSOOIDCClient
    from mypy_boto3_sts import STSClient

    from sso_sync.aws.profiles import SsoProfile
    from sso_sync.aws.role_credentials import RoleCredentials
    from sso_sync.aws.signin.flow import SignInResult
    from sso_sync.aws.status import StatusReport
    from sso_sync.deadline import Deadline
    from sso_sync.server_clock import ServerClock
    from sso_sync.terminal import Terminal


class SigningKeys(Protocol):
    """What signs a request: role credentials, or keys as a workflow step sees them."""

    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_access_key(self) -> str: ...
    @property
    def session_token(self) -> str | None: ...


class AwsClients:
    """The botocore session reading the AWS config as the AWS CLI would, and the clients made
    from it: every call within `deadline`, every answer's `Date` told to `server_clock`."""

    def __init__(
        self,
        paths: AwsPaths | None = None,
        *,
        environ: Mapping[str, str],
        deadline: Deadline | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        from sso_sync import clients

        self.deadline = deadline
        self.environ = environ
        self.server_clock = server_clock
        self.paths = paths or AwsPaths.from_environ(environ)
        self.session = clients.aws_session(self.paths, deadline=deadline, server_clock=server_clock)

    def _for_clients(self) -> Session:
        """The session, reading botocore's data lean (aws/model_data.py), its endpoint table
        cut to our services and kept in the cache directory. Set up at the first client, after
        the profile: the data loader reads the config file, whose errors load_profile names."""
        from sso_sync.aws.endpoint_table import cache_dir
        from sso_sync.aws.model_data import use_lean_loader

        use_lean_loader(self.session, cache_dir(self.environ))
        return self.session

    def load_profile(self, name: str) -> SsoProfile:
        """Profile `name` of the config file, checked: each error names the file and the fix."""
        from sso_sync.aws.profiles import load_profile

        return load_profile(self.session, name, self.paths.config_file)

    def sso_client(self, region: str) -> SSOClient:
        from sso_sync import clients

        return clients.sso_client(self._for_clients(), region, self.deadline)

    def oidc_client(self, region: str) -> SSOOIDCClient:
        from sso_sync import clients

        return clients.oidc_client(self._for_clients(), region, self.deadline)

    def sts_client(self, keys: SigningKeys, region: str) -> STSClient:
        """STS, signed with `keys`."""
        from sso_sync import clients

        return clients.sts_client(
            self._for_clients(),
            region,
            access_key_id=keys.access_key_id,
            secret_access_key=keys.secret_access_key,
            session_token=keys.session_token,
            deadline=self.deadline,
        )

    def ecr_client(self, credentials: RoleCredentials, region: str) -> ECRClient:
        """ECR, signed with the role credentials."""
        from sso_sync import clients

        return clients.ecr_client(self._for_clients(), region, credentials, self.deadline)

    def codeartifact_client(self, credentials: RoleCredentials, region: str) -> CodeArtifactClient:
        """CodeArtifact, signed with the role credentials."""
        from sso_sync import clients

        return clients.codeartifact_client(self._for_clients(), region, credentials, self.deadline)


class AwsSession(AwsClients):
    """The AWS side of one command: config paths, botocore session, profile, token cache."""

    def __init__(
        self,
        profile: str | None,
        paths: AwsPaths | None = None,
        *,
        environ: Mapping[str, str],
        terminal: Terminal,
        unsaved: SsoProfile | None = None,
        deadline: Deadline | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        """`unsaved` is a profile not (yet) in the config file, as `configure` signs in for.
        `deadline` bounds every AWS call (the command's `--timeout`); a sign-in talks to the
        person through `terminal`."""
        from sso_sync.aws.token_cache import TokenCache

        super().__init__(paths, environ=environ, deadline=deadline, server_clock=server_clock)
        self.terminal = terminal
        if unsaved is None:
            name = profile_name_or_default(profile, environ)
            self.profile = self.load_profile(name)
            # Lets botocore apply the profile's own settings, such as `services` endpoints.
            self.session.set_config_variable("profile", name)
        else:
            self.profile = unsaved
        self._unsaved = unsaved is not None
        self.cache = TokenCache(self.paths.sso_cache)
        self.sso = super().sso_client(self.profile.sso_region)

    def _aws_now(self) -> dict[str, Callable[[], datetime]]:
        """`now` by AWS's clock for a call that judges AWS's expiries (none without a clock):
        not by GitHub's, whose answers may be the latest the clock has seen."""
        if self.server_clock is None:
            return {}
        return {"now": functools.partial(self.server_clock.now, "aws")}

    def within(self, deadline: Deadline) -> AwsSession:
        """This profile's AWS side again, every call within `deadline` instead of the
        command's: for work that outlasts it (`watch --remote-sign-in` waits for a person)."""
        return AwsSession(
            self.profile.name,
            self.paths,
            environ=self.environ,
            terminal=self.terminal,
            unsaved=self.profile if self._unsaved else None,
            deadline=deadline,
            server_clock=self.server_clock,
        )

    def sso_client(self, region: str | None = None) -> SSOClient:
        """IAM Identity Center in `region` (None: the profile's own, whose client is made)."""
        if region is None or region == self.profile.sso_region:
            return self.sso
        return super().sso_client(region)

    def oidc_client(self, region: str | None = None) -> SSOOIDCClient:
        return super().oidc_client(region or self.profile.sso_region)

    def sts_client(self, keys: SigningKeys, region: str | None = None) -> STSClient:
        """STS signed with `keys`, in `region` (None: the profile's IAM Identity Center one)."""
        return super().sts_client(keys, region or self.profile.sso_region)

    def login(
        self,
        *,
        open_browser: bool,
        force: bool = False,
        use_device_code: bool = False,
        use_auth_code: bool = False,
    ) -> SignInResult:
        from sso_sync import clients
        from sso_sync.aws.role_credentials import token_accepted
        from sso_sync.aws.signin.auth_code import TIME_LIMIT_SECONDS
        from sso_sync.aws.signin.flow import choose_flow, sign_in

        choice = choose_flow(
            self.profile,
            use_device_code=use_device_code,
            use_auth_code=use_auth_code,
            environ=self.environ,
        )
        sign_in_ui = self.terminal.sign_in_ui(open_browser=open_browser)
        oidc = self.oidc_client()
        deadline = self.deadline

        def person_waits() -> None:
            # A person is reading a code or a browser page: that wait has its own limit.
            if deadline is not None:
                deadline.extend(TIME_LIMIT_SECONDS)

        with clients.aws_network_errors(
            "IAM Identity Center", "AWS_ENDPOINT_URL_SSO_OIDC", self.deadline
        ):
            result = sign_in(
                self.session,
                oidc,
                self.profile,
                self.cache,
                choice=choice,
                ui=sign_in_ui,
                force=force,
                accepted=lambda token: token_accepted(self.sso, token),
                on_wait=person_waits,
            )
        until = f"{result.expires_at:%Y-%m-%d %H:%M} UTC"
        p = self.profile
        # What is signed in to is the sso-session (shared by its profiles), or a legacy start URL.
        where = f"sso-session '{p.session_name}'" if p.session_name else p.start_url
        if not self._unsaved:  # a profile `configure` has not written yet is no profile to name
            where += f" (profile '{p.name}')"
        if result.reused:
            self.terminal.say(
                f"Already signed in to {where}, valid until {until}; pass --force to sign in again."
            )
        else:
            self.terminal.say(f"Signed in to {where}, valid until {until}.")
        return result

    def role_credentials(self, *, allow_sign_in: bool) -> RoleCredentials:
        from sso_sync import clients
        from sso_sync.aws.role_credentials import obtain_role_credentials

        def sign_in_here() -> None:
            self.login(open_browser=True)

        sign_in = sign_in_here if allow_sign_in else None
        with clients.aws_network_errors(
            "IAM Identity Center", "AWS_ENDPOINT_URL_SSO", self.deadline
        ):
            return obtain_role_credentials(
                self.session,
                self.sso,
                self.profile,
                self.cache,
                sign_in=sign_in,
                deadline=self.deadline,
                # Issued by AWS's clock: judged by it, as far as it is known.
                **self._aws_now(),
            )

    def status_report(self) -> StatusReport:
        """What `status` (and `doctor`) show: never signs in; refreshes silently when any AWS
        SDK would; asks STS in the region the AWS CLI v2 would."""
        from sso_sync import clients
        from sso_sync.aws.profiles import profile_region
        from sso_sync.aws.role_cache import RoleCache
        from sso_sync.aws.status import collect_status, sts_region

        own_region = profile_region(self.session.full_config, self.profile.name)
        region = sts_region(self.environ, own_region, self.profile.sso_region)

        def sts_for(credentials: RoleCredentials) -> Any:
            return self.sts_client(credentials, region)

        with clients.aws_network_errors(
            "IAM Identity Center", "AWS_ENDPOINT_URL_SSO", self.deadline
        ):
            return collect_status(
                session=self.session,
                profile=self.profile,
                cache=self.cache,
                role_cache=RoleCache(self.paths.cli_cache),
                sso=self.sso,
                sts_for=sts_for,
                region=region,
                # Expiries are AWS's times: judged by its clock, as far as it is known.
                **self._aws_now(),
            )
