"""Inside GitHub Actions: the runner protocol, `verify`, and the workflow templates.

- `runner`: masks, annotations, step outputs and the job summary, in the runner's formats.
- `verify`: are the credentials in the environment alive, right and fresh enough (judging
  STS's answer, whichever client got it).
- `step`: one verify step (masks, checks, outputs, summary), shared by `sso-sync verify` and
  the fast path.
- `fast_path`: the action's entry point where the runner has the AWS CLI, started with
  `python3 -I` from the action's own files; `aws_cli` asks STS through `aws`.
- `workflows`: `init-workflows`, rendering `templates/*.yml`.

Everything here but `workflows` is standard library only, so the fast path needs no install.
"""
