"""botocore's model data, read without the work our clients do not need.

Every botocore client starts by reading data files, and two of those reads cost more than
the client itself, in every new process and every new session (each push makes one):

- before loading a service's model (and again before its endpoint rules), botocore lists
  every service it has data for, some 450 directories, only to check that the one asked for
  is among them (about 10 ms each time);
- the legacy endpoint table (`endpoints.json`, 1.2 MB) is parsed into an `OrderedDict` per
  object, when our clients read 5 of its 1,200 service entries: they get a table of those
  only, kept on disk (aws/endpoint_table.py).

`LeanLoader` answers the same questions from the same search paths (`AWS_DATA_PATH`, the
profile's `data_path`, `~/.aws/models`, botocore's own data): whether a service is there is
asked of that service's directory alone, and the full list is still built whenever botocore
wants it (an unknown service's error names them all).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from botocore.loaders import Loader
    from botocore.session import Session

    from sso_sync.aws.endpoint_table import Reader


def use_lean_loader(session: Session, endpoint_cache: Path | None = None) -> None:
    """Give `session` a `LeanLoader` with its own loader's search paths (once), keeping its
    trimmed endpoint table in the directory `endpoint_cache` (None: none kept)."""
    loader = session.get_component("data_loader")
    if not isinstance(loader, _lean_class()):  # type: ignore[arg-type]
        # The same paths in the same order (botocore's defaults are among them already); a
        # copy, since Loader extends the list it is given.
        paths = list(loader.search_paths)
        lean = _lean_class()(paths, endpoint_cache)
        session.register_component("data_loader", lean)


class ServiceNames(Sequence[str]):
    """The services with data of one type: membership asked of one directory; the full
    sorted list built only when it is read."""

    def __init__(self, loader: Any, type_name: str) -> None:
        self._loader = loader
        self._type_name = type_name
        self._all: list[str] | None = None

    def __contains__(self, name: object) -> bool:
        from botocore.exceptions import DataNotFoundError

        # The full listing holds directory names: never a path ("../data/sso" would otherwise
        # find botocore's sso through a search path's parent).
        if not isinstance(name, str) or not name or "/" in name:
            return False
        try:
            # The same test the full listing makes: a directory of that name in a search path
            # holding an API version with a `type_name` file.
            self._loader.list_api_versions(name, self._type_name)
        except DataNotFoundError:
            return False
        return True

    def _names(self) -> list[str]:
        if self._all is None:
            self._all = self._loader.full_service_list(self._type_name)
        return self._all

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


def _data_file(search_paths: Sequence[str], name: str) -> tuple[Path, Reader, str] | None:
    """`name`'s file in the first search path that has it (`.json`, then `.json.gz`, as
    botocore looks), how to read its bytes, and the path botocore would give (no suffix)."""
    for base in search_paths:
        path = Path(base, name)
        for suffix, reader in ((".json", Path.read_bytes), (".json.gz", _read_gzip)):
            found = path.with_name(path.name + suffix)
            if found.is_file():
                return found, reader, str(path)
    return None


def _read_gzip(path: Path) -> bytes:
    import gzip

    with gzip.open(path, "rb") as file:
        return file.read()


@functools.cache
def _lean_class() -> Callable[[list[str], Path | None], Loader]:
    """Made on first use: botocore is imported only by commands that call AWS."""
    from botocore.loaders import Loader

    class LeanLoader(Loader):
        def __init__(self, search_paths: list[str], endpoint_cache: Path | None) -> None:
            super().__init__(extra_search_paths=search_paths, include_default_search_paths=False)
            self.endpoint_cache = endpoint_cache

        def list_available_services(self, type_name: str) -> Sequence[str]:  # type: ignore[override]
            # One per type, as botocore caches its lists: a full list, once built, is kept.
            known: dict[str, ServiceNames] = vars(self).setdefault("_service_names", {})
            if type_name not in known:
                known[type_name] = ServiceNames(self, type_name)
            return known[type_name]

        def full_service_list(self, type_name: str) -> list[str]:
            return list(super().list_available_services(type_name))

        def load_data_with_path(self, name: str) -> tuple[Any, str]:
            if name == "endpoints":
                found = _data_file(self.search_paths, name)
                if found is not None:
                    from sso_sync.aws import endpoint_table

                    source, reader, path = found
                    return endpoint_table.load(source, reader, self.endpoint_cache), path
            return super().load_data_with_path(name)

    return LeanLoader
