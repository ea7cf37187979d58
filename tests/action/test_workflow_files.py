"""The action, every workflow and every example pass zizmor (offline) and action-validator, and
keep the rules the linters cannot see: inputs reach scripts only through `env:`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sso_sync.action.workflows import EXAMPLE_ACTION, TEMPLATES, render

ROOT = Path(__file__).resolve().parents[2]
# Read at import, before the autouse fixture clears CI from the environment.
IN_CI = bool(os.environ.get("CI"))
ACTION_VALIDATOR = ROOT / "tests" / "node_modules" / ".bin" / "action-validator"
ZIZMOR = Path(sys.executable).with_name("zizmor")

FILES = sorted(
    [
        ROOT / "action.yml",
        *(ROOT / ".github" / "workflows").glob("*.yml"),
        *(ROOT / "examples" / "workflows").glob("*.yml"),
        *(ROOT / "tests" / "workflows").glob("*.yml"),
    ]
)


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")}
    return subprocess.run(
        [str(ZIZMOR), "--offline", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def action_validator(path: Path) -> subprocess.CompletedProcess[str]:
    if not ACTION_VALIDATOR.exists():
        message = "action-validator not installed: run `npm ci --prefix tests`"
        if IN_CI:
            pytest.fail(message + " (CI must run it)")
        pytest.skip(message)
    return subprocess.run(
        [str(ACTION_VALIDATOR), str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_files_checked_are_all_there() -> None:
    names = {str(p.relative_to(ROOT)) for p in FILES}
    assert {
        "action.yml",
        ".github/workflows/ci.yml",
        ".github/workflows/action-selftest.yml",
        ".github/workflows/release.yml",
        "examples/workflows/verify-aws-credentials.yml",
        "examples/workflows/deploy.yml",
        "tests/workflows/act-verify.yml",
    } <= names


def test_zizmor_offline_finds_nothing() -> None:
    result = zizmor(*FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_would_catch_an_input_expanded_inside_run(tmp_path: Path) -> None:
    bad = tmp_path / "action.yml"
    bad.write_text(
        "name: bad\ndescription: bad\ninputs:\n  x:\n    description: x\n"
        "runs:\n  using: composite\n  steps:\n"
        "    - shell: bash\n      run: echo ${{ inputs.x }}\n"
    )
    result = zizmor(bad)
    assert result.returncode != 0 and "template-injection" in result.stdout


# action-validator 0.6.0 (the newest) has a schema older than GitHub's `attestations`
# permission (2024), which attest-build-provenance needs: that one line is checked without it.
SCHEMA_GAPS = ("      attestations: write\n",)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_action_validator_accepts(path: Path, tmp_path: Path) -> None:
    text = path.read_text()
    if any(gap in text for gap in SCHEMA_GAPS):
        for gap in SCHEMA_GAPS:
            text = text.replace(gap, "")
        path = tmp_path / path.name
        path.write_text(text)
    result = action_validator(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_validator_would_reject_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps: nope\n")
    assert action_validator(bad).returncode != 0


def _run_blocks(document: object) -> list[str]:
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_run_blocks(value))
    elif isinstance(document, list):
        for item in document:
            found.extend(_run_blocks(item))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_expression_is_expanded_inside_a_script(path: Path) -> None:
    """Stricter than zizmor: not even trusted contexts go into `run:`; they go through env."""
    for script in _run_blocks(yaml.safe_load(path.read_text())):
        assert "${{" not in script, f"{path.name}: expression inside run: {script[:80]!r}"


def test_every_use_of_a_remote_action_is_pinned_by_commit() -> None:
    checked = 0
    for path in FILES:
        for line in path.read_text().splitlines():
            stripped = line.strip().removeprefix("- ")
            if stripped.startswith("uses:") and "./" not in stripped:
                ref = stripped.split("@", 1)[1].split()[0]
                assert len(ref) == 40 and int(ref, 16) >= 0, f"{path.name}: {stripped}"
                checked += 1
    assert checked, "no remote `uses:` found: the check above looked at nothing"


def test_action_has_the_promised_inputs_and_outputs_and_the_readme_lists_them() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "aws-access-key-id",
        "aws-secret-access-key",
        "aws-session-token",
        "credential-expiration",
        "aws-region",
        "expected-account-ids",
        "expected-role",
        "min-remaining",
        "fail-on-error",
        "install",
    }
    assert action["inputs"]["fail-on-error"]["default"] == "true"
    assert action["inputs"]["install"]["default"] == "auto"
    assert {"valid", "account", "arn", "expires-at", "remaining-minutes"} <= set(action["outputs"])
    readme = (ROOT / "README.md").read_text()
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"| `{name}` |" in readme, f"README's action table lacks {name}"


def test_examples_are_the_templates_rendered_with_the_defaults() -> None:
    for name in TEMPLATES:
        expected = render(name, prefix="", environment=None, action=EXAMPLE_ACTION)
        assert (ROOT / "examples" / "workflows" / name).read_text() == expected, (
            f"examples/workflows/{name} is stale: regenerate it from the template"
        )


def test_templates_rendered_with_prefix_and_environment_are_clean_too(tmp_path: Path) -> None:
    rendered = []
    for name in TEMPLATES:
        path = tmp_path / name
        path.write_text(
            render(name, prefix="PROD_", environment="production", action=EXAMPLE_ACTION)
        )
        rendered.append(path)
        assert action_validator(path).returncode == 0
    result = zizmor(*rendered)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_lowest_versions_and_the_audit_but_ci_run_does_not() -> None:
    """The floors are tested in GitHub's CI (.ci/run stays within its time budget), and so is
    pip-audit --strict, which cannot reach vulnerability data from these machines."""
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    runs = {name: "\n".join(s.get("run", "") for s in job["steps"]) for name, job in jobs.items()}
    assert any("bash .ci/lowest-versions" in text for text in runs.values())
    assert any(
        'pip-audit" --strict' in text or "pip-audit --strict" in text for text in runs.values()
    )
    script = (ROOT / ".ci" / "lowest-versions").read_text()
    assert "--resolution lowest-direct" in script and "pytest" in script
    assert os.access(ROOT / ".ci" / "lowest-versions", os.X_OK)
    assert "lowest" not in (ROOT / ".ci" / "run").read_text()
