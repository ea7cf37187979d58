"""`SSO_SYNC_GITHUB_TOKEN_FILE`: the scheduled job's GitHub token, as `push` reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.world import World, assert_no_leak, issued_as_secrets

REPO = "octo-org/app"


def test_push_reads_the_token_file_from_the_environment_and_refuses_it_at_0644(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    token = tmp_path / "gh-token"
    token.write_text(world.sandbox.github_token + "\n")
    token.chmod(0o600)
    monkeypatch.setenv("SSO_SYNC_GITHUB_TOKEN_FILE", str(token))
    monkeypatch.setenv("GH_TOKEN", "ghp_not_the_one_github_knows_000000000000")  # the file wins
    pushed = run("push", "--repo", REPO, "-p", "ci")
    assert pushed.exit_code == 0, pushed.stderr
    stored = {n: s.value for n, s in world.sandbox.secrets(f"repos/{REPO}/actions").items()}
    assert stored == issued_as_secrets(world)

    token.chmod(0o644)
    world.sandbox.clear_requests()
    refused = run("push", "--repo", REPO, "-p", "ci")
    assert refused.exit_code == 2, refused.stderr
    assert f"GitHub token file {token} is readable or writable by others (mode 0644)" in (
        refused.stderr
    )
    assert f"chmod 600 {token}" in refused.stderr
    assert not [r for r in world.sandbox.requests if r.service == "github"]
    assert_no_leak(pushed.stdout + pushed.stderr + refused.stdout + refused.stderr,
                   [*world.secret_values(), world.sandbox.github_token])  # fmt: skip
