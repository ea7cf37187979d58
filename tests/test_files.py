"""Files that hold tokens: timestamps as the AWS CLI writes them, 0600 atomic writes, the lock,
and errors that name the file and never its content."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sso_sync import files
from sso_sync.errors import ConfigError, SsoSyncError
from sso_sync.files import (
    locked,
    parse_utc_timestamp,
    read_json,
    unusable_file,
    utc_timestamp,
    write_private_json,
    write_private_text,
)

MOMENT = datetime(2026, 11, 26, 4, 0, 0, tzinfo=timezone.utc)


def test_timestamps_are_the_aws_cli_s_utc_form() -> None:
    assert utc_timestamp(MOMENT) == "2026-11-26T04:00:00Z"
    plus_two = MOMENT.astimezone(timezone(timedelta(hours=2)))
    assert utc_timestamp(plus_two) == "2026-11-26T04:00:00Z"


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-11-26T04:00:00Z", MOMENT),
        ("2026-11-26T06:00:00+02:00", MOMENT),
        ("2026-11-26T04:00:00", MOMENT),  # no offset: UTC, as the AWS CLI means it
        ("2026-11-26T04:00:00.250Z", MOMENT + timedelta(milliseconds=250)),
        ("tomorrow", None),
        ("", None),
        (1764129600, None),
        (None, None),
    ],
)
def test_parsing_a_cache_timestamp(text: object, moment: datetime | None) -> None:
    parsed = parse_utc_timestamp(text)
    assert parsed == moment
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0) or parsed.tzinfo is not None


def test_json_stores_datetimes_and_refuses_anything_else_without_echoing_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.json"
    write_private_json(path, {"expiresAt": MOMENT, "n": 1})
    assert json.loads(path.read_text()) == {"expiresAt": "2026-11-26T04:00:00Z", "n": 1}
    with pytest.raises(TypeError) as refused:
        write_private_json(path, {"token": b"sekrit-bytes"})
    assert str(refused.value) == "cannot store a bytes in a cache file"
    assert json.loads(path.read_text())["n"] == 1  # the old file is still there, whole


def test_a_write_is_0600_complete_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "token.json"
    write_private_text(path, "first")
    write_private_text(path, "second")
    assert path.read_text() == "second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["token.json"]


def test_a_write_that_cannot_land_names_the_file_and_cleans_up(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "token.json"
    path.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(ConfigError) as failed:
        write_private_text(path, "secret-value")
    message = str(failed.value)
    assert message == f"cannot use {path} (Is a directory): fix or move it, then retry"
    assert "secret-value" not in message
    assert [p.name for p in path.parent.iterdir()] == ["token.json"]  # no temp file left


def test_a_parent_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("")
    with pytest.raises(ConfigError, match=r"cannot use .*cache/token\.json"):
        write_private_text(tmp_path / "cache" / "token.json", "x")


def test_an_error_without_strerror_names_its_type() -> None:
    assert str(unusable_file(Path("/x/y"), OSError())) == (
        "cannot use /x/y (OSError): fix or move it, then retry"
    )
    assert str(unusable_file(Path("/x/y"), PermissionError(13, "Permission denied"))) == (
        "cannot use /x/y (Permission denied): fix or move it, then retry"
    )


def test_reading(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    assert read_json(path) is None  # missing
    path.write_text("{not json")
    assert read_json(path) is None
    path.write_text("[1, 2]")
    assert read_json(path) is None  # not an object
    path.write_text('{"a": 1}')
    assert read_json(path) == {"a": 1}
    path.unlink()
    path.mkdir()
    with pytest.raises(ConfigError, match=f"^{path} "):  # named, never read
        read_json(path)


def test_the_lock_file_sits_beside_the_file_and_stays(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "token.json"
    with locked(path):
        assert (tmp_path / "sub" / "token.json.lock").exists()
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert (tmp_path / "sub" / "token.json.lock").exists()


def test_a_lock_held_too_long_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    path = tmp_path / "token.json"
    # Another process holds the lock (flock is per open file: another process is the real case).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, filelock\n"
            "lock = filelock.FileLock(sys.argv[1]); lock.acquire()\n"
            "print('held', flush=True); time.sleep(60)",
            str(path) + ".lock",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(SsoSyncError) as waited, locked(path, timeout=0.2):
            pass
        assert str(waited.value) == (
            f"another process has held {path}.lock for over 0 s: retry, or remove that file if "
            "no sso-sync or aws process is running"
        )
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_where_a_directory_cannot_be_made_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("")
    with pytest.raises(ConfigError, match="cannot use"), locked(tmp_path / "cache" / "t.json"):
        pass


def test_the_default_lock_timeout_is_a_minute() -> None:
    assert files.LOCK_TIMEOUT_SECONDS == 60.0


def test_writes_are_synced_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Durability cannot be seen without pulling the plug: check the calls instead (the file's
    data before the rename, then the directory entry)."""
    synced: list[tuple[str, str]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        synced.append((kind, os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "cache" / "t.json"
    write_private_text(target, "x")
    [(first, temp), (second, directory)] = synced
    assert (first, second) == ("file", "dir")
    assert directory == str(target.parent)
    # The temp file sits beside the target (a rename within one directory is atomic; across
    # file systems it would fail) and is hidden and named for it, so no reader of `*.json`
    # takes it for a cache entry.
    assert Path(temp).parent == target.parent
    assert Path(temp).name.startswith(".t.json.")
    assert Path(temp).name.endswith(".tmp")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: None, "cannot read it (No such file or directory)"),
        (lambda p: os.mkfifo(p, 0o600), "is not a regular file"),
        (lambda p: p.mkdir(mode=0o700), "is not a regular file"),
        (lambda p: (p.write_text("x"), p.chmod(0o640)), "(mode 0640): run chmod 600"),
        (lambda p: (p.write_text("x"), p.chmod(0o620)), "(mode 0620): run chmod 600"),
        (lambda p: (p.write_text("x" * 65), p.chmod(0o600)), "is over 64 bytes"),
    ],
    ids=["missing", "fifo", "directory", "group-readable", "group-writable", "too-big"],
)
def test_read_private_refuses_what_is_not_an_owner_only_file(
    tmp_path: Path, make, expected: str
) -> None:
    from sso_sync.errors import UsageError
    from sso_sync.files import read_private

    path = tmp_path / "secret"
    make(path)
    with pytest.raises(UsageError) as caught:
        read_private(path, "GitHub token file", 64)
    assert str(caught.value).startswith(f"GitHub token file {path}")
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_read_private_checks_the_file_it_reads_not_the_path_before(tmp_path: Path) -> None:
    """A symlink to an owner-only file is read as that file; a link to a FIFO is refused on the
    opened descriptor, so it never blocks (no check of the path, then an open of another)."""
    from sso_sync.errors import UsageError
    from sso_sync.files import read_private

    real = tmp_path / "real"
    real.write_text("exactly sixty-four bytes or fewer")
    real.chmod(0o600)
    link = tmp_path / "link"
    link.symlink_to(real)
    assert read_private(link, "GitHub App key", 64) == b"exactly sixty-four bytes or fewer"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    link.unlink()
    link.symlink_to(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        read_private(link, "GitHub App key", 64)
