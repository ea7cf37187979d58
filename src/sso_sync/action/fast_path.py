"""The action's fast path: `sso-sync verify` without installing anything, where the runner has
the AWS CLI. action.yml runs this file straight from the action's own files:

    python3 -I "$GITHUB_ACTION_PATH/src/sso_sync/action/fast_path.py" [verify's options]

Isolated (`-I`): the workspace, which a pull request may control, is not on `sys.path` while
credentials are in the environment, and neither are PYTHONPATH or the user's site-packages. -I
also leaves this file's own directory off `sys.path`, so the package root is added here: the
`src` directory three levels up from this file, first, so that no other installed sso-sync can
stand in for it. Everything imported is standard library or ours; the checks, verdicts, outputs
and summary are `sso-sync verify`'s own (`step.run_step`), only the STS call differs (the AWS
CLI instead of botocore, `aws_cli`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if sys.version_info < (3, 10):  # noqa: UP036  (the install path's check and words)
    print(
        "::error title=sso-sync::python3 on this runner is older than 3.10: run "
        "actions/setup-python first"
    )
    sys.exit(1)
if __name__ == "__main__" and not __package__:
    # absolute(), not resolve(): the action's own path as the runner gave it, no symlink
    # followed out of it.
    _SRC = str(Path(__file__).absolute().parents[2])
    if sys.path[:1] != [_SRC]:
        sys.path.insert(0, _SRC)

import argparse
import json
import shutil
from collections.abc import Mapping, Sequence

from sso_sync.action import aws_cli
from sso_sync.action.step import Request, run_step
from sso_sync.action.verify import EnvCredentials, StsAnswer
from sso_sync.errors import EXIT_FAILED, EXIT_INTERRUPTED, SsoSyncError
from sso_sync.wording import clean, one_line

DEFAULT_TIMEOUT = 120.0  # `sso-sync verify --timeout`'s default


def _out(line: str) -> None:
    sys.stdout.write(clean(line) + "\n")
    sys.stdout.flush()


def _err(line: str) -> None:
    # Flushed line by line: the masks must reach the runner before anything else.
    sys.stdout.flush()
    sys.stderr.write(clean(line) + "\n")
    sys.stderr.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fast_path.py", description="sso-sync verify through the AWS CLI"
    )
    parser.add_argument("--aws", help="the AWS CLI to run (default: the first aws on PATH)")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--expected-account", action="append", default=[])
    parser.add_argument("--expected-role")
    parser.add_argument("--min-remaining")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--json", action="store_true", dest="as_json")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """`sso-sync verify`'s exit codes and output: 0 valid, 1 not, 2 bad input."""
    args = _parser().parse_args(argv)
    env = os.environ if environ is None else environ
    request = Request(args.prefix, args.expected_account, args.expected_role, args.min_remaining)

    def ask_sts(credentials: EnvCredentials) -> StsAnswer:
        aws = args.aws or shutil.which("aws", path=env.get("PATH"))
        if aws is None:
            raise SsoSyncError("no `aws` on PATH: install the AWS CLI, or let the action install")
        return aws_cli.get_caller_identity(aws, env, credentials, args.timeout)

    def fail(code: int, message: str) -> int:
        _err(f"error: {one_line(message)}")
        if args.as_json:
            _out(json.dumps({"ok": False, "error": {"exit_code": code, "message": message}}))
        return code

    try:
        verdict = run_step(env, request, ask_sts, _err)
    except SsoSyncError as exc:
        return fail(exc.exit_code, str(exc))
    except KeyboardInterrupt:
        return fail(EXIT_INTERRUPTED, "interrupted")
    except Exception as exc:  # a bug: say so without echoing a message that may hold data
        return fail(EXIT_FAILED, f"unexpected {type(exc).__name__}; please report it")
    if args.as_json:
        _out(json.dumps(verdict.as_dict(), indent=2))
    elif verdict.valid:
        _out(verdict.message)
    if not verdict.valid:
        _err(f"error: {one_line(verdict.message)}")
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
