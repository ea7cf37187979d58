"""The `sso-sync` command line: parse, call the core, print. Nothing outside `cli/` prints.

- `app`: the typer app, the table of commands, the one place errors become exit codes, `main`.
- `usage`: click's usage errors as one `error:` line with the fix; an option missing its value.
- `completion`: tab completion of choices, `schedule`'s actions and profile names.
- `options`: every option shared by several commands, and the target block (`TargetOptions`).
- `ui`: stdout and stderr (terminal controls stripped), progress, prompts, sign-in messages.
- `config_confirm`: showing a discovered config file's plan and confirming it once.
- `session`: the AWS side of a command (profile, token cache, sign-in) and the GitHub client.
- `pushing`: one push as `push`, `watch` and the scheduled job run it (clients, state, locks).
- `watch_cycle`: one `watch` cycle: its own deadline (AWS included), a fresh GitHub App
  authorizer, the repository patterns listed again.
- `commands/`: one short module per command: parse, call the core, print.
"""

from sso_sync.cli.app import main

__all__ = ["main"]
