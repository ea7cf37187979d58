"""Inside GitHub Actions: the runner protocol, `verify`, and the workflow templates.

- `runner`: masks, annotations, step outputs and the job summary, in the runner's formats.
- `verify`: are the credentials in the environment alive, right and fresh enough (STS).
- `workflows`: `init-workflows`, rendering `templates/*.yml`.
"""
