"""A new kind of credential source is one module: the toy kind below, registered in the table
(source_table.py) and touching no other file, is read from `sso-sync.toml`, pushed beside the
role credentials (the sandbox's GitHub decrypts it), listed with its own expiry, renewed by a
scheduled job when that expiry (not the credentials') runs short, and checked by `doctor` with
its own `fetch`. Its option goes back onto a job's command line through the source block.
tests/test_credential_kinds.py drops such a kind's module into credential_kinds/ instead, and
sees its option in `--help` and pushed.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sso_sync import source_table
from sso_sync.cli.groups import Sources
from sso_sync.errors import UsageError
from sso_sync.files import utc_timestamp
from sso_sync.sources import (
    NO_ROLE_CREDENTIALS,
    CredentialSource,
    IssuedSecret,
    OptionSpec,
    SourceRow,
    Spelling,
)
from tests.support.commands import commands_imported_afresh
from tests.support.world import World, issued_as_secrets

# A value nobody else has: `run` must never see it in any output.
CANARY = "toy-canary-5e1f0c"
REPO = "octo-org/app"
TOY = OptionSpec("toy", "--toy", "toy", str, metavar="LABEL")
# Shorter-lived than the role credentials, as a registry token can be.
TOY_LIFE_SHORTER_BY = timedelta(minutes=55)


@dataclass(frozen=True)
class ToySource(SourceRow):
    """TOY_TOKEN: the label and the role's ARN, fetched from STS with the profile's role
    credentials (as a registry row calls its service), expiring 55 minutes before them."""

    label: str
    key: ClassVar[str] = "toy"

    def secret_names(self) -> tuple[str, ...]:
        return ("TOY_TOKEN",)

    def fetch(self, credentials: Any, aws: Any) -> tuple[IssuedSecret, ...]:
        from sso_sync.keepfresh.record import sts_caller

        caller = sts_caller(aws, credentials)
        value = f"{CANARY}:{self.label}:{caller.role_arn}"
        return (IssuedSecret("TOY_TOKEN", value, credentials.expiration - TOY_LIFE_SHORTER_BY),)


@dataclass(frozen=True)
class ToyKind:
    options: tuple[OptionSpec, ...] = (TOY,)

    def rows(self, values: Mapping[str, Any], spell: Spelling) -> tuple[CredentialSource, ...]:
        label = values.get("toy")
        if label is None:
            return ()
        if not label.isalnum():
            raise UsageError(f"{spell.name(TOY)} '{label}' is not a plain word: give letters")
        return (ToySource(label),)


@pytest.fixture
def toy() -> Iterator[ToyKind]:
    kind = ToyKind()
    source_table.register(kind)
    with commands_imported_afresh():  # no command keeps the toy's option afterwards
        yield kind
    source_table.unregister(kind)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "sso-sync.toml"
    path.write_text(
        f'[sets.toy]\nprofile = "ci"\ntoy = "blue"\ntargets = [{{ repo = "{REPO}" }}]\n'
    )
    return path


def test_a_registered_kind_is_pushed_listed_and_checked(
    toy: ToyKind, world: World, run, config: Path
) -> None:
    world.seed_token()
    pushed = run("push", "toy", "--config", str(config))
    assert pushed.exit_code == 0, pushed.stderr
    stored = {n: s.value for n, s in world.sandbox.secrets(f"repos/{REPO}/actions").items()}
    toy_value = stored.pop("TOY_TOKEN")
    assert stored == issued_as_secrets(world)  # beside the role credentials
    assert toy_value.startswith(f"{CANARY}:blue:arn:aws:sts::")  # STS answered the row
    assert pushed.stdout.splitlines()[0] == f"{REPO} [toy]: " + ", ".join(
        f"{name} created" for name in [*issued_as_secrets(world), "TOY_TOKEN"]
    )

    listed = run("list", "toy", "--config", str(config), "--json")
    assert listed.exit_code == 0, listed.stderr
    [target] = json.loads(listed.stdout)["targets"]
    expiry = {s["name"]: s["expires_at"] for s in target["secrets"]}
    role_expiry = issued_as_secrets(world)["AWS_CREDENTIAL_EXPIRATION"]
    assert expiry["AWS_ACCESS_KEY_ID"] == role_expiry
    assert expiry["TOY_TOKEN"] == utc_timestamp(
        _parse(role_expiry) - TOY_LIFE_SHORTER_BY
    )  # its own

    checked = run("doctor", "toy", "--config", str(config), "--json")
    [check] = [c for c in json.loads(checked.stdout)["checks"] if c["name"] == "TOY_TOKEN"]
    assert check["status"] == "ok"
    assert check["detail"].startswith("the role may get one (fetched, not shown; valid until")


def test_a_scheduled_job_renews_it_when_its_own_expiry_runs_short(
    toy: ToyKind, world: World, run, config: Path, tmp_path: Path
) -> None:
    """The role credentials (an hour) would be fresh for a job run every 15 minutes; the toy
    token (five minutes) is not, so the job pushes again."""
    world.seed_token()
    assert run("push", "toy", "--config", str(config)).exit_code == 0
    token = tmp_path / "gh-token"
    token.write_text(world.sandbox.github_token + "\n")
    token.chmod(0o600)
    planned = run(
        "schedule", "install", "toy", "--config", str(config), "--backend", "cron",
        "--github-token-file", str(token), "--dry-run",
    )  # fmt: skip
    assert planned.exit_code == 0, planned.stderr
    line = next(w for w in planned.stdout.splitlines() if " push " in w)
    words = [w.strip('"') for w in line.split()]
    job = words[words.index("push") :]
    assert ("--config", str(config.resolve())) in itertools.pairwise(job) or str(config) in job
    world.sandbox.clear_requests()
    again = run(*job, "--json")
    assert again.exit_code == 0, again.stderr
    [target] = json.loads(again.stdout)["targets"]
    assert target["outcome"] == "updated"
    assert len(world.sandbox.issued_credentials) == 2


def test_its_option_goes_onto_a_jobs_command_line(
    toy: ToyKind,
) -> None:
    given = Sources.of(toy="blue", ecr=True)
    assert given.to_argv() == ["--ecr", "--toy", "blue"]
    assert [type(r).__name__ for r in given.rows()] == [
        "RoleCredentialsSource",
        "EcrSource",
        "ToySource",
    ]
    with pytest.raises(UsageError, match=r"^--toy 'b-l' is not a plain word"):
        Sources.of(toy="b-l").rows()
    nothing = "leaves nothing to push: add --ecr or --codeartifact DOMAIN or --toy LABEL"
    with pytest.raises(UsageError, match=f"{re.escape(nothing)}$"):
        Sources.of(no_role_credentials=True).rows()


def test_its_config_errors_name_the_key(toy: ToyKind, world: World, run, tmp_path: Path) -> None:
    config = tmp_path / "sso-sync.toml"
    config.write_text('[sets.toy]\ntoy = "b-l"\ntargets = [{ repo = "octo-org/app" }]\n')
    result = run("push", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {config}: sets.toy: toy 'b-l' is not a plain word: give letters"
    )
    assert world.sandbox.requests == []


def test_without_registering_the_key_is_unknown(world: World, run, config: Path) -> None:
    result = run("push", "toy", "--config", str(config))
    assert result.exit_code == 2
    assert "sets.toy.toy: unknown key" in result.stderr


def _parse(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_each_setting_once_a_shared_one_after_the_last_kind_that_reads_it() -> None:
    assert [s.flag for s in source_table.options()] == [
        "--no-role-credentials", "--ecr", "--codeartifact", "--codeartifact-owner",
        "--codeartifact-duration", "--region",
    ]  # fmt: skip
    assert Sources.of(region="eu-west-1", ecr=True).to_argv() == ["--ecr", "--region", "eu-west-1"]


def test_a_kind_may_not_redeclare_a_setting_differently() -> None:
    clash = OptionSpec("region", "--region", "region", int)

    @dataclass(frozen=True)
    class Clashing(ToyKind):
        options: tuple[OptionSpec, ...] = (clash,)

    with pytest.raises(ValueError, match="region is declared twice"):
        source_table.register(Clashing())
    assert Clashing() not in source_table.kinds()
    with pytest.raises(ValueError, match="no source kind declares toy"):
        source_table.build({"toy": "blue"}, Spelling())  # not registered


@pytest.mark.parametrize(
    ("given", "as_options", "as_keys"),
    [
        (
            {"region": "eu-west-1"},
            "--region is for the registries: add --ecr or --codeartifact DOMAIN",
            'region is for the registries: add ecr = true or codeartifact = "DOMAIN"',
        ),
        (
            {"no_role_credentials": True},
            "--no-role-credentials leaves nothing to push: add --ecr or --codeartifact DOMAIN",
            "role-credentials = false leaves nothing to push: add ecr = true or "
            'codeartifact = "DOMAIN"',
        ),
        (
            {"no_role_credentials": True, "region": "eu-west-1"},
            "--no-role-credentials leaves nothing to push: add --ecr or --codeartifact DOMAIN",
            "role-credentials = false leaves nothing to push: add ecr = true or "
            'codeartifact = "DOMAIN"',
        ),
        (
            {"codeartifact": "corp", "codeartifact_owner": "12345"},
            "--codeartifact-owner '12345' is not an account id: give the 12 digits of the "
            "account that owns the domain",
            "codeartifact-owner '12345' is not an account id: give the 12 digits of the "
            "account that owns the domain",
        ),
        (
            {"codeartifact_duration": 900},
            "--codeartifact-duration needs --codeartifact DOMAIN: name the domain",
            'codeartifact-duration needs codeartifact = "DOMAIN": name the domain',
        ),
        (
            {"codeartifact": " "},
            "--codeartifact needs a domain name: give --codeartifact DOMAIN",
            'codeartifact needs a domain name: give codeartifact = "DOMAIN"',
        ),
    ],
)
def test_one_rule_is_worded_as_options_or_as_config_keys(
    given: dict[str, Any], as_options: str, as_keys: str
) -> None:
    for spell, words in ((Spelling(), as_options), (Spelling(config=True), as_keys)):
        with pytest.raises(UsageError) as refused:
            source_table.build(given, spell)
        assert str(refused.value) == words


def test_a_switch_that_turns_a_row_off_is_added_as_false() -> None:
    assert Spelling(config=True).given(NO_ROLE_CREDENTIALS) == "role-credentials = false"
    assert Spelling().given(NO_ROLE_CREDENTIALS) == "--no-role-credentials"
