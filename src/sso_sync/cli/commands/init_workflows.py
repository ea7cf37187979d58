"""`sso-sync init-workflows`: the scheduled check and the deploy gate."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sso_sync.cli import ui


def init_workflows(
    prefix: Annotated[
        str,
        typer.Option(
            "--prefix", metavar="PREFIX", help="Secret/variable name prefix, as given to push."
        ),
    ] = "",
    env: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--env",
            metavar="NAME",
            help="GitHub environment whose secrets the jobs read (environment: NAME).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite workflow files that already exist.")
    ] = False,
    action: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--action",
            metavar="OWNER/REPO@SHA",
            help="The verify action to use, pinned by commit. Default: this release's "
            "(a development install has none: then this is required).",
        ),
    ] = None,
) -> None:
    """Write the hourly credentials check and the verify-then-deploy workflow into this
    repository's .github/workflows/."""
    from pathlib import Path

    from sso_sync.action.workflows import apply, choose_action, find_repository_root, plan

    root = find_repository_root(Path.cwd())
    uses, tag = choose_action(action)
    planned = plan(root, prefix=prefix, environment=env, action=uses, tag=tag)
    apply(planned, root, force=force)
    for item in planned:
        ui.out(f"{'overwrote' if item.exists else 'wrote'} {item.path.relative_to(root)}")
    ui.err(
        "next: `sso-sync push --repo OWNER/NAME --profile PROFILE --expiration-variable "
        f"{prefix}AWS_CREDENTIAL_EXPIRATION"
        + (f" --prefix {prefix}" if prefix else "")
        + "`"
        + (f" (into environment {env})" if env else "")
        + ", then commit the workflows"
    )
