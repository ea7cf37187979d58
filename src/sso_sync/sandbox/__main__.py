"""``python -m sso_sync.sandbox``: print the URLs as one JSON line, serve until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from . import Sandbox, SandboxConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sso_sync.sandbox", description=__doc__)
    parser.add_argument("--aws-port", type=int, default=0)
    parser.add_argument("--github-port", type=int, default=0)
    parser.add_argument("--role-lifetime", type=int, default=3600, metavar="SECONDS")
    args = parser.parse_args(argv)

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    config = SandboxConfig(role_lifetime=args.role_lifetime)
    sandbox = Sandbox(config, aws_port=args.aws_port, github_port=args.github_port).start()
    try:
        announcement = {
            "aws_url": sandbox.aws_url,
            "github_url": sandbox.github_url,
            "github_token": sandbox.github_token,
            "start_url": config.start_url,
            "region": config.region,
            "env": sandbox.env(),
        }
        sys.stdout.write(json.dumps(announcement) + "\n")
        sys.stdout.flush()
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stopping.wait(0.2):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
