"""One module per command, named for it; `cli.app.COMMANDS` registers them in `--help` order."""
