"""botocore's legacy endpoint table, trimmed to the services we call, kept on disk.

Every botocore client still reads the legacy endpoint table (`endpoints.json`): its own
service's entry and its partition's settings (the credential scope, the hostname of a region
the rules do not name). The file is 1.2 MB: parsing it takes about 7 ms and makes some 23,000
dicts, which stay alive for the session and which the garbage collector scans again and
again, in every new process and session. A push's clients read 5 of its 1,200 service
entries.

The trimmed table (each partition's own settings, and the entries of `ENDPOINT_PREFIXES`)
answers those clients exactly as the full one does. It is made once from the file botocore
would read and kept in sso-sync's cache directory (`$XDG_CACHE_HOME/sso-sync`, else
`~/.cache/sso-sync`), named for that file's path, size and modification time and botocore's
version: an upgrade, or an edited `~/.aws/models` copy, makes a new one. A cache file that is
not a private regular file of ours is not read (another user could otherwise change where a
client sends its requests); any trouble with the cache falls back to reading the full table.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sso_sync.files import read_own, write_private_json

# The endpoint prefixes (`metadata.endpointPrefix` of botocore's service models) of the
# clients clients.py builds: sso, sso-oidc, sts, ecr and codeartifact. A client for any other
# service needs its prefix here (tests/aws/test_endpoint_table.py checks every one we build).
ENDPOINT_PREFIXES = frozenset({"portal.sso", "oidc", "sts", "api.ecr", "codeartifact"})
# Bumped when the file's layout changes, so an older cache file is not read as a newer one.
CACHE_FORMAT = 1
CACHE_LIMIT = 512 * 1024  # the trimmed table is some 10 KB; a bigger file is not ours
STALE_AFTER_SECONDS = 30 * 24 * 3600

Reader = Callable[[Path], bytes]  # a data file's bytes (botocore's may be gzipped)


def cache_dir(environ: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/sso-sync` (a relative XDG_CACHE_HOME is ignored, as the spec says),
    else `~/.cache/sso-sync`."""
    base = environ.get("XDG_CACHE_HOME", "")
    if not base or not Path(base).is_absolute():
        base = str(Path(environ.get("HOME") or str(Path.home())) / ".cache")
    return Path(base) / "sso-sync"


def trimmed(table: Mapping[str, Any]) -> dict[str, Any]:
    """`table` with each partition's services cut to `ENDPOINT_PREFIXES`."""
    partitions = []
    for partition in table["partitions"]:
        services = partition.get("services") or {}
        kept = {k: v for k, v in services.items() if k in ENDPOINT_PREFIXES}
        partitions.append({**partition, "services": kept})
    return {**table, "partitions": partitions}


def load(source: Path, reader: Reader, cache: Path | None) -> dict[str, Any]:
    """The trimmed table of the endpoints file `source` (read with `reader`), from `cache`
    (a directory; None: no cache) when it holds it, else parsed, trimmed and kept there."""
    import botocore

    info = source.stat()
    # What the table is made from, and what is kept of it: a release that calls one more
    # service must not read a table made without it.
    made_of = (CACHE_FORMAT, botocore.__version__, source, info.st_size, info.st_mtime_ns)
    key = "\0".join(map(str, (*made_of, *sorted(ENDPOINT_PREFIXES))))
    name = f"botocore-endpoints-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
    if cache is not None:
        kept = _read_own(cache / name)
        if kept is not None:
            return kept
    table = trimmed(json.loads(reader(source).decode("utf-8")))
    if cache is not None:
        _keep(cache, name, table)
    return table


def _read_own(path: Path) -> dict[str, Any] | None:
    """The table in `path` if it is a private file of ours (files.read_own) and a table; else
    None (read the full one instead)."""
    raw = read_own(path, CACHE_LIMIT)
    try:
        data = None if raw is None else json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("partitions"), list):
        return None
    return data


def _keep(directory: Path, name: str, table: dict[str, Any]) -> None:
    """Write the table (0600, atomically), and drop the tables no run has made for a month
    (an older botocore's); a cache that cannot be written is only a slower start. Tables other
    installs use now (another botocore in another environment) stay: each would otherwise
    drop the other's at every run."""
    from sso_sync.errors import ConfigError

    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = directory.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            return  # not a directory of ours that only we may write: leave it alone
        write_private_json(directory / name, table)
        month_ago = time.time() - STALE_AFTER_SECONDS
        for old in directory.glob("botocore-endpoints-*.json"):
            if old.name != name and old.lstat().st_mtime < month_ago:
                old.unlink(missing_ok=True)
    except (OSError, ConfigError):
        return
