"""Fuzzing what users and other tools hand us: ~/.aws/config, the token and role caches, an
sso-sync.toml, target names, durations, through the real CLI. Whatever the input: never a
traceback or an "unexpected" error; a bad input is one line with exit 2 (usage) or 3 (sign-in
needed); and a file that could not be used is left exactly as it was."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sso_sync.durations import parse_duration
from sso_sync.errors import UsageError
from tests.support.world import World

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# JSON values, shallow: what a damaged or hand-edited cache file may hold.
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
TOKEN_KEYS = [
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "refreshToken",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
]
ROLE_KEYS = ["ProviderType", "Credentials", "AccessKeyId", "Expiration", "SecretAccessKey"]
text_files = st.text(max_size=300) | st.binary(max_size=300).map(
    lambda b: b.decode("utf-8", "replace")
)


def clean(result, allowed: tuple[int, ...]) -> None:
    output = result.stdout + result.stderr
    assert result.exit_code in allowed, output
    assert "Traceback" not in output and "unexpected" not in output, output
    if result.exit_code in (2, 3):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def objects_with(keys: list[str]) -> st.SearchStrategy[dict]:
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys))


@FUZZ
@given(text=text_files)
def test_any_aws_config_is_one_line_and_left_alone(world: World, run, text: str) -> None:
    config = world.home / ".aws" / "config"
    config.write_bytes(text.encode())
    before = config.read_bytes()
    result = run("export", "--profile", "ci", "--format", "json", "--timeout", "5")
    clean(result, (2, 3))
    assert config.read_bytes() == before


@FUZZ
@given(entry=objects_with(TOKEN_KEYS) | json_values, raw=st.booleans())
def test_any_token_cache_entry_is_one_line(world: World, run, entry, raw: bool) -> None:
    path = world.token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(entry) if not raw else json.dumps(entry)[:-1]  # cut short: not JSON
    path.write_text(text)
    result = run("export", "--profile", "ci", "--format", "json", "--timeout", "5")
    clean(result, (2, 3))
    if raw:
        assert path.read_text() == text


@FUZZ
@given(entry=objects_with(ROLE_KEYS) | json_values)
def test_any_role_cache_entry_is_one_line(world: World, run, entry) -> None:
    cache = world.home / ".aws" / "cli" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    # Every file there: whichever name the profile's key has, it is one of these.
    for name in ("a", "b"):
        (cache / f"{name}.json").write_text(json.dumps(entry))
    from sso_sync.aws.profiles import AwsPaths, load_profile
    from sso_sync.aws.role_cache import RoleCache
    from sso_sync.clients import aws_session

    paths = AwsPaths.from_environ({"HOME": str(world.home)})
    profile = load_profile(aws_session(paths, "ci"), "ci", world.home / ".aws" / "config")
    path = RoleCache(cache).path(profile)
    path.write_text(json.dumps(entry))
    result = run("export", "--profile", "ci", "--format", "json", "--timeout", "5")
    clean(result, (2, 3))  # no sign-in cached: 3, unless the entry is unusable input (2)
    assert path.read_text() == json.dumps(entry)


@FUZZ
@given(text=text_files)
def test_any_sso_sync_toml_is_one_line_and_left_alone(
    world: World, run, text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("toml")
    config = folder / "sso-sync.toml"
    config.write_bytes(text.encode())
    result = run("list", "--config", str(config), "--timeout", "5")
    clean(result, (0, 1, 2))
    assert config.read_bytes() == text.encode()


names = st.text(max_size=30) | st.sampled_from(
    ["octo-org/app\n", "octo-org\n", "prod\n", "o/" + "r" * 101, "-x/y", "a/..", "\x1b[31m/x"]
)


@FUZZ
@given(option=st.sampled_from(["--repo", "--org", "--env", "--prefix"]), name=names)
def test_any_target_name_is_refused_in_one_line_or_used(
    world: World, run, option: str, name: str
) -> None:
    assume(not name.startswith("-"))  # an option, not a value, to the parser
    args = ["push", "--dry-run", "--profile", "ci", "--timeout", "5"]
    args += ["--repo", "octo-org/app", "--env", name] if option == "--env" else [option, name]
    result = run(*args)
    clean(result, (0, 1, 2))


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--repo", "octo-org/app\n"),
        ("--org", "octo-org\n"),
        ("--prefix", "CI_\n"),
        ("--expiration-variable", "AWS_EXPIRY\n"),
    ],
)
def test_a_trailing_newline_is_not_a_name(world: World, run, option: str, value: str) -> None:
    args = ["push", "--dry-run", "--profile", "ci"]
    args += (
        [option, value]
        if option != "--expiration-variable"
        else [
            "--repo",
            "octo-org/app",
            option,
            value,
        ]
    )
    result = run(*args)
    if option == "--repo":
        # Surrounding blanks are trimmed from OWNER/NAME (as `gh` does); what is used is clean.
        assert result.exit_code == 0 and "octo-org/app: would" in result.stdout
        return
    assert result.exit_code == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@given(text=st.text(max_size=20))
def test_any_duration_parses_or_is_a_usage_error(text: str) -> None:
    try:
        delta = parse_duration(text)
    except UsageError:
        return
    assert delta.total_seconds() >= 0


@pytest.mark.parametrize("text", ["30m\nx", "1h\n30m", "٣٠", "٣٠m", "1h\x00", "10**9d"])
def test_odd_durations_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)
