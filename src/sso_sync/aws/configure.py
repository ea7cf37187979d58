"""`configure`: what `aws configure sso` does, writing `~/.aws/config` without disturbing it.

The flow is the AWS CLI's: session name, start URL, region, scopes; sign in; pick an account
and a role from everything the user can reach (all pages); name the profile. Values given as
flags are not asked for. The edit keeps every other line and comment of the file as it was,
replaces it atomically under a lock, and keeps the previous version as `config.bak`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sso_sync.aws.assignments import choose_assignment
from sso_sync.aws.configure_answers import (
    NoPrompts,
    Prompter,
    ask,
    check_account,
    check_region,
    check_scopes,
    check_start_url,
)
from sso_sync.aws.inifile import IniDocument, check_name, read_exact
from sso_sync.aws.profiles import DEFAULT_SCOPES, SsoProfile
from sso_sync.aws.token_cache import TokenCache
from sso_sync.errors import UsageError
from sso_sync.files import locked, parse_utc_timestamp, real_path, write_private_text

if TYPE_CHECKING:
    from mypy_boto3_sso import SSOClient

log = logging.getLogger(__name__)

# A live token is reused only if it outlasts the rest of `configure` comfortably.
TOKEN_REUSE_MARGIN = timedelta(minutes=5)
# Keys a legacy (pre-sso-session) profile carries; they would fight the new sso_session line.
_LEGACY_PROFILE_KEYS = ("sso_start_url", "sso_region", "sso_registration_scopes")


@dataclass(frozen=True)
class ConfigureRequest:
    """What the user gave as flags; None means ask (or fail when asking is not possible)."""

    session_name: str | None = None
    start_url: str | None = None
    region: str | None = None
    scopes: str | None = None
    account_id: str | None = None
    role_name: str | None = None
    profile: str | None = None
    profile_region: str | None = None
    overwrite: bool = False

    @property
    def non_interactive(self) -> bool:
        """Account, role and profile name given: nothing is asked; defaults fill the rest."""
        return bool(self.account_id and self.role_name and self.profile)


@dataclass(frozen=True)
class SessionSettings:
    name: str
    start_url: str
    region: str
    scopes: tuple[str, ...]

    def as_section(self) -> dict[str, str]:
        return {
            "sso_start_url": self.start_url,
            "sso_region": self.region,
            "sso_registration_scopes": ",".join(self.scopes),
        }


@dataclass(frozen=True)
class ProfileSettings:
    name: str
    session_name: str
    account_id: str
    role_name: str
    region: str

    def as_section(self) -> dict[str, str]:
        return {
            "sso_session": self.session_name,
            "sso_account_id": self.account_id,
            "sso_role_name": self.role_name,
            "region": self.region,
        }


@dataclass(frozen=True)
class ConfigureResult:
    config_file: Path
    backup: Path | None  # None when the file did not exist or nothing changed
    changed: bool
    session: SessionSettings
    profile: ProfileSettings
    written: tuple[str, ...] = ()  # the section headers that changed, as `[profile NAME]`


# --- section names ----------------------------------------------------------------------


def profile_section_names(name: str) -> list[str]:
    # botocore reads the default profile from `[default]` (and `[profile default]`).
    return ["default", "profile default"] if name == "default" else [f"profile {name}"]


def session_section_names(name: str) -> list[str]:
    return [f"sso-session {name}"]


# --- the plan and the write -------------------------------------------------------------


def plan_config(
    original: str, session: SessionSettings, profile: ProfileSettings, *, overwrite: bool
) -> str:
    """The new config text, or UsageError if it would change a section without `overwrite`."""
    doc = IniDocument(original)
    _plan_session(doc, session, overwrite=overwrite)
    _refuse_existing_profile(doc, profile.name, overwrite=overwrite, wanted=profile)
    doc.set_section(
        profile_section_names(profile.name), profile.as_section(), remove=_LEGACY_PROFILE_KEYS
    )
    return doc.text()


def _plan_session(doc: IniDocument, session: SessionSettings, *, overwrite: bool) -> None:
    current = doc.section(session_section_names(session.name))
    if current is None or overwrite:
        doc.set_section(session_section_names(session.name), session.as_section())
        return
    differs = []
    if current.get("sso_start_url") != session.start_url:
        differs.append("sso_start_url")
    if current.get("sso_region") != session.region:
        differs.append("sso_region")
    text = current.get("sso_registration_scopes", "")
    # No scopes line means the AWS CLI default, so it is not a difference from that default.
    scopes = tuple(s.strip() for s in text.split(",") if s.strip()) or DEFAULT_SCOPES
    if scopes != session.scopes:
        differs.append("sso_registration_scopes")
    if differs:
        raise UsageError(
            f"[sso-session {session.name}] already exists with other settings "
            f"({', '.join(differs)}): pass --overwrite to change it, or choose another "
            "--session-name"
        )


def _has_exactly(doc: IniDocument, profile: ProfileSettings) -> bool:
    """The file already has this profile with these settings (and no legacy keys)."""
    current = doc.section(profile_section_names(profile.name))
    if current is None or any(key in current for key in _LEGACY_PROFILE_KEYS):
        return False
    return all(current.get(key) == value for key, value in profile.as_section().items())


def _refuse_existing_profile(
    doc: IniDocument, name: str, *, overwrite: bool, wanted: ProfileSettings | None = None
) -> None:
    if wanted is not None and _has_exactly(doc, wanted):
        return  # asking for what is already there changes nothing
    if not overwrite and doc.has_section(profile_section_names(name)):
        raise UsageError(
            f"profile '{name}' already exists: pass --overwrite to replace its SSO "
            "settings, or choose another --profile"
        )


def backup_path(config_file: Path) -> Path:
    return config_file.with_name(config_file.name + ".bak")


def write_config(
    config_file: Path, session: SessionSettings, profile: ProfileSettings, *, overwrite: bool
) -> tuple[Path | None, tuple[str, ...]]:
    """Apply the plan to the file as it is *now* (under the lock); returns the backup and the
    sections the write changed (none: nothing written). A symlinked config file keeps its link:
    the link's target is what gets replaced."""
    config_file = real_path(config_file)
    with locked(config_file):
        original = read_exact(config_file)
        new = plan_config(original or "", session, profile, overwrite=overwrite)
        if original is not None and new == original:
            return None, ()
        before, after = IniDocument(original or ""), IniDocument(new)
        written = tuple(
            f"[{names[0]}]"
            for names in (
                session_section_names(session.name),
                profile_section_names(profile.name),
            )
            if before.section(names) != after.section(names)
        )
        backup = None
        if original is not None:
            backup = backup_path(config_file)
            write_private_text(backup, original)
        write_private_text(config_file, new)
    log.info("wrote %s", config_file)
    return backup, written


# --- IAM Identity Center ----------------------------------------------------------------


def live_access_token(
    cache: TokenCache,
    profile: SsoProfile,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> str | None:
    """A cached token for this session that will last through `configure`, if there is one."""
    entry = cache.get(profile.token_cache_key)
    if not entry or entry.get("startUrl") != profile.start_url:
        return None
    expires = parse_utc_timestamp(entry.get("expiresAt"))
    token = entry.get("accessToken")
    if not token or expires is None:
        return None
    return str(token) if expires - now() > TOKEN_REUSE_MARGIN else None


# --- the whole flow ---------------------------------------------------------------------


def run_configure(
    request: ConfigureRequest,
    *,
    config_file: Path,
    sso: Callable[[str], SSOClient],
    access_token: Callable[[SsoProfile], str],
    prompter: Prompter,
) -> ConfigureResult:
    """Ask for what is missing, sign in, choose account and role, write the config.

    `sso` builds an SSO client for a region; `access_token` returns a token for the session,
    signing in if needed. Fails before any network call when the answers already conflict with
    the file, so a refusal never costs a sign-in.
    """
    if request.non_interactive:
        prompter = NoPrompts(prompter.say)
    existing_text = read_exact(config_file) or ""
    doc = IniDocument(existing_text)

    session = _ask_session(request, doc, config_file, prompter)
    session_name, start_url, region, scopes = (
        session.name,
        session.start_url,
        session.region,
        session.scopes,
    )

    profile_name = (
        check_name("profile name", "--profile", request.profile) if request.profile else None
    )
    if request.account_id:
        check_account(request.account_id)
    if request.profile_region:
        check_region(request.profile_region, "--profile-region")
    # Refuse before signing in when the flags alone already conflict with the file.
    _plan_session(IniDocument(existing_text), session, overwrite=request.overwrite)
    if profile_name is not None and request.account_id and request.role_name:
        # The same flags as last time: nothing to do, and no sign-in to do it.
        same = ProfileSettings(
            profile_name,
            session_name,
            request.account_id,
            request.role_name,
            request.profile_region or region,
        )
        if _has_exactly(doc, same) and doc.has_section(session_section_names(session_name)):
            return ConfigureResult(config_file, None, False, session, same, ())
    if profile_name is not None:
        _refuse_existing_profile(doc, profile_name, overwrite=request.overwrite)

    sso_profile = SsoProfile(
        name=profile_name or session_name,
        start_url=start_url,
        sso_region=region,
        account_id="",
        role_name="",
        session_name=session_name,
        scopes=scopes,
        configured_scopes=scopes,  # configure always writes sso_registration_scopes
    )
    token = access_token(sso_profile)
    client = sso(region)

    account, role = choose_assignment(
        client, token, prompter, account_id=request.account_id, role_name=request.role_name
    )

    profile_region = request.profile_region or ask(
        prompter,
        "Default client region for the profile (--profile-region)",
        region,
        lambda v: check_region(v, "--profile-region"),
    )

    def new_profile_name(value: str) -> str:
        name = check_name("profile name", "--profile", value)
        wanted = ProfileSettings(name, session_name, account.account_id, role, profile_region)
        _refuse_existing_profile(doc, name, overwrite=request.overwrite, wanted=wanted)
        return name

    if profile_name is None:
        profile_name = ask(
            prompter, "Profile name (--profile)", f"{role}-{account.account_id}", new_profile_name
        )
    profile = ProfileSettings(profile_name, session_name, account.account_id, role, profile_region)
    backup, written = write_config(config_file, session, profile, overwrite=request.overwrite)
    return ConfigureResult(config_file, backup, bool(written), session, profile, written)


def _ask_session(
    request: ConfigureRequest, doc: IniDocument, config_file: Path, prompter: Prompter
) -> SessionSettings:
    """The sso-session's settings: the flags, else what the file has, else asked."""

    def session_name_ok(value: str) -> str:
        return check_name("session name", "--session-name", value)

    session_name = (
        session_name_ok(request.session_name)
        if request.session_name
        else ask(prompter, "SSO session name (--session-name)", None, session_name_ok)
    )
    known = doc.section(session_section_names(session_name)) or {}
    if known:
        prompter.say(f"Using [sso-session {session_name}] from {config_file}.")
    given_url = request.start_url or known.get("sso_start_url")
    start_url = (
        check_start_url(given_url)
        if given_url
        else ask(prompter, "SSO start URL (--start-url)", None, check_start_url)
    )
    given_region = request.region or known.get("sso_region")
    region = (
        check_region(given_region, "--region")
        if given_region
        else ask(prompter, "SSO region (--region)", None, lambda v: check_region(v, "--region"))
    )
    given_scopes = request.scopes or known.get("sso_registration_scopes")
    scopes = (
        check_scopes(given_scopes)
        if given_scopes
        else ask(
            prompter,
            "SSO registration scopes (--scopes)",
            ",".join(DEFAULT_SCOPES),
            check_scopes,
        )
    )
    return SessionSettings(session_name, start_url, region, scopes)
