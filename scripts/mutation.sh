#!/usr/bin/env bash
# Mutation testing (mutmut) on chosen modules, in a scratch copy of the working tree.
#
#   scripts/mutation.sh github/pacing.py github/retry.py files.py 'github/rest.py:seal'
#
# Each argument is a module under src/sso_sync/, optionally with ':function' to keep only the
# mutants of that function (mutmut still has to mutate the whole file). No argument: the whole
# package, as configured in pyproject.toml's [tool.mutmut] (about 10,000 mutants: hours).
# MUTATION_TESTS chooses the tests (default: the suite without the slow end-to-end tests, which
# run `sso-sync` or act as subprocesses and never see a mutant);
# MUTATION_JOBS the number of parallel mutants (default: the CPU count); MUTATION_TIMEOUT the
# per-test limit in seconds during the run (default 30).
# Prints every surviving mutant and the score; exits 0 (a survivor is a finding, not a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-$root/.venv/bin/python}
mutmut=$(dirname "$python")/mutmut
work=${MUTATION_DIR:-$(mktemp -d)}
# The sandbox's own tests check no mutated code; the Ctrl-C tests run the CLI as a child on a
# pty and so never see a mutant either (and mutmut's runner ignores SIGINT, which the child
# would inherit).
tests=${MUTATION_TESTS:-"tests -m 'not slow' --ignore=tests/sandbox --ignore=tests/cli/test_interrupts.py"}

# The working tree as it is, committed or not; mutmut writes its mutants/ beside it.
git ls-files -z --cached --others --exclude-standard | grep -zv '^tests/node_modules' \
  | tar --null -T - -cf - | tar -xf - -C "$work"
[ -e tests/node_modules ] && ln -sfn "$root/tests/node_modules" "$work/tests/node_modules"

only=() names=()
for arg in "$@"; do
  module=${arg%%:*}
  only+=("src/sso_sync/$module")
  if [ "$arg" != "$module" ]; then
    dotted=$(echo "sso_sync/${module%.py}" | tr / .)
    names+=("$dotted.x_${arg#*:}__mutmut_*")
  else
    dotted=$(echo "sso_sync/${module%.py}" | tr / .)
    names+=("$dotted.*")
  fi
done

"$python" - "$work/pyproject.toml" "$tests" "${MUTATION_TIMEOUT:-30}" "${only[@]}" <<'PY'
import os, shlex, sys
path, tests, timeout, *only = sys.argv[1:]
text = open(path, encoding="utf-8").read()
extra = f"pytest_add_cli_args_test_selection = {shlex.split(tests)!r}\n".replace("'", '"')
# A mutant that makes a wait endless (pacing, a backoff) is killed by the per-test limit; no
# test in the selection needs more than a few seconds, so a short limit keeps the run short.
extra += f"pytest_add_cli_args = {['-p', 'no:cacheprovider', '-n', '0', f'--timeout={timeout}']!r}\n".replace(
    "'", '"'
)
# Whatever the tests read at the top of the tree (README, docs, action.yml, ...), not only the
# paths pyproject.toml lists: mutmut copies src/ and tests/ itself.
top = sorted(set(os.listdir(os.path.dirname(path))) - {"src", "tests", "mutants", ".venv", ".git"})
extra += f"also_copy = {top!r}\n".replace("'", '"')
if only:
    extra += f"only_mutate = {only!r}\n".replace("'", '"')
keys = {line.split(" = ")[0] for line in extra.splitlines()}
text = "".join(
    line for line in text.splitlines(keepends=True) if line.split(" = ")[0] not in keys
)
text = text.replace("[tool.mutmut]\n", "[tool.mutmut]\n" + extra, 1)
open(path, "w", encoding="utf-8").write(text)
PY

cd "$work"
echo "mutmut in $work on: ${*:-the whole package}" >&2
"$mutmut" run --max-children "${MUTATION_JOBS:-$(nproc)}" "${names[@]}" >"$work/run.log" 2>&1 \
  || { tail -n 40 "$work/run.log"; exit 1; }
"$mutmut" results --all true >"$work/results.txt"
if [ ${#names[@]} -gt 0 ]; then
  patterns=$(printf '%s\n' "${names[@]}" | sed 's/[.]/\\./g; s/[*]/.*/g')
  grep -E "^ +($(paste -sd'|' <<<"$patterns")):" "$work/results.txt" >"$work/chosen.txt" || true
else
  cp "$work/results.txt" "$work/chosen.txt"
fi
echo "== surviving (and not-checked) mutants"
grep -v ': killed$' "$work/chosen.txt" || echo "    none"
killed=$(grep -c ': killed$\|: timeout$' "$work/chosen.txt" || true)
total=$(grep -vc ': skipped$' "$work/chosen.txt" || true)
echo "== score: $killed of $total mutants killed (timeouts count as killed)"
echo "== details: cd $work && $mutmut show NAME"
