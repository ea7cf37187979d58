"""The state directory decides what is pushed without asking (`trusted-configs.json`), what is
skipped as fresh (`targets.json`) and who may write a target (`locks/`): with XDG_STATE_HOME in
a shared place, another user must not be able to plant any of it (issue #23, security item 3).
Refused as config files are: owned by someone else, or writable by group or others."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sso_sync.config_trust import content_hash
from tests.support.world import World

REPO = "octo-org/app"
CONFIG = f'[sets.prod]\nprofile = "ci"\ntargets = [{{ repo = "{REPO}" }}]\n'
OTHER_UID = 4242


def _shared_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # as /tmp: anyone may create an entry, nobody may replace another's
    monkeypatch.setenv("XDG_STATE_HOME", str(shared))
    return shared / "sso-sync"


def _refused(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_a_trust_list_another_user_planted_is_refused(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    project = tmp_path / "clone"
    (project / ".git").mkdir(parents=True)
    config = project / "sso-sync.toml"
    config.write_text(CONFIG)
    state = _shared_state(tmp_path, monkeypatch)
    state.mkdir(mode=0o700)
    planted = state / "trusted-configs.json"
    planted.write_text(json.dumps({"version": 1, "configs": {str(config): content_hash(config)}}))
    planted.chmod(0o600)
    os.chown(planted, OTHER_UID, OTHER_UID)
    monkeypatch.chdir(project)
    _refused(run("push"), str(planted), "owned by another user", "XDG_STATE_HOME")
    assert world.sandbox.requests == []


def test_a_state_directory_another_user_made_is_refused(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    state = _shared_state(tmp_path, monkeypatch)
    state.mkdir(mode=0o755)
    os.chown(state, OTHER_UID, OTHER_UID)
    _refused(run("push", "--repo", REPO, "-p", "ci"), "state directory", "another user")
    assert world.sandbox.requests == []


def test_a_fresh_until_2099_record_another_user_planted_is_refused(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    assert run("push", "--repo", REPO, "-p", "ci").exit_code == 0
    path = world.home / ".local" / "state" / "sso-sync" / "targets.json"
    data = json.loads(path.read_text())
    for record in data["targets"].values():
        record["expires_at"] = "2099-01-01T00:00:00Z"
    path.write_text(json.dumps(data))
    os.chown(path, OTHER_UID, OTHER_UID)
    world.sandbox.clear_requests()
    result = run("push", "--repo", REPO, "-p", "ci", "--min-remaining", "30m")
    _refused(result, str(path), "another user")
    assert "fresh" not in result.stdout


@pytest.mark.parametrize("mode", [0o620, 0o664, 0o666])
def test_a_state_file_its_group_may_write_is_refused(
    world: World, run, mode: int, tmp_path: Path
) -> None:
    world.seed_token()
    assert run("push", "--repo", REPO, "-p", "ci").exit_code == 0
    path = world.home / ".local" / "state" / "sso-sync" / "targets.json"
    path.chmod(mode)
    _refused(run("push", "--repo", REPO, "-p", "ci"), f"chmod go-w {path}")
    path.chmod(0o600)
    assert run("push", "--repo", REPO, "-p", "ci").exit_code == 0


def test_a_lock_another_user_holds_is_refused(world: World, run) -> None:
    world.seed_token()
    assert run("push", "--repo", REPO, "-p", "ci").exit_code == 0
    [lock] = (world.home / ".local" / "state" / "sso-sync" / "locks").iterdir()
    os.chown(lock, OTHER_UID, OTHER_UID)
    _refused(run("push", "--repo", REPO, "-p", "ci"), str(lock), "another user")


def test_a_state_directory_of_ours_others_could_replace_is_refused(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    shared = _shared_state(tmp_path, monkeypatch).parent
    shared.chmod(0o777)  # not sticky: another user could rename our directory away
    _refused(run("push", "--repo", REPO, "-p", "ci"), "chmod o-w")
    shared.chmod(0o1777)
    assert run("push", "--repo", REPO, "-p", "ci").exit_code == 0
