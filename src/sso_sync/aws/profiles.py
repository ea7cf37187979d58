"""Reading IAM Identity Center profiles from the AWS CLI's own config file, through botocore."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sso_sync.errors import ConfigError

if TYPE_CHECKING:
    from botocore.session import Session

DEFAULT_SCOPES = ("sso:account:access",)


@dataclass(frozen=True)
class AwsPaths:
    """Where the AWS CLI keeps its files; `demo` and the tests point these elsewhere."""

    config_file: Path
    sso_cache: Path
    cli_cache: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AwsPaths:
        home = Path(environ.get("HOME") or Path.home())
        config = environ.get("AWS_CONFIG_FILE") or str(home / ".aws" / "config")
        return cls(
            config_file=Path(config).expanduser(),
            sso_cache=home / ".aws" / "sso" / "cache",
            cli_cache=home / ".aws" / "cli" / "cache",
        )

    @classmethod
    def under(cls, root: Path) -> AwsPaths:
        return cls(
            config_file=root / "config",
            sso_cache=root / "sso" / "cache",
            cli_cache=root / "cli" / "cache",
        )


@dataclass(frozen=True)
class SsoProfile:
    """An AWS CLI profile that gets its credentials from IAM Identity Center."""

    name: str
    start_url: str
    sso_region: str
    account_id: str
    role_name: str
    session_name: str | None  # None for a legacy profile (sso_start_url in the profile itself)
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    # `sso_registration_scopes` exactly as configured; None when absent (the AWS CLI keys its
    # client-registration cache on this, not on the default it falls back to).
    configured_scopes: tuple[str, ...] | None = None

    @property
    def token_cache_key(self) -> str:
        """AWS CLI v2 names the token file after the sso-session, or the start URL if legacy."""
        import hashlib  # here: the CLI imports this module for `--help`

        return hashlib.sha1(  # noqa: S324 - the AWS CLI's file naming, not security
            (self.session_name or self.start_url).encode("utf-8")
        ).hexdigest()

    @property
    def login_hint(self) -> str:
        return f"sso-sync login --profile {self.name}"


def profile_name_or_default(name: str | None, environ: Mapping[str, str]) -> str:
    chosen = name or environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")
    if not chosen:
        raise ConfigError(
            "no profile given: pass --profile NAME or set AWS_PROFILE "
            "(`sso-sync configure` creates one)"
        )
    return chosen


def load_profile(session: Session, name: str, config_file: Path) -> SsoProfile:
    """Resolve `name` from the config `session` reads; every error names the file and the fix."""
    if config_file.is_dir():  # botocore would silently read it as an empty config
        raise ConfigError(
            f"{config_file} is a directory, not the AWS config file: move it away (or point "
            "AWS_CONFIG_FILE at the file), then run `sso-sync configure`"
        )
    try:
        full: Mapping[str, Any] = session.full_config
    except Exception as exc:  # botocore's parse errors name the file at fault
        # (the config or the shared credentials file), never its content.
        raise ConfigError(f"{exc}: fix that file, then retry") from None
    profiles: Mapping[str, Mapping[str, str]] = full.get("profiles", {})
    if name not in profiles and not config_file.exists():
        # botocore reads a missing file as an empty one: say which file is missing.
        raise ConfigError(
            f"profile '{name}' not found: the AWS config file {config_file} does not exist: "
            f"create it with `sso-sync configure --profile {name}`, or point AWS_CONFIG_FILE "
            "at the file you use"
        )
    if name not in profiles:
        known = ", ".join(sorted(_config_file_profiles(config_file))) or "none"
        raise ConfigError(
            f"profile '{name}' not found in {config_file} (known: {known}): create it with "
            f"`sso-sync configure --profile {name}` or check --profile/AWS_PROFILE"
        )
    section = profiles[name]
    session_name = section.get("sso_session")
    if session_name:
        sessions: Mapping[str, Mapping[str, str]] = full.get("sso_sessions", {})
        if session_name not in sessions:
            raise ConfigError(
                f"profile '{name}' uses sso_session '{session_name}', but {config_file} has no "
                f"[sso-session {session_name}] section: add it with "
                f"`sso-sync configure --session-name {session_name} --profile {name} --overwrite`"
            )
        settings: Mapping[str, str] = sessions[session_name]
        where = f"[sso-session {session_name}]"
    elif section.get("sso_start_url"):
        settings = section
        where = f"[profile {name}]"
    else:
        raise ConfigError(
            f"profile '{name}' in {config_file} is not an IAM Identity Center profile "
            f"(no sso_session or sso_start_url): choose an SSO profile or create one with "
            "`sso-sync configure`"
        )
    start_url = _required(settings, "sso_start_url", where, config_file)
    sso_region = _required(settings, "sso_region", where, config_file)
    account_id = _required(section, "sso_account_id", f"[profile {name}]", config_file)
    role_name = _required(section, "sso_role_name", f"[profile {name}]", config_file)
    scopes_text = settings.get("sso_registration_scopes", "") if session_name else ""
    scopes = tuple(s.strip() for s in scopes_text.split(",") if s.strip()) or DEFAULT_SCOPES
    configured = (
        tuple(s.strip() for s in scopes_text.split(",") if s.strip())
        if session_name and "sso_registration_scopes" in settings
        else None
    )
    return SsoProfile(
        name=name,
        start_url=start_url,
        sso_region=sso_region,
        account_id=account_id,
        role_name=role_name,
        session_name=session_name or None,
        scopes=scopes,
        configured_scopes=configured,
    )


def _config_file_profiles(config_file: Path) -> set[str]:
    """Profiles of the config file itself: botocore's `full_config` also lists every section
    of the shared credentials file, which holds keys, not SSO settings."""
    from botocore.configloader import load_config
    from botocore.exceptions import BotoCoreError

    try:
        return set(load_config(str(config_file)).get("profiles", {}))
    except (BotoCoreError, OSError, UnicodeDecodeError):
        return set()


def profile_region(full_config: Mapping[str, Any], name: str) -> str | None:
    """The profile's own `region` setting (where its clients run), if it has one."""
    region = full_config.get("profiles", {}).get(name, {}).get("region")
    return str(region) if region else None


def _required(settings: Mapping[str, str], key: str, where: str, config_file: Path) -> str:
    value = settings.get(key, "").strip()
    if not value:
        raise ConfigError(f"{where} in {config_file} has no {key}: add `{key} = ...` to it")
    return value


def is_interactive(environ: Mapping[str, str], stdin_isatty: bool) -> bool:
    """A browser sign-in is possible only with a person at a terminal, and never in CI."""
    return stdin_isatty and not environ.get("CI")
