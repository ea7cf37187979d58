"""Role credentials the sandbox issued, as `RoleCredentials`, for driving the registry-token
calls (aws/registry_tokens.py) directly; and the AWS facade they run in."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING

from sso_sync.aws.profiles import AwsPaths
from sso_sync.aws.role_credentials import RoleCredentials
from sso_sync.deadline import Deadline
from sso_sync.sandbox import Sandbox
from tests.support.verify import sandbox_credentials
from tests.support.world import ACCOUNT, ROLE

if TYPE_CHECKING:
    from sso_sync.aws.session import AwsClients


def role_credentials(sandbox: Sandbox, account: str = ACCOUNT, role: str = ROLE) -> RoleCredentials:
    env = sandbox_credentials(sandbox, account, role)
    return RoleCredentials(
        account_id=account,
        role_name=role,
        access_key_id=env["AWS_ACCESS_KEY_ID"],
        secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        session_token=env["AWS_SESSION_TOKEN"],
        expiration=datetime.fromisoformat(env["AWS_CREDENTIAL_EXPIRATION"].replace("Z", "+00:00")),
    )


def facade(deadline: Deadline | None = None) -> AwsClients:
    """The AWS facade a command has, reading the test's AWS config and environment; bound to
    `deadline` as a command's is."""
    from sso_sync.aws.session import AwsClients

    return AwsClients(AwsPaths.from_environ(os.environ), environ=os.environ, deadline=deadline)
