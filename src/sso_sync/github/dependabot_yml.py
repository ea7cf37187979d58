"""The `dependabot.yml` that uses the registry secrets sso-sync keeps fresh (`dependabot-config`).

Plain text, made here without a YAML library: a `registries:` block and one `updates` entry per
registry, each with the `registries:` line it needs. Each registry type takes the credential
keys GitHub documents for it ("Configuring access to private registries for Dependabot"):
`docker-registry` and `maven-repository` a username and password, `npm-registry` and
`python-index` a token. Nothing here reads or writes a file: the user pastes the output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sso_sync.errors import UsageError


@dataclass(frozen=True)
class RegistryKind:
    """How Dependabot reaches one kind of registry."""

    type: str  # the registry's `type:` in dependabot.yml
    ecosystem: str  # the `package-ecosystem` of the updates entry that uses it
    credentials: tuple[tuple[str, str | None], ...]  # key -> value; None: the secret's reference
    url_suffix: str = ""  # appended to CodeArtifact's endpoint


DOCKER = RegistryKind("docker-registry", "docker", (("username", "AWS"), ("password", None)))
# CodeArtifact's formats Dependabot has a registry type for: `--format` takes these.
CODEARTIFACT_KINDS: dict[str, RegistryKind] = {
    "npm": RegistryKind("npm-registry", "npm", (("token", None),)),
    # pip reads a PEP 503 "simple" index, which CodeArtifact serves under /simple/.
    "pypi": RegistryKind("python-index", "pip", (("token", None),), "simple/"),
    "maven": RegistryKind("maven-repository", "maven", (("username", "aws"), ("password", None))),
}


@dataclass(frozen=True)
class Registry:
    name: str
    kind: RegistryKind
    url: str
    secret: str

    def lines(self) -> list[str]:
        reference = "${{secrets." + self.secret + "}}"
        out = [f"  {self.name}:", f"    type: {self.kind.type}", f"    url: {_scalar(self.url)}"]
        out += [
            f"    {key}: {_scalar(reference if value is None else value)}"
            for key, value in self.kind.credentials
        ]
        return out


_ACCOUNT = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")


def ecr_registry(account: str, region: str, secret: str) -> Registry:
    """ECR's registry of `account` in `region` (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`), its
    password in the secret named `secret`."""
    if not _ACCOUNT.fullmatch(account):
        raise UsageError(f"'{account}' is not an AWS account ID (12 digits): check --ecr-account")
    if not _REGION.fullmatch(region):
        raise UsageError(
            f"'{region}' is not an AWS region name (such as eu-west-1): check --region"
        )
    # The China regions live under their own domain, as every AWS endpoint there does.
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return Registry("ecr", DOCKER, f"https://{account}.dkr.ecr.{region}.{domain}", secret)


def codeartifact_registry(endpoint: str, fmt: str, secret: str) -> Registry:
    """A CodeArtifact repository, from its GetRepositoryEndpoint URL; its token in `secret`."""
    kind = CODEARTIFACT_KINDS[fmt]
    url = endpoint.rstrip("/") + "/" + kind.url_suffix
    return Registry(f"codeartifact-{fmt}", kind, url, secret)


def render(registries: list[Registry]) -> str:
    """A whole dependabot.yml: registries, and an `updates` entry for each, using it."""
    head = [
        "# Made by `sso-sync dependabot-config`.",
        "# The passwords and tokens below are Dependabot secrets that sso-sync pushes and renews",
        "# before they expire. Already have a dependabot.yml? Copy the `registries:` block into",
        "# it, and add each entry's `registries:` line to the `updates` entry that needs it.",
        "version: 2",
        "registries:",
    ]
    body = [line for registry in registries for line in registry.lines()]
    updates = ["updates:"]
    for registry in registries:
        updates += [
            f"  - package-ecosystem: {registry.kind.ecosystem}",
            "    directory: /",
            "    schedule:",
            "      interval: daily",
            "    registries:",
            f"      - {registry.name}",
        ]
    return "\n".join([*head, *body, *updates]) + "\n"


# Plain where YAML reads the text back as that same string: it starts with a letter or `$` (a
# digit could make a number), holds no space (so no `: ` or ` #`), and is none of YAML 1.1's
# booleans and nulls.
_PLAIN = re.compile(r"[A-Za-z$][A-Za-z0-9$/{}.:_-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _scalar(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back as the same string, else a
    double-quoted (JSON) string, which YAML reads the same way."""
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)
