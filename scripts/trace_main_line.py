"""The main line as a reader follows it: `sso-sync push --repo octo-org/app --profile ci`, from
argv to the first PUT, against the sandbox. Prints the modules it runs (in first-call order), how
often control crosses a layer, how often it enters `cli/`, and how often code below `cli/` calls
back up into it.

    .venv/bin/python scripts/trace_main_line.py
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import threading
from pathlib import Path


class FirstPut(Exception):
    pass


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "?"
    if parts[1] in ("cli", "aws", "github", "action", "keepfresh"):
        return parts[1]
    if parts[1] in ("pushing", "sync", "push_run", "demo"):
        return "core"
    return "bottom"


def main() -> int:
    from typer.testing import CliRunner

    from sso_sync.sandbox import Sandbox, SandboxConfig

    with tempfile.TemporaryDirectory() as tmp, Sandbox(SandboxConfig()) as sandbox:
        home = Path(tmp)
        os.environ["HOME"] = str(home)
        os.environ["AWS_CONFIG_FILE"] = str(home / ".aws" / "config")
        os.environ.update(sandbox.env())
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.support.world import World, write_config

        write_config(home, sandbox)
        World(sandbox=sandbox, home=home).seed_token()
        from sso_sync.cli.app import app

        up: list[str] = []

        calls: list[tuple[str, str | None]] = []  # (module, caller module)
        lock = threading.Lock()

        def profile(frame, event, _arg):  # type: ignore[no-untyped-def]
            if event != "call":
                return
            module = frame.f_globals.get("__name__", "")
            if not module.startswith("sso_sync") or module.startswith("sso_sync.sandbox"):
                return
            if frame.f_code.co_name == "<module>":
                return  # an import, not the main line's control flow
            caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back else None
            with lock:
                calls.append((module, caller))
                below = caller and caller.startswith("sso_sync.") and layer(caller) != "cli"
                if layer(module) == "cli" and below:
                    up.append(f"{caller} -> {module}.{frame.f_code.co_name}")
            if (
                module == "sso_sync.github.rest"
                and frame.f_code.co_name == "request"
                and frame.f_locals.get("method") == "PUT"
            ):
                raise FirstPut

        sys.setprofile(profile)
        threading.setprofile(profile)
        try:
            CliRunner().invoke(app, ["push", "--repo", "octo-org/app", "--profile", "ci"])
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]
    modules = list(dict.fromkeys(m for m, _ in calls))
    layers = [layer(m) for m, _ in calls]
    switches = sum(1 for a, b in itertools.pairwise(layers) if a != b)
    enters_cli = sum(1 for a, b in itertools.pairwise(layers) if b == "cli" and a != "cli")
    callbacks = len(up)
    print(f"modules of ours run before the first PUT: {len(modules)}")
    for m in modules:
        print(f"  {layer(m):9} {m}")
    print(f"layer switches: {switches}; entries into cli/: {enters_cli}; calls up: {callbacks}")
    for line in dict.fromkeys(up):
        print(f"  up: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
