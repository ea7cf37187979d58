"""An install from a release tag's git URL (the README's `pipx install "git+https://github.com/
OWNER/NAME@vX.Y.Z"`) pins that release from the installer's PEP 610 record, `direct_url.json`;
anything else stays a development install, and `init-workflows` refuses there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sso_sync.release import MAX_DIRECT_URL_BYTES, Release, from_direct_url
from tests.support.release import tagged_copy

ROOT = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
CLI = [sys.executable, "-c", "from sso_sync.cli import main; main()"]


def record(
    url: str = "https://github.com/sso-sync/sso-sync",
    vcs: str = "git",
    commit: object = COMMIT,
    revision: object = "v0.2.0",
) -> dict[str, object]:
    return {
        "url": url,
        "vcs_info": {"vcs": vcs, "commit_id": commit, "requested_revision": revision},
    }


def as_bytes(data: object) -> bytes:
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("url", "revision"),
    [
        ("https://github.com/sso-sync/sso-sync", "v0.2.0"),
        ("https://github.com/sso-sync/sso-sync.git", "v0.2.0"),
        ("https://github.com/my-org/sso-sync", "v1.2.3-rc.1"),
    ],
)
def test_a_release_tag_from_github_is_a_release(url: str, revision: str) -> None:
    owner_name = url.removeprefix("https://github.com/").removesuffix(".git")
    assert from_direct_url(as_bytes(record(url=url, revision=revision))) == Release(
        owner_name, COMMIT, revision
    )


@pytest.mark.parametrize(
    ("subdirectory", "action"),
    [
        ("tools/sso-sync", f"my-org/mono/tools/sso-sync@{COMMIT}"),
        ("tools/sso-sync/", f"my-org/mono/tools/sso-sync@{COMMIT}"),
        ("", f"my-org/mono@{COMMIT}"),
        ("../other", None),
        ("a/../../b", None),
        ("a b", None),
        ("/abs", None),
    ],
)
def test_an_install_from_a_subdirectory_pins_the_action_there(
    subdirectory: str, action: str | None
) -> None:
    """PEP 610's `subdirectory`: the package, and its action.yml, are there, and `uses:` names
    such an action as OWNER/NAME/PATH@REF; a path `uses:` cannot name pins nothing."""
    data = {**record(url="https://github.com/my-org/mono"), "subdirectory": subdirectory}
    release = from_direct_url(as_bytes(data))
    assert (release.action if release else None) == action


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(as_bytes(record(revision="main")), id="branch"),
        pytest.param(as_bytes(record(revision=COMMIT)), id="commit-not-tag"),
        pytest.param(as_bytes(record(revision=None)), id="no-revision"),
        pytest.param(as_bytes(record(revision="v0.2.0\n")), id="tag-newline"),
        pytest.param(as_bytes(record(revision="v1.2.3-foo")), id="not-pep440-tag"),
        pytest.param(as_bytes(record(url="https://gitlab.com/sso-sync/sso-sync")), id="host"),
        pytest.param(as_bytes(record(url="https://github.com.evil/sso-sync/x")), id="host2"),
        pytest.param(as_bytes(record(url="http://github.com/sso-sync/sso-sync")), id="http"),
        pytest.param(as_bytes(record(url="file:///tmp/sso-sync")), id="file"),
        pytest.param(as_bytes(record(url="https://github.com:8443/a/b")), id="port"),
        pytest.param(as_bytes(record(url="https://u:p@github.com/a/b")), id="userinfo"),
        pytest.param(as_bytes(record(url="https://github.com/a/b/c")), id="subpath"),
        pytest.param(as_bytes(record(url="https://github.com/a/b?x=1")), id="query"),
        pytest.param(as_bytes(record(url="https://github.com/a/..")), id="dots"),
        pytest.param(as_bytes(record(vcs="hg")), id="not-git"),
        pytest.param(as_bytes(record(commit=COMMIT.upper())), id="uppercase-commit"),
        pytest.param(as_bytes(record(commit=COMMIT[:12])), id="short-commit"),
        pytest.param(as_bytes(record(commit=COMMIT + "\n")), id="commit-newline"),
        pytest.param(as_bytes(record(commit=7)), id="commit-not-string"),
        pytest.param(
            as_bytes({"url": "file:///home/me/sso-sync", "dir_info": {"editable": True}}),
            id="editable",
        ),
        pytest.param(as_bytes({"url": "https://github.com/a/b", "archive_info": {}}), id="archive"),
        pytest.param(b"not json", id="non-json"),
        pytest.param(b"\xff\xfe", id="non-utf8"),
        pytest.param(b"[1, 2]", id="not-object"),
        pytest.param(b"[" * 100_000, id="deep"),
        pytest.param(as_bytes(record())[:-1] + b" " * MAX_DIRECT_URL_BYTES + b"}", id="oversize"),
    ],
)
def test_anything_else_is_a_development_install(raw: bytes) -> None:
    assert from_direct_url(raw) is None


# Through the CLI, on disk: the package and a .dist-info laid out as pip --target lays them out,
# so importlib.metadata finds the record the way it does in a real install.


def fake_install(site: Path, direct_url: bytes | None) -> Path:
    shutil.copytree(
        ROOT / "src" / "sso_sync",
        site / "sso_sync",
        ignore=shutil.ignore_patterns("__pycache__", "_release.json"),
    )
    info = site / "sso_sync-0.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sso-sync\nVersion: 0.2.0\n")
    if direct_url is not None:
        (info / "direct_url.json").write_bytes(direct_url)
    return info


def init_workflows(
    tmp_path: Path, pythonpath: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    user_repo = tmp_path / "user-repo"
    (user_repo / ".git").mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [*CLI, "init-workflows", "--force"],
        cwd=user_repo,
        env={**os.environ, "PYTHONPATH": pythonpath},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done, user_repo / ".github" / "workflows" / "deploy.yml"


def assert_refused(done: subprocess.CompletedProcess[str], deploy: Path) -> None:
    assert done.returncode == 2, done.stderr
    assert "development install" in done.stderr
    assert "pass --action OWNER/REPO@SHA" in done.stderr and "release install" in done.stderr
    assert "Traceback" not in done.stderr
    assert not deploy.exists()


def test_an_install_from_a_github_release_tag_pins_it(tmp_path: Path) -> None:
    fake_install(tmp_path / "site", as_bytes(record()))
    done, deploy = init_workflows(tmp_path, str(tmp_path / "site"))
    assert done.returncode == 0, done.stderr
    assert f"uses: sso-sync/sso-sync@{COMMIT} # v0.2.0\n" in deploy.read_text()


@pytest.mark.parametrize(
    "direct_url",
    [
        pytest.param(None, id="no-record"),
        pytest.param(as_bytes(record(revision="main")), id="branch"),
        pytest.param(
            as_bytes({"url": "file:///home/me/sso-sync", "dir_info": {"editable": True}}),
            id="editable",
        ),
        pytest.param(as_bytes(record())[:-1] + b" " * MAX_DIRECT_URL_BYTES + b"}", id="oversize"),
    ],
)
def test_other_installs_refuse_without_action(tmp_path: Path, direct_url: bytes | None) -> None:
    fake_install(tmp_path / "site", direct_url)
    assert_refused(*init_workflows(tmp_path, str(tmp_path / "site")))


def test_a_symlinked_or_fifo_record_is_not_read(tmp_path: Path) -> None:
    info = fake_install(tmp_path / "site", None)
    good = tmp_path / "elsewhere.json"
    good.write_bytes(as_bytes(record()))
    (info / "direct_url.json").symlink_to(good)
    assert_refused(*init_workflows(tmp_path, str(tmp_path / "site")))
    (info / "direct_url.json").unlink()
    os.mkfifo(info / "direct_url.json")
    assert_refused(*init_workflows(tmp_path, str(tmp_path / "site")))  # and does not hang


def test_a_checkout_does_not_borrow_the_record_of_a_release_installed_elsewhere(
    tmp_path: Path,
) -> None:
    # The release's metadata is found first, but the code running is the checkout's.
    fake_install(tmp_path / "site", as_bytes(record()))
    shutil.rmtree(tmp_path / "site" / "sso_sync")
    pythonpath = os.pathsep.join([str(tmp_path / "site"), str(ROOT / "src")])
    assert_refused(*init_workflows(tmp_path, pythonpath))


INSTALLERS = {
    # pip and uv (under `pipx install` and `uv tool install`) write the same PEP 610 record.
    "pip": [sys.executable, "-m", "pip", "install", "--quiet"],
    "uv": [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", sys.executable],
}


@pytest.mark.slow
@pytest.mark.parametrize("installer", sorted(INSTALLERS))
def test_a_real_install_from_a_release_tag_records_it_and_pins_it(
    tmp_path: Path, installer: str
) -> None:
    # A throwaway repository holding this tree's tracked files (as they are now), tagged.
    source = tmp_path / "source"
    source.mkdir()
    commit = tagged_copy(source, "v0.2.0")

    # --no-deps --no-build-isolation --no-index: the test environment has what the build needs.
    site = tmp_path / "site"
    installed = subprocess.run(
        [
            *INSTALLERS[installer],
            *("--no-deps", "--no-build-isolation", "--no-index", "--target", str(site)),
            f"git+file://{source}@v0.2.0",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    (info,) = site.glob("sso_sync-*.dist-info")
    assert info.name == "sso_sync-0.2.0.dist-info"
    written = json.loads((info / "direct_url.json").read_text())
    assert written["url"] == f"file://{source}"
    assert written["vcs_info"] == {
        "vcs": "git",
        "commit_id": commit,
        "requested_revision": "v0.2.0",
    }
    assert not (site / "sso_sync" / "_release.json").exists()

    # Installed from a local path: not a published release, so nothing to pin.
    assert_refused(*init_workflows(tmp_path, str(site)))

    # The same install as the README's one line makes it: from github.com.
    written["url"] = "https://github.com/sso-sync/sso-sync"
    (info / "direct_url.json").write_text(json.dumps(written))
    done, deploy = init_workflows(tmp_path, str(site))
    assert done.returncode == 0, done.stderr
    assert f"uses: sso-sync/sso-sync@{commit} # v0.2.0\n" in deploy.read_text()
