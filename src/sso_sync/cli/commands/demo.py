"""`sso-sync demo`: the main line against the local sandbox."""

from __future__ import annotations

from sso_sync.cli import options as opt
from sso_sync.cli import ui
from sso_sync.cli.context import current
from sso_sync.errors import OperationFailed


def demo(as_json: opt.JsonOption = False) -> None:
    """Run the whole flow against a local sandbox: no AWS or GitHub account needed."""
    from sso_sync.demo import run_demo

    report = run_demo(say=ui.err)
    if as_json:
        current().out_json(report)
    else:
        for line in report["summary"]:
            ui.out(line)
    if not report["ok"]:
        raise OperationFailed("the demo did not complete: see above")
