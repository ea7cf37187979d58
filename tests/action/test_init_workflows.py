"""`sso-sync init-workflows`: the two examples, filled in, written into this repository."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sso_sync.action.workflows import render
from sso_sync.cli.app import app

# A development install knows no release commit: every call names the action to pin.
PIN = "my-org/sso-sync@" + "a" * 40


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "src").mkdir()
    monkeypatch.chdir(root / "src")  # from a subdirectory, as people do
    return root


def invoke(*args: str, action: str | None = PIN):
    pin = ["--action", action] if action is not None else []
    return CliRunner().invoke(app, ["init-workflows", *pin, *args])


def workflows(root: Path) -> dict[str, str]:
    folder = root / ".github" / "workflows"
    return {p.name: p.read_text() for p in sorted(folder.glob("*"))} if folder.exists() else {}


def test_writes_both_workflows_at_the_repository_root(repo: Path) -> None:
    result = invoke()
    assert result.exit_code == 0, result.stderr
    written = workflows(repo)
    assert sorted(written) == ["deploy.yml", "verify-aws-credentials.yml"]
    for name, text in written.items():
        assert text == render(name, prefix="", environment=None, action=PIN)
    assert "wrote .github/workflows/deploy.yml" in result.stdout
    assert "--expiration-variable AWS_CREDENTIAL_EXPIRATION" in result.stderr


def test_prefix_and_environment_are_filled_in(repo: Path) -> None:
    result = invoke("--prefix", "PROD_", "--env", "production")
    assert result.exit_code == 0, result.stderr
    deploy = yaml.safe_load(workflows(repo)["deploy.yml"])
    assert deploy["jobs"]["verify"]["environment"] == "production"
    assert deploy["jobs"]["deploy"]["environment"] == "production"
    assert deploy["jobs"]["deploy"]["needs"] == "verify"
    step = deploy["jobs"]["verify"]["steps"][0]["with"]
    assert step["aws-session-token"] == "${{ secrets.PROD_AWS_SESSION_TOKEN }}"
    assert step["credential-expiration"] == "${{ vars.PROD_AWS_CREDENTIAL_EXPIRATION }}"
    assert step["min-remaining"] == "30m"
    scheduled = yaml.safe_load(workflows(repo)["verify-aws-credentials.yml"])
    assert scheduled["jobs"]["report"]["permissions"] == {"issues": "write"}
    assert scheduled["jobs"]["verify"]["permissions"] == {}
    assert "PROD_" in result.stderr and "production" in result.stderr


def test_schedule_is_hourly_and_dispatchable(repo: Path) -> None:
    assert invoke().exit_code == 0
    document = yaml.safe_load(workflows(repo)["verify-aws-credentials.yml"])
    triggers = document[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"] == [{"cron": "17 * * * *"}]
    assert "workflow_dispatch" in triggers
    assert document["permissions"] == {}


def test_refuses_to_overwrite_without_force_and_writes_nothing(repo: Path) -> None:
    folder = repo / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "deploy.yml").write_text("# mine\n")
    result = invoke()
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert ".github/workflows/deploy.yml already exists: pass --force" in result.stderr
    assert workflows(repo) == {"deploy.yml": "# mine\n"}  # the other file was not written either


def test_force_overwrites(repo: Path) -> None:
    folder = repo / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "deploy.yml").write_text("# mine\n")
    result = invoke("--force")
    assert result.exit_code == 0, result.stderr
    assert "overwrote .github/workflows/deploy.yml" in result.stdout
    assert workflows(repo)["deploy.yml"].startswith("# Written by `sso-sync init-workflows`")


def test_a_pinned_action_of_your_choice_is_used(repo: Path) -> None:
    pin = "other-org/sso-sync@" + "b" * 40
    assert invoke(action=pin).exit_code == 0
    assert f"uses: {pin}\n" in workflows(repo)["deploy.yml"]


def test_a_development_install_refuses_without_action_and_writes_nothing(repo: Path) -> None:
    # This checkout is installed for development: no release was recorded in the package.
    result = invoke(action=None)
    assert result.exit_code == 2
    assert "development install" in result.stderr
    assert "pass --action OWNER/REPO@SHA" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert workflows(repo) == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prefix", "bad-prefix"], "is invalid"),
        (["--env", "prod;rm"], "--env 'prod;rm'"),
        (["--action", "my-org/sso-sync@v1"], "pin the action by its full"),
        (["--action", "my-org/sso-sync"], "pin the action by its full"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(repo: Path, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.strip().count("\n") == 0
    assert workflows(repo) == {}


def test_outside_a_git_repository_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke()
    assert result.exit_code == 2
    assert "not inside a git repository" in result.stderr
    assert not (tmp_path / ".github").exists()


@pytest.mark.parametrize("link", [".github", ".github/workflows"])
def test_a_symlinked_workflows_directory_is_refused_and_nothing_written_through_it(
    repo: Path, tmp_path: Path, link: str
) -> None:
    """A cloned repository can hold `.github` as a link to anywhere (here, outside the
    repository): writing through it would put files where `git status` never shows them."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repo / link).parent.mkdir(parents=True, exist_ok=True)
    (repo / link).symlink_to(outside, target_is_directory=True)
    result = invoke()
    assert result.exit_code == 2, result.stdout
    assert f"{link} is a symbolic link" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(outside.rglob("*")) == []
