"""What `schedule install` writes cannot be turned against the user (issue #23): no value
breaks out of its line, a crontab `%` means `%`, only what install wrote is replaced or deleted,
two installs at once both land, install refuses what `push` would, a failed install leaves
nothing behind, and no GitHub token reaches any file or line written."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from sso_sync.keepfresh.schedule.cron import begin_line
from sso_sync.keepfresh.schedule.job import Job, job_name
from tests.support.schedule import cli, write_sso_profile

REPO = "octo-org/app"
GH_CANARY = "ghp_CANARYscheduleGHTOKEN0000000000000001"
GITHUB_CANARY = "ghs_CANARYscheduleGITHUBTOKEN00000000002"


def _one_line_refusal(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.stdout + result.stderr
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and result.stderr.splitlines()[-1] == errors[0], result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def _job_args(backend: str, token: Path) -> tuple[str, ...]:
    return ("--repo", REPO, "-p", "ci", "--backend", backend, "--github-token-file", str(token))


# --- item 2: a control character in any value -----------------------------------------------

INJECTED = "\n* * * * * touch pwned\n# END sso-sync-x"


@pytest.mark.parametrize("vector", ["--profile", "set name", "--config", "AWS_CONFIG_FILE",
                                    "XDG_STATE_HOME", "--prefix", "tab in --profile"])  # fmt: skip
@pytest.mark.parametrize("backend", ["cron", "systemd", "launchd"])
def test_a_control_character_in_any_job_value_is_refused(
    vector: str, backend: str, schedulers: Path, job_token_file: Path, tmp_path: Path,
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    target = ["--repo", REPO]
    profile = "ci"
    if vector == "--profile":
        profile = "ci" + INJECTED
    elif vector == "tab in --profile":
        profile = "ci\tx"
    elif vector in ("set name", "--config"):
        folder = tmp_path / ("conf" + INJECTED if vector == "--config" else "conf")
        folder.mkdir()
        name = "ci\\n* * * * * touch pwned" if vector == "set name" else "ci"
        (folder / "sso-sync.toml").write_text(
            f'[sets."{name}"]\ntargets = [{{ repo = "{REPO}" }}]\n'
        )
        target = [name.replace("\\n", "\n"), "--config", str(folder / "sso-sync.toml")]
    elif vector in ("AWS_CONFIG_FILE", "XDG_STATE_HOME"):
        place = tmp_path / ("x" + INJECTED)
        monkeypatch.setenv(vector, str(place / "config" if vector == "AWS_CONFIG_FILE" else place))
    elif vector == "--prefix":
        target += ["--prefix", "P" + INJECTED]
    argv = ["schedule", "install", *target, "-p", profile, "--backend", backend,
            "--github-token-file", str(job_token_file)]  # fmt: skip
    for dry_run in ([], ["--dry-run"]):
        result = cli(*argv, *dry_run)
        if vector == "--prefix":  # refused earlier, as a secret name it cannot make
            assert result.exit_code == 2 and "Traceback" not in result.stderr
        else:
            _one_line_refusal(result, "control character")
        assert "touch pwned\n" not in result.stdout
    assert not (isolated_env / ".fake-crontab").exists()
    assert not (isolated_env / ".config" / "systemd").exists()
    assert not (isolated_env / "Library").exists()


def test_the_refusal_names_the_value() -> None:
    exe = "/opt/sso-sync/bin/sso-sync"
    with pytest.raises(Exception, match=r"the value of --profile \('ci\\n\* \* \* \* \* x'\)"):
        Job("sso-sync-x", timedelta(minutes=5), (exe, "push", "--profile", "ci\n* * * * * x"),
            (), Path("/l"))  # fmt: skip
    with pytest.raises(Exception, match=r"AWS_CONFIG_FILE \('/a\\rb'\)"):
        Job("sso-sync-x", timedelta(minutes=5), (exe, "push"), (("AWS_CONFIG_FILE", "/a\rb"),),
            Path("/l"))  # fmt: skip
    with pytest.raises(Exception, match=r"the set name \('a\\u2028b'\)"):
        Job("sso-sync-x", timedelta(minutes=5), (exe, "push", "a\u2028b"), (), Path("/l"))


# --- item 6: cron's `%` -------------------------------------------------------------------------


def cron_command(line: str) -> tuple[str, str | None]:
    """What cron hands /bin/sh for a crontab line's command, and its stdin: vixie cron's
    do_command.c, which ends the command at the first `%` not escaped by a backslash (the rest,
    `%` as newlines, is stdin) and drops the backslash of each `\\%`."""
    command = " ".join(line.split(" ")[5:])
    out, escaped = [], False
    for index, char in enumerate(command):
        if escaped:
            if char == "%":
                out[-1] = "%"
            else:
                out.append(char)
            escaped = False
            continue
        if char == "\\":
            escaped = True
            out.append(char)
            continue
        if char == "%":
            return "".join(out), command[index + 1 :].replace("%", "\n")
        out.append(char)
    return "".join(out), None


@pytest.mark.parametrize("value", ["50%", "a\\%b", "a\\\\%b", "\\%", "%%", "x\\", "%'\"$(id)`"])
def test_a_percent_in_a_cron_line_reaches_the_command_as_itself(value: str) -> None:
    from sso_sync.keepfresh.schedule.cron import block

    script = 'printf "[%s]" "$V" "$1"'  # a `%` and a `$` in the job's own words, too
    job = Job("sso-sync-x", timedelta(minutes=5), ("/bin/sh", "-c", script, "sh", value),
              (("U", "u"), ("V", value)), Path("/l"))  # fmt: skip
    line = block(job).splitlines()[1]
    command, stdin = cron_command(line)
    assert stdin is None, f"cron would cut the command at a %: {line}"
    shown = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                           check=True, env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert shown.stdout == f"[{value}][{value}]"


# --- item 7: only what install wrote is touched ---------------------------------------------


def test_a_users_own_begin_comment_survives_install_and_remove(
    schedulers: Path, job_token_file: Path, isolated_env: Path
) -> None:
    name = job_name(None, ["repo|octo-org|app||actions|"])
    mine = (
        f"# BEGIN {name} my notes about this job\n0 3 * * * /usr/bin/backup\n"
        f"# BEGIN {name}\n1 3 * * * /usr/bin/other\n# END {name}\n"
        "# BEGIN sso-sync-unfinished (written by `sso-sync schedule install`; remove with "
        "`sso-sync schedule remove`)\n2 3 * * * /usr/bin/third\n"
        f"{begin_line('sso-sync-commented')}\n# 4 3 * * * /usr/bin/fourth\n"
        "# END sso-sync-commented\n"
    )
    (isolated_env / ".fake-crontab").write_text(mine)
    args = _job_args("cron", job_token_file)
    assert cli("schedule", "install", *args).exit_code == 0
    installed = (isolated_env / ".fake-crontab").read_text()
    assert installed.startswith(mine) and installed.count("# END") == 3
    assert installed.endswith(f"# END {name}\n")
    after = "5 3 * * * /usr/bin/added-later\n"  # a line of the user's after the block
    (isolated_env / ".fake-crontab").write_text(installed + after)
    assert [j["job"] for j in json_jobs()] == [name]
    assert cli("schedule", "remove", *args).exit_code == 0
    assert (isolated_env / ".fake-crontab").read_text() == mine + after
    assert "nothing to remove" in cli("schedule", "remove", *args).stdout


def json_jobs() -> list[dict[str, object]]:
    listed = cli("schedule", "list", "--backend", "cron", "--json")
    assert listed.exit_code == 0, listed.stderr
    return list(json.loads(listed.stdout)["jobs"])


def test_set_names_that_differ_only_in_punctuation_get_their_own_jobs() -> None:
    names = {job_name(n, []) for n in ("a.b", "a_b", "a b", "a/b", "a-b")}
    assert len(names) == 5
    assert job_name("ci", []) == "sso-sync-ci"  # a plain name keeps its job's name
    digest = hashlib.sha256(b"a.b").hexdigest()[:8]
    assert job_name("a.b", []) == f"sso-sync-a_b-{digest}"
    assert job_name("x" * 60, []) == "sso-sync-" + "x" * 60  # the longest kept as it is
    longer = job_name("x" * 61, [])
    assert longer == "sso-sync-" + "x" * 51 + "-" + hashlib.sha256(b"x" * 61).hexdigest()[:8]
    keys = ["repo|octo-org|app||actions|", "org|octo-org|||actions|"]
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:10]
    assert job_name(None, keys) == job_name(None, keys[::-1]) == f"sso-sync-{digest}"


def test_two_installs_at_once_both_land(
    schedulers: Path, job_token_file: Path, isolated_env: Path
) -> None:
    """Each install reads the crontab, adds its block and writes it back; with a crontab that
    is slow to answer, two at once would each write back a crontab without the other's block."""
    # Each `crontab -l` waits (up to 2 s) for a second one before reading and again after: with
    # no lock, both installs read the crontab before either writes it back; with one, the
    # second install reads only after the first has written.
    barrier = (
        'touch "$HOME/.{0}-$$"; i=0; while [ "$(ls "$HOME"/.{0}-* | wc -l)" -lt 2 ] && '
        "[ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; "
    )
    read = (
        '  -l) BARRIER_A if [ -f "$store" ]; then text="$(cat "$store")"; else text=""; fi; '
        'BARRIER_B [ -n "$text" ] || { echo "no crontab" >&2; exit 1; }; '
        'printf "%s\\n" "$text" ;;\n'
    )
    script = (schedulers / "crontab").read_text().splitlines(keepends=True)
    script = [
        read.replace("BARRIER_A", barrier.format("reading")).replace(
            "BARRIER_B", barrier.format("read")
        )
        if line.startswith("  -l) ")
        else line
        for line in script
    ]
    (schedulers / "crontab").write_text("".join(script))
    exe = str(Path(sys.executable).with_name("sso-sync"))
    runs = [
        subprocess.Popen(
            [
                exe,
                "schedule",
                "install",
                "--repo",
                repo,
                "-p",
                "ci",
                "--backend",
                "cron",
                "--github-token-file",
                str(job_token_file),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for repo in ("octo-org/one", "octo-org/two")
    ]
    for process in runs:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    crontab = (isolated_env / ".fake-crontab").read_text()
    assert crontab.count("# END sso-sync-") == 2, crontab


@pytest.mark.parametrize("backend", ["systemd", "launchd"])
def test_a_file_install_did_not_write_is_neither_replaced_nor_deleted(
    backend: str, schedulers: Path, job_token_file: Path, isolated_env: Path
) -> None:
    args = _job_args(backend, job_token_file)
    planned = cli("schedule", "install", *args, "--dry-run").stdout
    where = Path(planned.split("--- would write ", 1)[1].split(":\n", 1)[0])
    where.parent.mkdir(parents=True)
    where.write_text("the user's own file\n")
    for action in ("install", "remove"):
        _one_line_refusal(cli("schedule", action, *args), str(where), "not written by")
        assert where.read_text() == "the user's own file\n"


# --- item 8: install refuses what push would refuse -----------------------------------------


@pytest.mark.parametrize(
    ("extra", "env", "words"),
    [
        (["--api-url", "https://ghp_inurl@ghe.example.com/api/v3"], {}, ["user name"]),
        (["--api-url", "http://192.0.2.10/api/v3"], {}, ["plain http://"]),
        ([], {"GITHUB_API_URL": "http://192.0.2.10\\@127.0.0.1:9"}, ["GITHUB_API_URL"]),
        ([], {"AWS_ENDPOINT_URL_SSO": "http://192.0.2.10:9"}, ["AWS_ENDPOINT_URL_SSO", "http://"]),
        (["-p", "nope"], {}, ["profile 'nope' not found"]),
    ],
    ids=["user-info", "plain http", "backslash", "aws endpoint", "unknown profile"],
)
def test_install_refuses_what_push_would(
    extra: list[str], env: dict[str, str], words: list[str], schedulers: Path, job_token_file: Path,
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    argv = ["schedule", "install", "--repo", REPO, "-p", "ci", "--backend", "cron",
            "--github-token-file", str(job_token_file), *extra]  # fmt: skip
    result = cli(*argv)
    _one_line_refusal(result, *words)
    assert "ghp_inurl" not in result.stderr
    assert not (isolated_env / ".fake-crontab").exists()


def test_systemd_environment_keeps_a_dollar_single(
    schedulers: Path, job_token_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd.exec(5): Environment= expands no variables ("$" has no special meaning), so a
    doubled `$` would reach the job doubled; ExecStart= does expand, so there it is doubled."""
    config = tmp_path / "a$b" / "config"
    write_sso_profile(config)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    args = ("--repo", REPO, "-p", "ci", "--backend", "systemd", "--github-token-file")
    plan = cli("schedule", "install", *args, str(job_token_file), "--dry-run").stdout
    assert f'Environment="AWS_CONFIG_FILE={config}"' in plan


# --- bug 2: a failed install leaves nothing ---------------------------------------------------


@pytest.mark.parametrize("backend", ["systemd", "launchd"])
def test_a_failed_install_leaves_no_file_and_says_what_to_do(
    backend: str, schedulers: Path, job_token_file: Path, isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("FAKE_SYSTEMCTL_RC", "1")
    (schedulers / "launchctl").write_text('#!/bin/sh\necho "Bootstrap failed: 5" >&2\nexit 5\n')
    args = ("--repo", REPO, "-p", "ci", "--backend", backend, "--github-token-file")
    result = cli("schedule", "install", *args, str(job_token_file))
    assert result.exit_code == 1
    assert "nothing was installed" in result.stderr and "--backend cron" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for place in (isolated_env / ".config" / "systemd" / "user", isolated_env / "Library"):
        assert not place.exists() or not any(p.is_file() for p in place.rglob("*")), place
