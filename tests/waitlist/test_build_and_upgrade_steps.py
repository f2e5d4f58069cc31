"""DEPLOY.md's build commands and its "Upgrading to a new release" steps, run as written
(tests/deploy_document.py) in scratch git clones of this project, with the real `make build`,
`git` and `python -m waitlist`.

- The first build (`SITE_URL=… make build PRODUCTION=1`) and the systemd unit's "deploy a new
  build" line (`make build PRODUCTION=1 && systemctl restart …`, SITE_URL and SMTP_URL taken from
  DEPLOY.md's environment file) run in a clone holding the working tree as it is now.
- The upgrade: an "origin" clone of this repository gets the working tree committed and tagged
  `v2.0.0` (the release the steps name); the server's checkout is a clone of origin made before
  that, at this repository's last commit, with the owner's own `mkdocs.yml`, a release 1.0 SQLite
  database in `var/` and a previous `site/`. The first block (`git fetch --tags`, `git checkout
  v2.0.0`…) runs there; then the second, once with a wrong setting carried into the release's
  `mkdocs.yml` (the build fails: the service stays stopped, nothing is backed up or migrated, the
  previous site stays), once with it fixed (built, backed up, migrated, started).

What stands in: `systemctl` records its calls; `/usr/local/sbin/waitlist` is DEPLOY.md's helper
as written, its `systemd-run` a stand-in that applies the environment file, working directory
and umask but not the user (tests/deploy_document.py, Machine.systemd_run); system paths are
moved into a scratch folder; the make's ENV_FILE is that folder's /etc/rebuilding-trust.env,
given in the environment (the Makefile's default is the real path). `make build` runs with
RT_PDF=0 (no PDFs: minutes; the check then lays none out either, sitebuild/check.py) and
with this repository's venv, linked: "installs the release's requirements.txt into .venv" is
not run (no package index here), the venv is found up to date (deploy_document.linked_venv).
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.deploy_document import (
    SERVICE_HOME,
    Machine,
    block,
    build_environment,
    clone_with_working_tree,
    git,
    install_helper,
    linked_venv,
    overlay_working_tree,
    write_environment_file,
)
from tests.waitlist.conftest import REPO, free_port
from tests.waitlist.helpers import V1_ROWS, V1_SQLITE, contents, create_v1, sqlite_url
from waitlist.backup import read_backup

pytestmark = pytest.mark.build  # scratch copies of the project, built whole (tests/conftest.py)

# The blocks of DEPLOY.md this module runs (tests/test_deploy_document.py reads this).
DEPLOY_MD_BLOCKS = {
    ("Deploying Rebuilding Trust", "make build PRODUCTION=1"): ("test_the_first_build_as_written",),
    ("systemd unit", "systemctl restart rebuilding-trust"): ("test_deploying_a_new_build_as_written",),
    ("systemd unit", "WAITLIST_TRUST_PROXY=on"): ("test_deploying_a_new_build_as_written",
                                                  "test_upgrading_as_written"),
    ("Backups", "exec systemd-run"): ("test_upgrading_as_written",),
    ("Upgrading to a new release", "git fetch --tags"): ("test_upgrading_as_written",),
    ("Upgrading to a new release", "waitlist migrate &&"): ("test_upgrading_as_written",),
}
SECRET = "scratch-secret-0123456789abcdefghij"
OWNER = "Ana Bookshop Ltd"  # the owner's extra.organisation.name
RELEASE_NAME = "    name: The team behind this course\n"  # the release's, in mkdocs.yml
TAG = "v2.0.0"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project as it is now, in a git clone of its own, its venv linked."""
    folder = clone_with_working_tree(tmp_path_factory.mktemp("build") / "project")
    linked_venv(folder)
    return folder


def make_output(result: object) -> str:
    return f"{result.stdout}\n{result.stderr}"  # type: ignore[attr-defined]


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def test_the_first_build_as_written(project: Path, tmp_path: Path) -> None:
    """`SITE_URL=https://course.example.org/ make build PRODUCTION=1`: built for that address."""
    machine = Machine(tmp_path / "machine")
    env = build_environment(PATH=f"{machine.bin}:/usr/bin:/bin", ENV_FILE=str(tmp_path / "no-such.env"))
    result = machine.run(block("Deploying Rebuilding Trust", "make build PRODUCTION=1").text, cwd=project, env=env,
                         timeout=600)
    assert result.returncode == 0, make_output(result)[-4000:]
    assert "building for https://course.example.org/ (SITE_URL from the environment)" in result.stderr
    assert '<link rel="canonical" href="https://course.example.org/">' in page(project / "site", "")


def test_deploying_a_new_build_as_written(project: Path, tmp_path: Path) -> None:
    """`make build PRODUCTION=1 && systemctl restart rebuilding-trust`, with DEPLOY.md's
    environment file where the Makefile looks (ENV_FILE): SITE_URL comes from it, its SMTP_URL
    makes the privacy note describe the confirmation email, and the restart follows."""
    machine = Machine(tmp_path / "machine")
    machine.recorder("systemctl")
    env_file = write_environment_file(machine, free_port(), SECRET)
    env = build_environment(PATH=f"{machine.bin}:/usr/bin:/bin", ENV_FILE=str(env_file))
    result = machine.run(block("systemd unit", "systemctl restart rebuilding-trust").text, cwd=project, env=env,
                         timeout=600)
    assert result.returncode == 0, make_output(result)[-4000:]
    assert f"building for https://course.example.org/ (SITE_URL from {env_file})" in result.stderr, result.stderr
    assert "We send one email with a link." in page(project / "site", "privacy")
    assert machine.calls() == ["systemctl restart rebuilding-trust"]
    assert SECRET not in make_output(result)


# -- upgrading -----------------------------------------------------------------------------------


def tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrading_as_written(tmp_path: Path) -> None:
    machine = Machine(tmp_path / "machine")
    origin = tmp_path / "origin"
    git("clone", "--quiet", "--no-hardlinks", str(REPO), str(origin), cwd=tmp_path)
    home = machine.path(SERVICE_HOME)
    home.parent.mkdir(parents=True)
    git("clone", "--quiet", str(origin), str(home), cwd=tmp_path)  # the server, on the previous release
    if TAG in git("tag", "--list", cwd=home).split():
        git("tag", "--delete", TAG, cwd=home)
    # The release: this project as it is now, committed and tagged in origin.
    overlay_working_tree(origin)
    git("add", "--all", cwd=origin)
    git("commit", "--quiet", "--allow-empty", "--no-verify", "-m", "the release", cwd=origin)
    git("tag", "--force", TAG, cwd=origin)
    release = git("rev-parse", f"{TAG}^{{commit}}", cwd=origin).strip()
    # The server's state: the owner's settings, a 1.0 database, the previous build.
    config = home / "mkdocs.yml"
    assert config.read_text(encoding="utf-8").count(RELEASE_NAME) == 1
    config.write_text(config.read_text(encoding="utf-8").replace(RELEASE_NAME, f'    name: "{OWNER}"\n'),
                      encoding="utf-8")
    (home / "var").mkdir(mode=0o700)
    database = sqlite_url(home / "var" / "waitlist.sqlite3")
    create_v1(database, V1_SQLITE)
    (home / "site").mkdir()
    (home / "site" / "index.html").write_text("the previous build\n", encoding="utf-8")
    backups = machine.path("/var/backups/rebuilding-trust")
    backups.mkdir(parents=True, mode=0o700)
    helper = install_helper(machine)
    env_file = write_environment_file(machine, free_port(), SECRET)
    machine.recorder("systemctl")
    env = build_environment(PATH=f"{machine.bin}:/usr/bin:/bin", ENV_FILE=str(env_file))

    # 1. Get the release, keeping your mkdocs.yml.
    got = machine.run(machine.fill(block("Upgrading to a new release", "git fetch --tags").text), cwd=home, env=env)
    assert got.returncode == 0, make_output(got)
    assert git("rev-parse", "HEAD", cwd=home).strip() == release
    assert config.read_bytes() == (origin / "mkdocs.yml").read_bytes()  # the release's
    assert f'    name: "{OWNER}"\n' in (home / "mkdocs.yml.mine").read_text(encoding="utf-8")  # yours, kept
    assert git("status", "--porcelain", cwd=home).split("\n")[:-1] == ["?? mkdocs.yml.mine"]
    linked_venv(home)

    # 2. Carried over wrongly: the build refuses; nothing else happens, the service stays stopped.
    steps = machine.fill(block("Upgrading to a new release", "waitlist migrate &&").text)
    release_config = config.read_text(encoding="utf-8")
    config.write_text(release_config.replace(RELEASE_NAME, f'    name: "{OWNER}"\n')
                      .replace("    contact: privacy@example.org\n", "    contact: the office\n"), encoding="utf-8")
    failed = machine.run(steps, cwd=home, env=env, timeout=600)
    assert failed.returncode != 0
    assert "extra.organisation.contact: found 'the office'" in failed.stderr, make_output(failed)[-4000:]
    assert machine.calls() == ["systemctl stop rebuilding-trust"]
    assert list(backups.iterdir()) == []
    assert tables(database) == {"waitlist_signups"}  # not migrated
    assert (home / "site" / "index.html").read_text(encoding="utf-8") == "the previous build\n"

    # 3. Fixed, and pasted again: built, backed up, migrated, started.
    config.write_text(release_config.replace(RELEASE_NAME, f'    name: "{OWNER}"\n'), encoding="utf-8")
    done = machine.run(steps, cwd=home, env=env, timeout=600)
    assert done.returncode == 0, make_output(done)[-4000:]
    assert f"building for https://course.example.org/ (SITE_URL from {env_file})" in done.stderr
    run_as_the_unit = (f"systemd-run --quiet --pipe --wait --collect -p User=rebuilding-trust "
                       f"-p Group=rebuilding-trust -p UMask=0077 -p EnvironmentFile={env_file} "
                       f"-p WorkingDirectory={home} {home}/.venv/bin/python -m waitlist")
    [copy] = sorted(backups.iterdir())
    assert machine.calls() == ["systemctl stop rebuilding-trust", "systemctl stop rebuilding-trust",
                               f"{run_as_the_unit} backup --if-exists {copy}", f"{run_as_the_unit} migrate",
                               "systemctl start rebuilding-trust"]
    assert copy.name.startswith("before-upgrade-") and stat.S_IMODE(copy.stat().st_mode) == 0o600
    header, rows = read_backup(copy)  # the 1.0 database as it was, before the migration
    assert header["schema_version"] == 1
    assert [row["email"] for row in rows["waitlist_signups"]] == [row[0] for row in V1_ROWS]
    assert "migrated from version 1 to 3" in done.stdout, done.stdout
    assert {"waitlist_signups", "waitlist_mail_log", "waitlist_tally", "waitlist_rate_limit"} <= tables(database)
    assert [row["email"] for row in contents(database)["waitlist_signups"]] == [row[0] for row in V1_ROWS]
    site = home / "site"
    assert "the previous build" not in page(site, "")
    assert OWNER in page(site, "privacy")
    version = machine.run(f"{helper} --version", cwd=home, env=env)
    assert version.stdout.startswith("waitlist ") and version.returncode == 0, make_output(version)
