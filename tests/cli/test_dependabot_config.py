"""`sso-sync dependabot-config`: the dependabot.yml it prints is valid by the dependabot.yml
JSON schema (check-jsonschema's copy, offline), each registry carries the keys GitHub documents
for its type, the CodeArtifact URL comes from the sandbox's GetRepositoryEndpoint through
botocore's own client, and no file is ever written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.world import ACCOUNT, World

# GitHub's documentation of each registry type's keys besides `type` and `url`: "Configuring
# access to private registries for Dependabot", section "Supported private registries"
# (docs.github.com/en/code-security/dependabot/working-with-dependabot/configuring-access-to-
# private-registries-for-dependabot; github/docs content/code-security/dependabot/
# working-with-dependabot/configuring-access-to-private-registries-for-dependabot.md). The
# schema accepts any key on any type, so this table is the check.
#   docker-registry:  "supports username and password"
#   maven-repository: "supports username and password" (and replaces-base)
#   npm-registry:     "supports username and password, or token"
#   python-index:     "supports username and password, or token"
DOCUMENTED_CREDENTIALS: dict[str, list[set[str]]] = {
    "docker-registry": [{"username", "password"}],
    "maven-repository": [{"username", "password"}],
    "npm-registry": [{"username", "password"}, {"token"}],
    "python-index": [{"username", "password"}, {"token"}],
}
OPTIONAL_KEYS = {"replaces-base"}
ECOSYSTEM = {
    "docker-registry": "docker",
    "maven-repository": "maven",
    "npm-registry": "npm",
    "python-index": "pip",
}
CA = ("--codeartifact", "corp", "--codeartifact-repository", "internal")
CASES = {
    "ecr": ("--ecr",),
    "npm": (*CA, "--format", "npm"),
    "pypi": (*CA, "--format", "pypi"),
    "maven": (*CA, "--format", "maven"),
    "ecr and pypi, prefixed": ("--ecr", *CA, "--format", "pypi", "--prefix", "PROD_"),
}


def _print(run, *args: str) -> str:
    result = run("dependabot-config", "-p", "ci", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_every_output_is_valid_by_the_dependabot_schema(world: World, run, tmp_path: Path) -> None:
    world.seed_token()
    files = []
    for name, args in CASES.items():
        path = tmp_path / f"{name.replace(' ', '-').replace(',', '')}.yml"
        path.write_text(_print(run, *args))
        files.append(str(path))
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker is not None, "check-jsonschema comes with the test extras"
    done = subprocess.run(
        [checker, "--builtin-schema", "vendor.dependabot", *files],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("case", list(CASES))
def test_each_registry_has_the_keys_github_documents_for_its_type(
    world: World, run, case: str
) -> None:
    world.seed_token()
    document = yaml.safe_load(_print(run, *CASES[case]))
    registries = document["registries"]
    assert registries
    for name, registry in registries.items():
        credentials = set(registry) - {"type", "url"} - OPTIONAL_KEYS
        assert credentials in DOCUMENTED_CREDENTIALS[registry["type"]], (name, registry)
        assert registry["url"].startswith("https://")
    # Each registry is used by an updates entry of its ecosystem, through a `registries:` line.
    used = {(u["package-ecosystem"], r) for u in document["updates"] for r in u["registries"]}
    assert used == {(ECOSYSTEM[r["type"]], name) for name, r in registries.items()}


def test_the_values_it_prints(world: World, run) -> None:
    world.seed_token()
    document = yaml.safe_load(_print(run, *CASES["ecr and pypi, prefixed"]))
    assert document["registries"] == {
        "ecr": {
            "type": "docker-registry",
            "url": f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com",
            "username": "AWS",
            "password": "${{secrets.PROD_ECR_PASSWORD}}",
        },
        "codeartifact-pypi": {
            "type": "python-index",
            # GetRepositoryEndpoint's URL, as the sandbox answered it, and pip's /simple/.
            "url": f"https://corp-{ACCOUNT}.d.codeartifact.us-east-1.amazonaws.com"
            "/pypi/internal/simple/",
            "token": "${{secrets.PROD_CODEARTIFACT_AUTH_TOKEN}}",
        },
    }
    daily = {"interval": "daily"}
    assert document["updates"] == [
        {"package-ecosystem": "docker", "directory": "/", "schedule": daily, "registries": ["ecr"]},
        {
            "package-ecosystem": "pip",
            "directory": "/",
            "schedule": daily,
            "registries": ["codeartifact-pypi"],
        },
    ]
    [endpoint] = [r for r in world.sandbox.requests if r.service == "codeartifact"]
    assert (endpoint.operation, endpoint.status) == ("GetRepositoryEndpoint", 200)
    # Only the endpoint is asked for: no token is fetched to print a config.
    assert world.sandbox.issued_registry_tokens == []


def test_maven_takes_username_aws_and_the_token_as_password(world: World, run) -> None:
    world.seed_token()
    registry = yaml.safe_load(_print(run, *CA, "--format", "maven"))["registries"][
        "codeartifact-maven"
    ]
    assert (registry["username"], registry["password"]) == (
        "aws",
        "${{secrets.CODEARTIFACT_AUTH_TOKEN}}",
    )


def test_ecr_alone_needs_no_sign_in_and_no_request(world: World, run) -> None:
    # No token cached: the URL is made from the account and region only.
    out = _print(run, "--ecr", "--ecr-account", "444455556666", "--region", "cn-north-1")
    assert "url: https://444455556666.dkr.ecr.cn-north-1.amazonaws.com.cn" in out
    assert world.sandbox.requests == []


@pytest.mark.parametrize(
    ("environ", "region"),
    [
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"}, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "eu-west-2"}, "eu-west-2"),
        ({}, "ap-south-1"),  # the profile's region
    ],
)
def test_the_region_is_the_one_the_aws_cli_would_use(
    world: World, run, monkeypatch: pytest.MonkeyPatch, environ: dict, region: str
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = world.home / ".aws" / "config"
    # Its own region, not its sso_region (us-east-1).
    config.write_text(
        config.read_text().replace(
            "region = us-east-1\n\n[sso-session", "region = ap-south-1\n\n[sso-session", 1
        )
    )
    out = _print(run, "--ecr")
    assert f"url: https://{ACCOUNT}.dkr.ecr.{region}.amazonaws.com\n" in out


def test_it_never_writes_a_file(
    world: World, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.seed_token()
    (tmp_path / "repo" / ".github").mkdir(parents=True)
    existing = tmp_path / "repo" / ".github" / "dependabot.yml"
    existing.write_text("version: 2\nupdates: []\n")
    monkeypatch.chdir(tmp_path / "repo")
    _print(run, "--ecr", *CA, "--format", "npm")
    assert existing.read_text() == "version: 2\nupdates: []\n"
    assert sorted(p.name for p in (tmp_path / "repo").rglob("*")) == [".github", "dependabot.yml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to configure: give --ecr, --codeartifact DOMAIN, or both"),
        (("--codeartifact", "corp"), "--codeartifact needs --codeartifact-repository NAME"),
        ((*CA, "--format", "cargo"), "--format (npm, pypi, maven)"),
        (("--ecr", "--format", "npm"), "need --codeartifact DOMAIN"),
        (("--ecr", "--prefix", "9X"), "secret name '9XECR_PASSWORD' is invalid"),
        (("--ecr", "--ecr-account", "12345"), "'12345' is not an AWS account ID"),
        (("--ecr", "--region", "mars"), "'mars' is not an AWS region name"),
    ],
)
def test_bad_input_is_one_line_exit_2_before_any_request(
    world: World, run, args: tuple[str, ...], message: str
) -> None:
    world.seed_token()
    result = run("dependabot-config", "-p", "ci", *args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert message in result.stderr
    assert world.sandbox.requests == []


def test_a_denied_endpoint_read_names_the_iam_action(world: World, run) -> None:
    world.seed_token()
    world.sandbox.deny_actions("codeartifact:ReadFromRepository")
    result = run("dependabot-config", "-p", "ci", "--ecr", *CA, "--format", "npm")
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: CodeArtifact refused GetRepositoryEndpoint")
    assert "add codeartifact:ReadFromRepository to its permission set" in line
