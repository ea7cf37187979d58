"""The workflows `init-workflows` writes, run by nektos/act as GitHub would run them: the action
is fetched by the commit they pin (from act's action cache, filled here with this tree committed
in a repository of its own), with credentials as secrets and the expiry as a variable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sso_sync.sandbox import Sandbox
from tests.support.verify import sandbox_credentials
from tests.support.world import ACCOUNT, ROLE

ROOT = Path(__file__).resolve().parents[2]
# Read before the autouse fixture replaces HOME (a warm wheel cache, as in test_action.py).
PIP_CACHE_DIR = os.environ.get("PIP_CACHE_DIR") or str(Path("~/.cache/pip").expanduser())
OWNER_REPO = "octo-org/sso-sync"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def publish_action(cache: Path) -> str:
    """This tree's tracked files as a commit of OWNER_REPO in act's action cache; its SHA."""
    source = cache.parent / "action-source"
    for name in git(ROOT, "ls-files", "-z").split("\0"):
        if name and (ROOT / name).is_file() and not name.startswith(("tests/", "benchmarks/")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "action")
    sha = git(source, "rev-parse", "HEAD")
    # act 0.2.89 keeps a remote action as a git clone named OWNER-REPO@REF; offline, it uses it.
    shutil.copytree(source, cache / f"{OWNER_REPO.replace('/', '-')}@{sha}")
    return sha


def act(repo: Path, home: Path, event: str, workflow: str, *extra: str) -> tuple[int, str]:
    binary = Path(sys.executable).with_name("act")
    argv = [str(binary), event, "-P", "ubuntu-latest=-self-hosted", "--action-offline-mode"]
    argv += ["-W", workflow, *extra]
    env = {**os.environ, "HOME": str(home), "PIP_CACHE_DIR": PIP_CACHE_DIR}
    done = subprocess.run(
        argv, cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
def test_act_runs_the_written_workflows_with_the_pinned_action(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cache = home / ".cache" / "act"
    cache.mkdir(parents=True)
    sha = publish_action(cache)

    repo = tmp_path / "user-repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    cli = [sys.executable, "-c", "from sso_sync.cli import main; main()", "init-workflows"]
    # A development install writes nothing without --action, and names the flag.
    refused = subprocess.run(cli, cwd=repo, capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "--action OWNER/REPO@SHA" in refused.stderr
    assert not (repo / ".github").exists()
    written = subprocess.run(
        [*cli, "--action", f"{OWNER_REPO}@{sha}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert written.returncode == 0, written.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "workflows")

    with Sandbox() as sandbox:
        live = sandbox_credentials(sandbox, ACCOUNT, ROLE)
        secrets = tmp_path / "secrets"
        secrets.write_text(
            "".join(f"{k}={v}\n" for k, v in live.items() if k != "AWS_CREDENTIAL_EXPIRATION")
        )
        secrets.chmod(0o600)
        variables = tmp_path / "vars"
        variables.write_text(f"AWS_CREDENTIAL_EXPIRATION={live['AWS_CREDENTIAL_EXPIRATION']}\n")
        env_file = tmp_path / "env"
        env_file.write_text(f"AWS_ENDPOINT_URL_STS={sandbox.aws_url}\n")
        files = ("--secret-file", str(secrets), "--var-file", str(variables))
        files += ("--env-file", str(env_file))
        check = act(
            repo, home, "workflow_dispatch", ".github/workflows/verify-aws-credentials.yml", *files
        )
        gate = act(repo, home, "push", ".github/workflows/deploy.yml", "-j", "verify", *files)
        sts = [r.status for r in sandbox.requests if r.operation == "GetCallerIdentity"]

    for code, log in (check, gate):
        assert code == 0, log[-4000:]
        assert f"git clone 'https://github.com/{OWNER_REPO}' # ref={sha}" in log  # the pin ran
        assert "valid=true" in log.replace("::set-output:: ", "")
        for value in live.values():
            if value != live["AWS_CREDENTIAL_EXPIRATION"]:
                assert value not in log
    assert "[verify-aws-credentials/verify] 🏁  Job succeeded" in check[1]
    assert "report" not in check[1].split("Job succeeded", 1)[1]  # skipped: nothing to report
    assert sts == [200, 200]  # each workflow asked STS with the credentials
