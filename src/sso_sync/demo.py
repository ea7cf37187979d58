"""`sso-sync demo`: the real main line, end to end, against the local sandbox.

The sign-in by device code, then the push use case itself (pushing.py: target locks, the state
file, the credential sources, the writes), then what GitHub holds decrypted and compared with
what IAM Identity Center issued, and an STS call with it. Nothing touches the user's `~/.aws`,
state directory or a real account: the AWS config, token cache, endpoints and the state file
live in a throwaway directory; the endpoints point at the sandbox through a `[services]`
section, the AWS CLI's own way to override them.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync import clients
from sso_sync.aws.profiles import AwsPaths
from sso_sync.credential_kinds.registries import ECR_PASSWORD
from sso_sync.github.targets import Target, TargetSet
from sso_sync.terminal import Quiet

if TYPE_CHECKING:
    from sso_sync.aws.signin.device_code import DevicePrompt
    from sso_sync.aws.signin.flow import SignInUi
    from sso_sync.github.rest import GitHubApi
    from sso_sync.push_run import PushRun
    from sso_sync.sandbox import Sandbox

DEMO_PROFILE = "sandbox-ci"
# Who issued each secret the demo checks, when not IAM Identity Center.
_ISSUER = {ECR_PASSWORD: "ECR"}
DEMO_REPO = "octo-org/app"


def demo_config(start_url: str, region: str, aws_url: str, account_id: str, role: str) -> str:
    return f"""\
[profile {DEMO_PROFILE}]
sso_session = sandbox
sso_account_id = {account_id}
sso_role_name = {role}
region = {region}
services = sandbox

[sso-session sandbox]
sso_start_url = {start_url}
sso_region = {region}
sso_registration_scopes = sso:account:access

[services sandbox]
sso =
  endpoint_url = {aws_url}
sso_oidc =
  endpoint_url = {aws_url}
sts =
  endpoint_url = {aws_url}
ecr =
  endpoint_url = {aws_url}
"""


# The demo's last line: where to go once it has passed.
NEXT_STEP = (
    "next: drive each command yourself against the sandbox (`python -m sso_sync.sandbox`): "
    'see "Try it by hand" in the README'
)


@contextmanager
def _own_endpoints_only() -> Iterator[None]:
    """botocore reads `AWS_ENDPOINT_URL*` (and a profile name) from the process environment
    over a config file's `[services]`: a shell that exported another sandbox's environment
    would send the demo's sign-in there. For the demo's length they are set aside."""
    import os

    outside = {
        k: os.environ.pop(k)
        for k in list(os.environ)
        if k.startswith("AWS_ENDPOINT_URL") or k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
    }
    try:
        yield
    finally:
        os.environ.update(outside)


def run_demo(
    say: Callable[[str], None], make_sandbox: Callable[[], Sandbox] | None = None
) -> dict[str, Any]:
    """Returns a report with names and verdicts only: never a credential or token."""
    from sso_sync.sandbox import Sandbox

    started = time.monotonic()
    sandbox_cm = (make_sandbox or Sandbox)()
    with (
        _own_endpoints_only(),
        tempfile.TemporaryDirectory(prefix="sso-sync-demo-") as tmp,
        sandbox_cm as sandbox,
    ):
        say(
            f"sandbox: IAM Identity Center and STS at {sandbox.aws_url}; "
            f"GitHub at {sandbox.github_url}"
        )
        account_id, (_, roles) = next(iter(sandbox.config.accounts.items()))
        paths = AwsPaths.under(Path(tmp) / ".aws")
        paths.config_file.parent.mkdir(parents=True)
        paths.config_file.write_text(
            demo_config(
                sandbox.config.start_url,
                sandbox.config.region,
                sandbox.aws_url,
                account_id,
                roles[0],
            )
        )
        say(f"throwaway AWS config: {paths.config_file}")

        run, aws = _push(sandbox, paths, Path(tmp) / "state", say)
        results = run.results
        credentials = run.credentials[0][1]

        issued = credentials.as_secrets()
        received = sandbox.secrets(f"repos/{DEMO_REPO}/actions")
        # A registry token is pushed beside them (the credential-source table's ECR row).
        ecr = [t for t in sandbox.issued_registry_tokens if t["kind"] == "ecr"]
        if ecr:
            issued[ECR_PASSWORD] = ecr[-1]["value"]
        checks = {
            name: received.get(name) is not None and received[name].value == value
            for name, value in issued.items()
        }

        # What GitHub holds, decrypted, must be usable: call STS with exactly that.
        arn: str | None = None
        needed = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
        if all(checks[name] for name in needed):
            held = dataclasses.replace(
                credentials,
                access_key_id=received["AWS_ACCESS_KEY_ID"].value,
                secret_access_key=received["AWS_SECRET_ACCESS_KEY"].value,
                session_token=received["AWS_SESSION_TOKEN"].value,
            )
            arn = aws.sts_client(held).get_caller_identity()["Arn"]

    ok = all(r.ok for r in results) and all(checks.values()) and arn is not None
    summary = [
        f"{DEMO_REPO}: " + ", ".join(f"{s.name} {s.outcome}" for r in results for s in r.secrets),
        *(
            f"  {name}: "
            + (f"decrypts to what {_ISSUER.get(name, 'SSO')} issued" if good else "MISMATCH")
            for name, good in checks.items()
        ),
        f"STS GetCallerIdentity with the pushed credentials: {arn}"
        if arn
        else "STS check skipped: GitHub did not receive all the credentials",
        f"demo {'passed' if ok else 'FAILED'} in {time.monotonic() - started:.1f} s; "
        "sandbox stopped, temporary files removed",
        NEXT_STEP,
    ]
    return {
        "ok": ok,
        "repository": DEMO_REPO,
        "secrets": [
            {"name": name, "outcome": s.outcome, "decrypts_to_issued": checks.get(name, False)}
            for r in results
            for s in r.secrets
            for name in [s.name]
        ],
        "caller_arn": arn,
        "summary": summary,
    }


class _DemoTerminal(Quiet):
    """The demo's terminal: a quiet one (no progress, no notifications) whose sign-in says the
    sandbox approves the code by itself."""

    def sign_in_ui(self, *, open_browser: bool) -> SignInUi:
        def show(prompt: DevicePrompt, _opened: bool) -> None:
            self.say(
                f"sign-in: device code {prompt.user_code} at {prompt.verification_uri} "
                "(the sandbox approves it by itself)"
            )

        return dataclasses.replace(super().sign_in_ui(open_browser=False), show_device_prompt=show)


def _push(
    sandbox: Sandbox, paths: AwsPaths, state: Path, say: Callable[[str], None]
) -> tuple[PushRun, Any]:
    """Sign in by device code, then the push use case with a throwaway state directory."""
    from datetime import datetime, timezone

    from sso_sync.aws.session import AwsSession
    from sso_sync.credential_kinds.registries import EcrSource
    from sso_sync.github.rest import GitHubApi
    from sso_sync.keepfresh.state import StateStore
    from sso_sync.pushing import Push, PushRequest, PushSides
    from sso_sync.sources import ROLE_CREDENTIALS

    terminal = _DemoTerminal(say)
    environ = {"HOME": str(paths.config_file.parent.parent)}
    with clients.command_deadline(120) as deadline:
        aws = AwsSession(DEMO_PROFILE, paths, environ=environ, terminal=terminal, deadline=deadline)
        aws.login(open_browser=False, use_device_code=True)
        say(f"token cached as the AWS CLI does: {aws.cache.path(aws.profile.token_cache_key)}")

        def github() -> GitHubApi:
            token, url = sandbox.github_token, sandbox.github_url
            return GitHubApi(
                requester_factory=lambda: clients.github_requester(token, url), deadline=deadline
            )

        owner, repo = DEMO_REPO.split("/")
        target = Target(kind="repo", owner=owner, repo=repo)
        sets = (
            TargetSet(None, DEMO_PROFILE, "", (target,), sources=(ROLE_CREDENTIALS, EcrSource())),
        )
        state.mkdir(mode=0o700)
        sides = PushSides(
            aws=lambda _p: aws,
            github=github,
            store=StateStore(state),
            terminal=terminal,
            now=lambda: datetime.now(timezone.utc),
        )
        run = Push(PushRequest(sets, deadline, concurrency=4, progress=False), sides).run()
    c = run.credentials[0][1] if run.credentials else None
    if c is not None:
        say(f"role credentials for {c.account_id}/{c.role_name}")
    return run, aws
