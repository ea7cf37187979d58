"""Named sets of targets from `sso-sync.toml` (or `[tool.sso-sync]` in `pyproject.toml`).

Found from the current directory upward, like ruff and black find theirs, but never past the
enclosing git repository's root or HOME (a file above those is not the project's), or given with
`--config`. A discovered file is used only once `confirm` accepts it (the CLI asks the user once;
see config_trust.py). Every error names the file, the key and what is expected.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sso_sync.config_trust import check_safe_to_read
from sso_sync.errors import ConfigError, UsageError
from sso_sync.files import read_capped
from sso_sync.github.targets import RepoPattern, Target, TargetSet, build_patterns, build_targets
from sso_sync.sources import CredentialSource

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

CONFIG_NAME = "sso-sync.toml"
PYPROJECT = "pyproject.toml"
# A set's keys besides what it pushes (each source kind's, source_table.py).
SET_KEYS = {
    "profile", "prefix", "targets", "github-app-id", "github-app-key", "notify-url-file",
    "notify-issue",
}  # fmt: skip
TARGET_KEYS = {"repo", "env", "org", "visibility", "selected-repos", "app", "exclude", "user"}


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    sets: tuple[TargetSet, ...]

    def pick(self, name: str | None) -> tuple[TargetSet, ...]:
        if name is None:
            return self.sets
        for target_set in self.sets:
            if target_set.name == name:
                return (target_set,)
        known = ", ".join(s.name or "" for s in self.sets)
        raise UsageError(f"{self.path}: no set named '{name}' (sets: {known})")


def choose_sets(
    set_name: str | None,
    *,
    repo: list[str] | None,
    env: list[str] | None,
    org: list[str] | None,
    visibility: str | None,
    selected_repo: list[str] | None,
    app_name: str | None,
    config: Path | None,
    prefix: str | None,
    profile: str | None,
    cwd: Path,
    exclude: list[str] | None = None,
    user: bool = False,
    home: Path | None = None,
    confirm: Callable[[ConfigFile], None] | None = None,
) -> tuple[TargetSet, ...]:
    """The sets a command works on: from the target options, else from the config file.
    Options given on the command line beat the file's (--profile, --prefix).

    A discovered file (not `config`) is handed to `confirm`, which raises to refuse it; each
    set returned from a file carries the file's path in `source`."""
    flags = repo or env or org or visibility or selected_repo or app_name or exclude or user
    if flags:
        if set_name is not None:
            raise UsageError(
                f"give either the set name '{set_name}' or target options (--repo, --org, ...), "
                "not both"
            )
        targets = build_targets(
            repos=repo or [],
            envs=env or [],
            orgs=org or [],
            visibility=visibility,
            selected_repos=selected_repo or [],
            app=app_name or "actions",
            user=user,
        )
        patterns = build_patterns(
            repo or [], excludes=exclude or [], envs=env or [], app=app_name or "actions"
        )
        return (TargetSet(None, profile, prefix or "", targets, patterns),)
    path = config or find_config(cwd, home)
    if path is None and set_name is not None:
        raise UsageError(
            f"set '{set_name}' asked for, but no config file was found: no {CONFIG_NAME} (or "
            f"[tool.sso-sync] in {PYPROJECT}) in {cwd} or above (up to the git root or HOME); "
            "write one or pass --config FILE"
        )
    if path is None:
        raise UsageError(
            "no targets: give --repo OWNER/NAME or --org ORG, or write sso-sync.toml "
            "(see the README's 'Config file' section)"
        )
    check_safe_to_read(path)
    loaded = load_config(path)
    sets = loaded.pick(set_name)
    if config is None and confirm is not None:
        confirm(loaded)
    return tuple(
        dataclasses.replace(
            s,
            profile=profile if profile is not None else s.profile,
            prefix=prefix if prefix is not None else s.prefix,
            source=path,
        )
        for s in sets
    )


def find_config(start: Path, home: Path | None = None) -> Path | None:
    """The nearest `sso-sync.toml`, or `pyproject.toml` with a `[tool.sso-sync]` table, looking
    no higher than the first of: the enclosing git repository's root, `home`, `/`."""
    stops = {home.resolve()} if home is not None else set()
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (directory / ".git").exists() or directory.resolve() in stops:
            break
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        data = tomllib.loads((read_capped(path, follow_symlinks=True) or b"").decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ConfigError):
        return False  # someone else's broken pyproject is not ours to report
    tool = data.get("tool")
    return isinstance(tool, dict) and "sso-sync" in tool


def load_config(path: Path) -> ConfigFile:
    try:
        raw = read_capped(path, follow_symlinks=True)
        if raw is None:
            raise ConfigError(f"{path}: no such file: check the path given with --config")
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    root = "sets"
    if path.name == PYPROJECT:
        tool = data.get("tool")
        table = tool.get("sso-sync") if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: no [tool.sso-sync] table")
        data, root = table, "tool.sso-sync.sets"
    return ConfigFile(path, _parse_sets(path, data, root))


def _parse_sets(path: Path, data: dict[str, Any], root: str) -> tuple[TargetSet, ...]:
    extra = sorted(set(data) - {"sets"})
    if extra:
        raise ConfigError(f"{path}: unknown key '{extra[0]}': expected only [{root}.NAME] tables")
    sets = data.get("sets")
    if not isinstance(sets, dict) or not sets:
        raise ConfigError(f"{path}: {root}: expected at least one [{root}.NAME] table")
    parsed = []
    for name, body in sets.items():
        where = f"{root}.{name}"
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: {where}: expected a table")
        _reject_unknown_keys(path, where, body, SET_KEYS | _source_keys())
        profile = _string(path, body, where, "profile", required=False) or None
        prefix = _string(path, body, where, "prefix", required=False) or ""
        entries = body.get("targets")
        if not isinstance(entries, list) or not entries:
            raise ConfigError(
                f"{path}: {where}.targets: expected a non-empty list of tables, "
                'e.g. targets = [{ repo = "octo-org/app" }]'
            )
        targets: list[Target] = []
        patterns: list[RepoPattern] = []
        for i, entry in enumerate(entries):
            found, globs = _parse_target(path, entry, f"{where}.targets[{i}]")
            targets += found
            patterns += globs
        app_id = body.get("github-app-id")
        if app_id is not None and not (
            (isinstance(app_id, int) and not isinstance(app_id, bool) and app_id > 0)
            or (isinstance(app_id, str) and app_id.isdigit())
        ):
            raise ConfigError(f"{path}: {where}.github-app-id: expected the App's numeric id")
        app_key = _string(path, body, where, "github-app-key", required=False)
        if (app_id is None) != (not app_key):
            raise ConfigError(f"{path}: {where}: github-app-id and github-app-key go together")
        url_file = _string(path, body, where, "notify-url-file", required=False)
        issue = _string(path, body, where, "notify-issue", required=False) or None
        sources = _parse_sources(path, body, where)
        parsed.append(
            TargetSet(
                name,
                profile,
                prefix,
                tuple(targets),
                tuple(dict.fromkeys(patterns)),
                github_app_id=None if app_id is None else str(app_id),
                # Relative to the config file, as the file is what names it.
                github_app_key=(path.parent / app_key).absolute() if app_key else None,
                notify_url_file=(path.parent / url_file).absolute() if url_file else None,
                notify_issue=issue,
                sources=sources,
            )
        )
    return tuple(parsed)


def _source_keys() -> set[str]:
    from sso_sync.source_table import options

    return {spec.key for spec in options()}


def _parse_sources(path: Path, body: dict[str, Any], where: str) -> tuple[CredentialSource, ...]:
    """A set's source settings (the push options of the same names) as its sources."""
    from sso_sync.source_table import build, options
    from sso_sync.sources import DEFAULT_SOURCES, Spelling

    if not _source_keys() & set(body):
        return DEFAULT_SOURCES
    given: dict[str, Any] = {}
    for spec in options():
        value = body.get(spec.key)
        if value is None:
            continue
        if spec.kind is str:
            value = _string(path, body, where, spec.key, required=True)
        elif type(value) is not spec.kind:
            expected = spec.expected or ("true or false" if spec.kind is bool else "a number")
            raise ConfigError(f"{path}: {where}.{spec.key}: expected {expected}")
        given[spec.field] = spec.from_config(value)
    try:
        return build(given, Spelling(config=True))
    except UsageError as exc:
        raise ConfigError(f"{path}: {where}: {exc}") from None


def _parse_target(
    path: Path, entry: Any, where: str
) -> tuple[Sequence[Target], Sequence[RepoPattern]]:
    if not isinstance(entry, dict):
        raise ConfigError(f'{path}: {where}: expected a table such as {{ repo = "o/r" }}')
    _reject_unknown_keys(path, where, entry, TARGET_KEYS)
    user = entry.get("user", False)
    if not isinstance(user, bool):
        raise ConfigError(f"{path}: {where}.user: expected true or false")
    if sum(("repo" in entry, "org" in entry, user)) != 1:
        raise ConfigError(f"{path}: {where}: expected exactly one of repo, org or user = true")
    repo = _string(path, entry, where, "repo", required=False)
    env = _string(path, entry, where, "env", required=False)
    org = _string(path, entry, where, "org", required=False)
    visibility = _string(path, entry, where, "visibility", required=False)
    app = _string(path, entry, where, "app", required=False) or "actions"
    selected = entry.get("selected-repos", [])
    if not isinstance(selected, list) or not all(isinstance(s, str) for s in selected):
        raise ConfigError(f"{path}: {where}.selected-repos: expected a list of OWNER/NAME strings")
    excludes = entry.get("exclude", [])
    if not isinstance(excludes, list) or not all(isinstance(s, str) for s in excludes):
        raise ConfigError(f'{path}: {where}.exclude: expected a list of patterns, e.g. ["*-old"]')
    names = {
        k: f"{where}.{k}" for k in ("repo", "env", "org", "visibility", "app", "exclude", "user")
    }
    names["selected"] = f"{where}.selected-repos"
    try:
        patterns = build_patterns(
            [repo] if repo else [],
            excludes=excludes,
            envs=[env] if env else [],
            app=app,
            names=names,
        )
        return build_targets(
            repos=[repo] if repo else [],
            envs=[env] if env else [],
            orgs=[org] if org else [],
            visibility=visibility or None,
            selected_repos=selected,
            app=app,
            names=names,
            user=user,
        ), patterns
    except UsageError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _reject_unknown_keys(path: Path, where: str, table: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{path}: {where}.{unknown[0]}: unknown key; expected {', '.join(sorted(known))}"
        )


def _string(path: Path, table: dict[str, Any], where: str, key: str, *, required: bool) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: {where}.{key}: expected a non-empty string")
    return value
