"""`sso-sync demo`: the real main line, end to end, against the local sandbox.

Nothing touches the user's `~/.aws` or a real account: the AWS config, token cache and
endpoints live in a throwaway directory, pointed at the sandbox through a `[services]` section,
the AWS CLI's own way to override endpoints.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync import clients
from sso_sync.aws.profiles import AwsPaths, load_profile
from sso_sync.aws.role_credentials import obtain_role_credentials
from sso_sync.aws.signin.device_code import DevicePrompt, device_login
from sso_sync.aws.token_cache import TokenCache
from sso_sync.github.push import apply_push, plan_push
from sso_sync.github.rest import GitHubApi
from sso_sync.github.targets import Target

if TYPE_CHECKING:
    from sso_sync.sandbox import Sandbox

DEMO_PROFILE = "sandbox-ci"
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
"""


# The demo's last line: where to go once it has passed.
NEXT_STEP = (
    "next: drive each command yourself against the sandbox (`python -m sso_sync.sandbox`): "
    'see "Try it by hand" in the README'
)


def run_demo(
    say: Callable[[str], None], make_sandbox: Callable[[], Sandbox] | None = None
) -> dict[str, Any]:
    """Returns a report with names and verdicts only: never a credential or token."""
    from sso_sync.sandbox import Sandbox

    started = time.monotonic()
    sandbox_cm = (make_sandbox or Sandbox)()
    with tempfile.TemporaryDirectory(prefix="sso-sync-demo-") as tmp, sandbox_cm as sandbox:
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

        session = clients.aws_session(paths, DEMO_PROFILE)
        profile = load_profile(session, DEMO_PROFILE, paths.config_file)
        cache = TokenCache(paths.sso_cache)

        def show(prompt: DevicePrompt) -> None:
            say(
                f"sign-in: device code {prompt.user_code} at {prompt.verification_uri} "
                "(the sandbox approves it by itself)"
            )

        oidc = clients.oidc_client(session, profile.sso_region)
        device_login(oidc, profile, cache, show_prompt=show)
        say(f"token cached as the AWS CLI does: {cache.path(profile.token_cache_key)}")

        sso = clients.sso_client(session, profile.sso_region)
        credentials = obtain_role_credentials(session, sso, profile, cache, sign_in=None)
        say(f"role credentials for {credentials.account_id}/{credentials.role_name}")

        owner, repo = DEMO_REPO.split("/")
        api = GitHubApi(clients.github_requester(sandbox.github_token, sandbox.github_url))
        plan = plan_push([Target(kind="repo", owner=owner, repo=repo)])
        results = apply_push(api, plan, credentials.as_secrets())

        issued = credentials.as_secrets()
        received = sandbox.secrets(f"repos/{DEMO_REPO}/actions")
        checks = {
            name: received.get(name) is not None and received[name].value == value
            for name, value in issued.items()
        }

        # What GitHub holds, decrypted, must be usable: call STS with exactly that.
        arn: str | None = None
        needed = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
        if all(checks[name] for name in needed):
            sts = clients.sts_client(
                session,
                profile.sso_region,
                access_key_id=received["AWS_ACCESS_KEY_ID"].value,
                secret_access_key=received["AWS_SECRET_ACCESS_KEY"].value,
                session_token=received["AWS_SESSION_TOKEN"].value,
            )
            arn = sts.get_caller_identity()["Arn"]

    ok = all(r.ok for r in results) and all(checks.values()) and arn is not None
    summary = [
        f"{DEMO_REPO}: " + ", ".join(f"{s.name} {s.outcome}" for r in results for s in r.secrets),
        *(
            f"  {name}: {'decrypts to what SSO issued' if good else 'MISMATCH'}"
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
