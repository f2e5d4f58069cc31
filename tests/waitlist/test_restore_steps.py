"""DEPLOY.md's commands for backups, restores and exports, run exactly as they are written
there: each block is read from DEPLOY.md (tests/deploy_document.py; this module declares them
in DEPLOY_MD_BLOCKS, which tests/test_deploy_document.py checks) and run by ``/bin/sh`` with only
the machine's paths filled in: the helper ``/usr/local/sbin/waitlist`` becomes
``python -m waitlist`` with this test's DATABASE_URL, ``/var/backups/rebuilding-trust`` a
scratch folder, and ``systemctl`` a stand-in that records what it was asked. The doc and these
tests cannot drift apart: change the steps and these tests run the new ones.

The restore steps must work on a database that still holds rows, on an emptied one and on a
new one, on SQLite and on PostgreSQL, and must leave the database as it was (and start the
service again) when the backup is damaged."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, insert

from tests.deploy_document import block
from tests.waitlist.conftest import ADMIN_TOKEN, Service, service_env, signup_json
from tests.waitlist.helpers import DAY_ONE, _fresh_database, cli, contents, fill, sqlite_url
from waitlist.backup import read_backup
from waitlist.store import Store, metadata, signups, tally

REPO = Path(__file__).resolve().parents[2]
DEPLOY_MD = REPO / "DEPLOY.md"
HELPER = "/usr/local/sbin/waitlist"
BACKUP_DIR = "/var/backups/rebuilding-trust"
DOCUMENTED_BACKUP = "waitlist-2026-03-01.jsonl"  # the name the restore steps restore
# The blocks of DEPLOY.md this module runs: (section, a string only that block holds) → tests.
DEPLOY_MD_BLOCKS = {
    ("Backups", "restore --replace"): ("test_the_steps_restore_replace_and_keep_the_state_before",
                                       "test_the_documented_restore_steps_work_as_written",
                                       "test_a_damaged_backup_changes_nothing_and_the_service_starts_again",
                                       "test_a_failed_copy_of_the_current_state_stops_before_the_restore"),
    ("Backups", "waitlist export /var/backups/"): ("test_the_documented_export_command_writes_a_file_only_the_owner_can_read",),
    ("Backups", "/api/waitlist/export"): ("test_the_documented_curl_export_writes_a_0600_file",),
}


def restore_steps() -> str:
    return block("Backups", "restore --replace").text


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    """The paths the steps use: the backups folder, the helper, a ``systemctl`` stand-in."""
    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    helper = tmp_path / "waitlist-helper"
    helper.write_text(f'#!/bin/sh\nexec {sys.executable} -m waitlist "$@"\n')
    helper.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "systemctl.log"
    systemctl = bin_dir / "systemctl"
    systemctl.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    systemctl.chmod(0o755)
    return {"backups": backups, "helper": helper, "bin": bin_dir, "calls": calls}


def run_documented(script: str, machine: dict[str, Path], database_url: str,
                   **env: str) -> subprocess.CompletedProcess[str]:
    """``script`` as DEPLOY.md has it, with this machine's paths, under a lax umask (022)."""
    filled = (script.replace(HELPER, str(machine["helper"]))
              .replace(BACKUP_DIR, str(machine["backups"])))
    environment = service_env(DATABASE_URL=database_url, **env)
    environment["PATH"] = f"{machine['bin']}:{environment.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run(["/bin/sh", "-c", f"umask 022\n{filled}"], cwd=machine["backups"].parent,
                          env=environment, capture_output=True, text=True, timeout=120)


def calls(machine: dict[str, Path]) -> list[str]:
    return machine["calls"].read_text().splitlines() if machine["calls"].exists() else []


OLD_SIGNUP = {"id": 40, "email": "old@example.com", "consent_at": DAY_ONE, "source": "landing",
              "created_at": DAY_ONE, "confirmed_at": None}


def prepare(state: str, url: str) -> None:
    """The database to restore into: ``rows`` (other rows than the backup's), ``emptied``
    (every table there, no row) or ``fresh`` (nothing: no SQLite file, no table)."""
    if state == "fresh":
        return
    store = Store.from_url(url)
    store.create_schema()
    if state == "rows":
        with store.engine.begin() as connection:
            connection.execute(insert(signups), [OLD_SIGNUP])
            connection.execute(insert(tally), [{"day": "2026-04-01", "event": "removed",
                                                "count": 1}])
    store.dispose()


def the_backup(machine: dict[str, Path]) -> dict[str, list[dict[str, object]]]:
    """Make the backup the steps restore (from a SQLite database with every table filled);
    what it holds."""
    source = sqlite_url(machine["backups"].parent / "source.sqlite3")
    fill(source)
    made = cli("backup", str(machine["backups"] / DOCUMENTED_BACKUP), cwd=machine["backups"].parent,
               database_url=source)
    assert made.returncode == 0, made.stderr
    return contents(source)


def target_url(kind: str, tmp_path: Path, postgres_url: str, name: str) -> str:
    if kind == "sqlite":
        return sqlite_url(tmp_path / "var" / "waitlist.sqlite3")
    return _fresh_database(postgres_url, name)


def test_the_steps_restore_replace_and_keep_the_state_before() -> None:
    """What the steps say, before they are run: the service stopped, a copy of the current
    state, a restore that replaces, the service started; each step only after the previous one
    succeeded, the start in any case."""
    steps = [line for line in restore_steps().splitlines() if line.strip()]
    assert steps[0] == "systemctl stop rebuilding-trust &&"
    assert steps[1].startswith(f"{HELPER} backup --if-exists {BACKUP_DIR}/before-restore-")
    assert steps[1].endswith(" &&")
    assert steps[2] == f"{HELPER} restore --replace {BACKUP_DIR}/{DOCUMENTED_BACKUP}"
    assert steps[3] == "systemctl start rebuilding-trust"


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("state", ["rows", "emptied", "fresh"])
def test_the_documented_restore_steps_work_as_written(
    tmp_path: Path, machine: dict[str, Path], kind: str, state: str,
    request: pytest.FixtureRequest,
) -> None:
    postgres = request.getfixturevalue("postgres_url") if kind == "postgresql" else ""
    url = target_url(kind, tmp_path, postgres, f"steps_{state}")
    expected = the_backup(machine)
    prepare(state, url)
    before = contents(url) if state != "fresh" else None
    result = run_documented(restore_steps(), machine, url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls(machine) == ["stop rebuilding-trust", "start rebuilding-trust"]
    assert contents(url) == expected
    assert "restored 2 rows of waitlist_mail_log" in result.stdout
    kept = sorted(machine["backups"].glob("before-restore-*.jsonl"))
    if state == "fresh":
        assert kept == []
        assert "nothing to back up: " in result.stdout
        assert "has no table waitlist_signups" in result.stdout or "does not exist" in result.stdout
    else:
        [copy] = kept
        assert re.fullmatch(r"before-restore-\d{8}T\d{6}Z\.jsonl", copy.name), copy.name
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        header, rows = read_backup(copy)
        assert before is not None
        assert rows["waitlist_signups"] == before["waitlist_signups"]
        assert rows["waitlist_tally"] == before["waitlist_tally"]
    if kind == "sqlite" and state == "fresh":  # made by restore, under the shell's umask 022
        assert stat.S_IMODE((tmp_path / "var" / "waitlist.sqlite3").stat().st_mode) == 0o600


def damage(path: Path, how: str) -> str:
    """Change the backup at ``path``; the line ``restore`` must name."""
    lines = path.read_bytes().split(b"\n")
    if how == "changed letter":
        [number] = [i for i, line in enumerate(lines, 1) if b'"ana@example.com"' in line]
        lines[number - 1] = lines[number - 1].replace(b'"ana@example.com"', b'"anb@example.com"')
        path.write_bytes(b"\n".join(lines))
        return f"line {number}: does not match its checksum"
    data = path.read_bytes()
    cut = data.index(b'"o\'brien')  # in the middle of a row
    path.write_bytes(data[:cut])
    number = data[:cut].count(b"\n") + 1
    return f"incomplete: the file ends in the middle of line {number}"


@pytest.mark.parametrize("how", ["changed letter", "cut off"])
def test_a_damaged_backup_changes_nothing_and_the_service_starts_again(
    tmp_path: Path, machine: dict[str, Path], kind: str, how: str,
    request: pytest.FixtureRequest,
) -> None:
    postgres = request.getfixturevalue("postgres_url") if kind == "postgresql" else ""
    url = target_url(kind, tmp_path, postgres, "damaged")
    the_backup(machine)
    expected_error = damage(machine["backups"] / DOCUMENTED_BACKUP, how)
    prepare("rows", url)
    before = contents(url)
    result = run_documented(restore_steps(), machine, url)
    assert result.returncode == 0  # the last line, the start, succeeded
    assert calls(machine) == ["stop rebuilding-trust", "start rebuilding-trust"]
    assert f"waitlist: {machine['backups'] / DOCUMENTED_BACKUP}: {expected_error}" in result.stderr
    assert "restored" not in result.stdout
    assert contents(url) == before


def test_a_failed_copy_of_the_current_state_stops_before_the_restore(
    tmp_path: Path, machine: dict[str, Path]
) -> None:
    """`&&`: when the copy of today's state cannot be written, nothing is restored."""
    url = sqlite_url(tmp_path / "var" / "waitlist.sqlite3")
    the_backup(machine)
    prepare("rows", url)
    before = contents(url)
    script = restore_steps().replace(f"{BACKUP_DIR}/before-restore-", f"{BACKUP_DIR}/missing/x-")
    result = run_documented(script, machine, url)
    assert "missing does not exist" in result.stderr
    assert calls(machine) == ["stop rebuilding-trust", "start rebuilding-trust"]
    assert contents(url) == before


def test_if_exists_is_for_the_restore_steps_only(tmp_path: Path) -> None:
    """The daily backup has no `--if-exists`: it still fails loudly (test_backup.py); with it,
    a missing database is "nothing to back up", status 0, and nothing is created."""
    [cron] = [line for line in DEPLOY_MD.read_text(encoding="utf-8").splitlines()
              if line.startswith("17 3 * * * root ")]
    assert " backup " in cron and "--if-exists" not in cron
    empty = cli("backup", "--if-exists", "x.jsonl", cwd=tmp_path,
                database_url=sqlite_url(tmp_path / "none.sqlite3"))
    assert empty.returncode == 0 and empty.stdout.startswith("nothing to back up: ")
    assert list(tmp_path.iterdir()) == []  # no database made, no file written


# -- the exports -----------------------------------------------------------------------------


def emptied_then(url: str, *emails: str) -> None:
    store = Store.from_url(url)
    store.create_schema()
    with store.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
        for number, email in enumerate(emails, 1):
            connection.execute(insert(signups).values(id=number, email=email, consent_at=DAY_ONE,
                                                      created_at=DAY_ONE, source="landing"))
    store.dispose()


def test_the_documented_export_command_writes_a_file_only_the_owner_can_read(
    tmp_path: Path, machine: dict[str, Path]
) -> None:
    """"Other copies": `export PATH`, under a shell umask of 022, gives a 0600 file."""
    [line] = [line for line in block("Backups", "waitlist export /var/backups/").text.splitlines() if line.strip()]
    assert line.startswith(f"{HELPER} export {BACKUP_DIR}/")
    url = sqlite_url(tmp_path / "var" / "waitlist.sqlite3")
    emptied_then(url, "reader@example.org")
    result = run_documented(line, machine, url)
    assert result.returncode == 0, result.stderr
    written = machine["backups"] / line.rsplit("/", 1)[1]
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert written.read_bytes().startswith(b"email,consent_at,source,created_at,confirmed_at\r\n")
    assert "reader@example.org" in written.read_text()
    assert not list(machine["backups"].glob("*.partial"))


def test_the_documented_compose_export_writes_a_0600_file(
    tmp_path: Path, machine: dict[str, Path]
) -> None:
    """"Containers": the host's shell creates the file; the brackets' `umask 077` makes it
    0600. (No Docker here: `docker compose exec -T waitlist python` is run as this Python.)"""
    text = DEPLOY_MD.read_text(encoding="utf-8")
    [line] = [line for line in text.splitlines() if "waitlist export > waitlist.csv" in line]
    assert "docker compose exec -T waitlist python -m waitlist export" in line
    url = sqlite_url(tmp_path / "var" / "waitlist.sqlite3")
    emptied_then(url, "compose@example.org")
    result = run_documented(line.replace("docker compose exec -T waitlist python", sys.executable),
                            machine, url)
    assert result.returncode == 0, result.stderr
    written = machine["backups"].parent / "waitlist.csv"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert "compose@example.org" in written.read_text()


def test_the_documented_curl_export_writes_a_0600_file(
    tmp_path: Path, machine: dict[str, Path], start: Callable[..., Service]
) -> None:
    """"Other copies", over HTTP: the admin token, and a file only its owner can read."""
    text = block("Backups", "/api/waitlist/export").text
    assert "curl" in text and "umask 077" in text
    running = start(WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN, WAITLIST_RATE_LIMIT="0")
    with running.client() as client:
        assert signup_json(client, "http@example.org").status_code == 200
    script = text.replace("https://course.example.org", running.base_url)
    result = run_documented(script, machine, running.env["DATABASE_URL"],
                            WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN)
    assert result.returncode == 0, result.stderr
    written = machine["backups"].parent / "waitlist.csv"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert "http@example.org" in written.read_text()
