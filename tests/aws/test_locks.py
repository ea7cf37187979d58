"""Every write to a file the AWS CLI shares with us goes through that file's lock.

The refresh lock (check, refresh, write) has its own tests in test_concurrency.py. Here: the
`configure` read-modify-write loses no concurrent writer's profile, and the role-cache and
token-cache writes wait while another holder (another sso-sync, mid-refresh) has the lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sso_sync.aws.configure import ProfileSettings, SessionSettings, write_config
from sso_sync.aws.inifile import IniDocument
from sso_sync.aws.profiles import SsoProfile
from sso_sync.aws.role_cache import RoleCache
from sso_sync.aws.role_credentials import RoleCredentials
from sso_sync.aws.token_cache import TokenCache
from sso_sync.files import locked

WRITERS = 8
SESSION = SessionSettings(
    "corp", "https://d-0000000000.awsapps.com/start", "us-east-1", ("sso:account:access",)
)


def test_concurrent_configures_keep_every_profile(tmp_path: Path) -> None:
    """Each writer reads the file, adds its profile and writes it back: without the lock,
    writers that read the same version overwrite each other's profile."""
    config = tmp_path / ".aws" / "config"
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        profile = ProfileSettings(f"p{i}", "corp", f"{i:012d}", "ci", "us-east-1")
        barrier.wait()
        try:
            write_config(config, SESSION, profile, overwrite=False)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    doc = IniDocument(config.read_text())
    assert [doc.has_section([f"profile p{i}"]) for i in range(WRITERS)] == [True] * WRITERS
    assert doc.has_section(["sso-session corp"])


def writes_wait_for_the_lock(path: Path, write: Callable[[], object]) -> None:
    """While the test holds `path`'s lock, `write` (in a thread) must not touch the file."""
    before = path.read_bytes() if path.exists() else None
    done = threading.Event()

    def writer() -> None:
        write()
        done.set()

    with locked(path):
        thread = threading.Thread(target=writer)
        thread.start()
        # A write that ignored the lock lands in milliseconds; give it a full second.
        time.sleep(1.0)
        assert not done.is_set(), "the write went through while another holder had the lock"
        assert (path.read_bytes() if path.exists() else None) == before
    thread.join(timeout=30)
    assert done.is_set()
    assert path.read_bytes() != before


def test_a_role_cache_write_waits_for_the_lock(tmp_path: Path) -> None:
    cache = RoleCache(tmp_path / "cli" / "cache")
    profile = SsoProfile(
        name="ci",
        start_url="https://d-0000000000.awsapps.com/start",
        sso_region="us-east-1",
        account_id="111122223333",
        role_name="ci",
        session_name="corp",
    )
    credentials = RoleCredentials(
        account_id="111122223333",
        role_name="ci",
        access_key_id="ASIAFAKE",
        secret_access_key="secret",
        session_token="token",
        expiration=datetime.now(timezone.utc) + timedelta(hours=1),
    )
    writes_wait_for_the_lock(cache.path(profile), lambda: cache.store(profile, credentials))
    loaded = cache.load(profile)
    assert loaded is not None and loaded.access_key_id == "ASIAFAKE"


def test_a_token_cache_write_waits_for_the_lock(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "sso" / "cache")
    entry = {"accessToken": "new", "expiresAt": "2099-01-01T00:00:00Z"}
    writes_wait_for_the_lock(cache.path("k"), lambda: cache.__setitem__("k", entry))
    assert cache["k"] == entry
