"""`sso-sync export`: role credentials for other tools (the only command that prints them)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.completion import choices
from sso_sync.cli.context import current
from sso_sync.clients import command_deadline
from sso_sync.wording import expire_at


def _complete_format(incomplete: str) -> list[str]:
    # aws/export.py is read when the shell asks: importing it (with the role credentials and
    # the sign-in it needs) only to declare the option would slow `export --help`.
    from sso_sync.aws.export import FORMATS

    return choices(FORMATS)(incomplete)


def export_credentials(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            autocompletion=_complete_format,
            help="env | dotenv | json | credential-process | ini (writes the credentials file).",
        ),
    ] = "env",
    profile: opt.ProfileOption = None,
    section: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--section",
            metavar="NAME",
            help="With --format ini: section of the credentials file. Default: PROFILE-keys "
            "(not an SSO profile's name: botocore would ignore the keys there).",
        ),
    ] = None,
    timeout: opt.TimeoutOption = opt.DEFAULT_TIMEOUT,
) -> None:
    """Print role credentials for other tools (the only command that prints credentials).

    Reuses credentials cached in ~/.aws/cli/cache with 15 minutes or more left. For use as
    `credential_process = sso-sync export --format credential-process --profile NAME`.
    """
    from sso_sync.aws.export import (
        FORMATS,
        credentials_file,
        refuse_sso_profile_section,
        render,
        write_credentials_section,
    )
    from sso_sync.aws.inifile import check_name
    from sso_sync.aws.role_cache import RoleCache, reuse_or_fetch
    from sso_sync.errors import UsageError

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}: use one of {', '.join(FORMATS)}")
    if section is not None and fmt != "ini":
        raise UsageError("--section goes with --format ini only")
    with command_deadline(timeout) as deadline:
        aws = current().aws(profile, deadline=deadline)
        target = check_name("section", "--section", section or f"{aws.profile.name}-keys")
        if fmt == "ini":
            refuse_sso_profile_section(aws.session.full_config, target)
        # An SDK runs credential_process without a person watching: never start a sign-in.
        allow = fmt != "credential-process" and current().interactive()
        credentials, _ = reuse_or_fetch(
            RoleCache(aws.paths.cli_cache),
            aws.profile,
            lambda: aws.role_credentials(allow_sign_in=allow),
        )
    if fmt == "ini":
        path = credentials_file(current().environ)
        write_credentials_section(path, target, credentials)
        ui.err(f"wrote [{target}] in {path}; the credentials {expire_at(credentials.expiration)}")
        return
    out = current().streams.out  # as rendered: the credentials are the output
    out.write(render(credentials, fmt))
    out.flush()
