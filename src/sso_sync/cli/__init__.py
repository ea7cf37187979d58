"""The `sso-sync` command line: parse, call the core, print. Nothing outside `cli/` prints.

- `app`: the typer app, the table of commands, the one place errors become exit codes, `main`.
- `usage`: click's usage errors as one `error:` line with the fix; an option missing its value.
- `completion`: tab completion of choices, `schedule`'s actions and profile names.
- `options`: every option shared by several commands.
- `target_options`: the target block, as one `TargetOptions` value (and its `to_argv`).
- `source_options`: the source block (registry tokens, `--no-role-credentials`), as one
  `Sources` value (cli/groups.py) for push, watch, schedule, list and remove.
- `streams`: the command's stdin, stdout and stderr as one `Streams` value, and whether each is
  a terminal (the process's unless a test hands in its own).
- `ui`: what commands print and ask, on the running command's streams (terminal controls
  stripped): lines on stdout and stderr, JSON, prompts.
- `console`: `CliTerminal`, the core's terminal on those streams: progress, sign-in messages.
- `config_confirm`: showing a discovered config file's plan and confirming it once.
- `context`: what a command is handed (`Context`: streams, environment, terminal, clock, and
  the factories for the AWS side and the GitHub client); tests hand in their own.
- `groups`: option groups as data (`GitHubAuth`, `Writing`, `Notifying`, `Sources`) that
  validate themselves and write themselves back out as arguments (`to_argv`) for a scheduled
  job.
- `notifying`: the notifier a command runs with (webhook, desktop, GitHub issue).
- `commands/`: one short module per command: parse, call the core, print.
"""

from sso_sync.cli.app import main

__all__ = ["main"]
