"""Loopback HTTP servers speaking the real sso, sso-oidc, sts, ECR and CodeArtifact (token calls)
and GitHub REST wire protocols.

Used by the test-suite (real boto3 / AWS CLI / PyGithub clients pointed at it through
``Sandbox.env()``) and by ``sso-sync demo``. ``github_app`` holds the fake GitHub's App auth
(JWT checks, installations, installation tokens).
"""

from .config import RequestRecord, SandboxConfig, StoredSecret
from .core import Sandbox

__all__ = ["RequestRecord", "Sandbox", "SandboxConfig", "StoredSecret"]
