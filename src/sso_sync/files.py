"""Writing files that hold tokens: 0600, temp file + fsync + rename, under a file lock.

A reader (the AWS CLI, botocore, another sso-sync) sees either the old file or the new one,
never half of one, and two writers never interleave.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl  # POSIX only: the README claims no Windows support (nor does O_NOFOLLOW)
import json
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sso_sync.errors import ConfigError, LockTimeout, UsageError

LOCK_TIMEOUT_SECONDS = 60.0
# How often a wait for a lock another holder has tries again.
LOCK_POLL_SECONDS = 0.05
_THREAD_LOCKS = threading.local()
# Token caches are a few KiB and AWS config files rarely reach 100 KiB: anything over this is not
# one of ours, and reading it whole would only cost memory.
MAX_FILE_BYTES = 1024 * 1024


def utc_timestamp(moment: datetime) -> str:
    """The AWS CLI's cache format: `2026-11-26T04:00:00Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc_timestamp(value: object) -> datetime | None:
    """A timestamp from a cache file (`2026-11-26T04:00:00Z`, or ISO 8601 with an offset; none
    means UTC) as an aware datetime, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return utc_timestamp(value)
    # Never echo the value: it may be a token.
    raise TypeError(f"cannot store a {type(value).__name__} in a cache file")


@contextmanager
def locked(path: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold an exclusive lock on `path` (through a `.lock` file beside it).

    Re-entrant within a thread: a caller holding the lock around a read-refresh-write may call
    code (such as `TokenCache.__setitem__`, invoked by botocore) that takes it again. Other
    threads and other processes wait. The `.lock` files stay: deleting a lock file while another
    process waits on it would let two holders in at once.
    """
    lock_file = Path(str(path) + ".lock")
    key = str(lock_file.absolute())
    mine = _held_by_this_thread()
    if key not in mine:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:  # a file where the directory should be, a read-only disk
            raise unusable_file(lock_file, exc) from None
        mine[key] = [_wait_for_lock(lock_file, max(0.0, timeout)), 0]
    mine[key][1] += 1
    try:
        yield
    finally:
        # The last of this thread's nested holders lets go (a count, not the nesting, decides:
        # an ExitStack may close the outer one first).
        mine[key][1] -= 1
        if mine[key][1] == 0:
            release_lock(mine.pop(key)[0])


def _held_by_this_thread() -> dict[str, list[int]]:
    """This thread's `locked` lock files: absolute path -> [descriptor, holders]."""
    held: dict[str, list[int]] | None = getattr(_THREAD_LOCKS, "held", None)
    if held is None:
        held = _THREAD_LOCKS.held = {}
    return held


def _wait_for_lock(lock_file: Path, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (fd := take_lock(lock_file)) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockTimeout(
                f"another process has held {lock_file} for over {timeout:.0f} s: "
                f"retry, or remove that file if no sso-sync or aws process is running"
            )
        time.sleep(min(LOCK_POLL_SECONDS, left))
    return fd


def take_lock(path: Path) -> int | None:
    """A descriptor holding the exclusive flock on the lock file `path`, or None when another
    holder has it (no wait). Let go with `release_lock`.

    flock belongs to the open file description: another process, or another thread that opened
    the file itself, conflicts; the kernel drops it when the process ends, however it ends.
    """
    fd = _open_lock_file(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError as exc:  # ENOLCK: a file system without locks
        os.close(fd)
        raise unusable_file(path, exc) from None
    return fd


def _open_lock_file(path: Path) -> int:
    """A descriptor of the lock file `path`, created 0600 (and made 0600 if an older version
    left it 0644: nobody else has a reason to open it). Never truncated, never deleted.

    Refused with one line (ConfigError): a symbolic link (O_NOFOLLOW: a link planted there would
    have us create or chmod its target), and a FIFO, device or directory (opened non-blocking,
    so a FIFO cannot hang the open).
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd, info = _open_regular(path, flags, "a lock file: remove it, then retry")
    except FileNotFoundError as exc:  # its directory went away since we made it
        raise unusable_file(path, exc) from None
    if info.st_mode & 0o077:
        with contextlib.suppress(OSError):  # not ours to change: still usable as a lock
            os.fchmod(fd, 0o600)
    return fd


def release_lock(fd: int) -> None:
    # Unlock before closing: a forked child sharing the description would otherwise keep it.
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def write_private_text(path: Path, text: str) -> None:
    """Replace `path` atomically with `text`, mode 0600. Callers hold `locked(path)`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise unusable_file(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(0o600)
        Path(tmp).replace(path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # say, a directory where the file should be
            raise unusable_file(path, exc) from None
        raise
    _fsync_directory(path.parent)


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    write_private_text(path, json.dumps(data, default=_json_default))


def read_capped(
    path: Path, *, follow_symlinks: bool = False, limit: int = MAX_FILE_BYTES
) -> bytes | None:
    """The bytes of the regular file `path`, or None when it does not exist.

    Refused with one line (ConfigError): a FIFO, device or directory in its place (opened
    non-blocking, so a FIFO cannot hang us), a file over `limit` bytes, and, unless
    `follow_symlinks`, a symbolic link (a link in a token cache is not the AWS CLI's doing).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd, info = _open_regular(path, flags, "a file: replace it with the file itself")
    except FileNotFoundError:
        return None
    try:
        chunks: list[bytes] = []
        size = 0
        while size <= limit and (chunk := os.read(fd, min(65536, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        if info.st_size > limit or size > limit:
            raise ConfigError(
                f"{path} is over {limit // 1024} KiB, too big to be what it should be: "
                "move it away, then retry"
            )
        return b"".join(chunks)
    except OSError as exc:
        raise unusable_file(path, exc) from None
    finally:
        os.close(fd)


def read_own(path: Path, limit: int) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a link) this user owns and nobody else
    may write, of at most `limit` bytes; else None: for a cache, whose caller then makes it
    anew rather than trust what another user could have put there."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd, info = _open_regular(path, flags, "a file")
    except (OSError, ConfigError):
        return None
    try:
        if info.st_uid != os.geteuid() or info.st_mode & 0o022 or info.st_size > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        return None if size > limit else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_private(path: Path, what: str, limit: int) -> bytes:
    """The bytes of a file only its owner may read (a GitHub App key, a token file), checked on
    the opened descriptor, so what is checked is what is read: a regular file (a FIFO would
    block, a directory is a mistake), no group or other bits (as ssh refuses a private key), at
    most `limit` bytes. `what` names it in the one-line refusal (exit 2)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UsageError(
            f"{what} {path}: cannot read it ({exc.strerror}): check the path, or create it "
            "with mode 0600"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{what} {path} is not a regular file: give a plain file")
        if info.st_mode & 0o077:
            raise UsageError(
                f"{what} {path} is readable or writable by others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}): run chmod 600 {path}"
            )
        data = b""
        while info.st_size <= limit and len(data) <= limit:
            chunk = os.read(fd, limit + 1 - len(data))
            if not chunk:
                break
            data += chunk
        if info.st_size > limit or len(data) > limit:
            raise UsageError(f"{what} {path} is over {limit} bytes: give the file itself")
        return data
    except OSError as exc:
        raise UsageError(f"{what} {path}: cannot read it ({exc.strerror})") from None
    finally:
        os.close(fd)


def real_path(path: Path) -> Path:
    """Where a write to `path` must go so that a symbolic link stays a link: its final target.

    Users keep `~/.aws/config` in a dotfiles repository and link to it; replacing the link with
    a regular file would leave the real file stale.
    """
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None when it is missing or not a JSON object.

    A file that exists but cannot be read (a directory or FIFO in its place, no permission,
    too big) is an error naming it: treating it as missing would only fail later, at the write.
    """
    raw = read_capped(path)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        return None
    except RecursionError:  # nested past Python's limit: nothing we write looks like that
        raise ConfigError(
            f"{path} is nested too deeply to be a file sso-sync or the AWS CLI wrote: move it "
            "away, then retry"
        ) from None
    return data if isinstance(data, dict) else None


def unusable_file(path: Path, exc: OSError) -> ConfigError:
    """One line for a file we must read or write and cannot; never the file's content."""
    return ConfigError(
        f"cannot use {path} ({exc.strerror or type(exc).__name__}): fix or move it, then retry"
    )


def _open_regular(path: Path, flags: int, link_refusal: str) -> tuple[int, os.stat_result]:
    """`path` opened with `flags` (a new file 0600), and its status. Refused with one line
    (ConfigError): a symbolic link when `flags` has O_NOFOLLOW ("is a symbolic link, not " +
    `link_refusal`), anything but a regular file. FileNotFoundError is the caller's to judge."""
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP and flags & os.O_NOFOLLOW:
            raise ConfigError(f"{path} is a symbolic link, not {link_refusal}") from None
        raise unusable_file(path, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_a_regular_file(path, info.st_mode)
    except BaseException as exc:
        os.close(fd)
        if isinstance(exc, OSError):
            raise unusable_file(path, exc) from None
        raise
    return fd, info


def _not_a_regular_file(path: Path, mode: int) -> ConfigError:
    kind = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device or socket"
    )
    return ConfigError(f"{path} is {kind}, not a regular file: move it away, then retry")


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
