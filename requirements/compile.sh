#!/usr/bin/env bash
# Regenerate the hashed locks from their inputs (needs uv; .github/workflows/refresh-locks.yml
# runs this every week). action.txt: what action.yml installs; uv.txt: uv itself, for runners
# without it; release.txt: the release workflow's build tools.
set -euo pipefail
cd "$(dirname "$0")/.."
compile() { uv pip compile --quiet --generate-hashes --universal "$@"; }
compile --python-version 3.10 pyproject.toml requirements/action.in -o requirements/action.txt
compile --python-version 3.10 requirements/uv.in -o requirements/uv.txt
compile --python-version 3.12 requirements/release.in -o requirements/release.txt
