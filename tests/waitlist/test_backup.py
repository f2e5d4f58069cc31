"""``python -m waitlist backup PATH`` and ``restore PATH``: round trips on SQLite and PostgreSQL,
reading commands that fail loudly on a missing database, and files only the owner can read."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select, text

from tests.waitlist.conftest import service_env
from tests.waitlist.test_postgres import postgres_url  # noqa: F401  (the fixture)
from waitlist.store import Store, mail_log, metadata, signups, tally

DAY_ONE = datetime(2026, 3, 1, 23, 59, 58, 123456, tzinfo=UTC)
# Case variants, a unicode local part, an IDN domain in punycode, a quote: each kept as it is.
SIGNUPS = [
    {"id": 1, "email": "Ana@Example.com", "consent_at": DAY_ONE, "source": "landing",
     "created_at": DAY_ONE, "confirmed_at": DAY_ONE + timedelta(minutes=3)},
    {"id": 2, "email": "ana@example.com", "consent_at": DAY_ONE + timedelta(days=2),
     "source": None, "created_at": DAY_ONE + timedelta(days=2), "confirmed_at": None},
    {"id": 3, "email": "jürgen@xn--bcher-kva.example", "consent_at": DAY_ONE - timedelta(days=30),
     "source": "intro\"page", "created_at": DAY_ONE - timedelta(days=30), "confirmed_at": None},
    {"id": 7, "email": "o'brien+tag@example.org", "consent_at": DAY_ONE + timedelta(seconds=2),
     "source": "landing", "created_at": DAY_ONE + timedelta(seconds=2),
     "confirmed_at": DAY_ONE + timedelta(days=9)},
]
MAIL_LOG = [{"mailbox": "*", "window_start": 1_772_400_000, "sent": 3, "last_sent": 1_772_400_500},
            {"mailbox": "a" * 64, "window_start": 1_772_400_100, "sent": 1,
             "last_sent": 1_772_400_100}]
TALLY = [{"day": "2026-02-28", "event": "removed", "count": 2},
         {"day": "2026-03-01", "event": "purged", "count": 5}]


def cli(*args: str, cwd: Path, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = service_env() if database_url is None else service_env(DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "waitlist", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def fill(database_url: str) -> None:
    """A database as the service leaves it, with rows in every table that holds any."""
    store = Store.from_url(database_url)
    store.create_schema()
    with store.engine.begin() as connection:
        connection.execute(insert(signups), SIGNUPS)
        connection.execute(insert(mail_log), MAIL_LOG)
        connection.execute(insert(tally), TALLY)
    store.dispose()


def contents(database_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, typed by the store, in primary-key order."""
    store = Store.from_url(database_url)
    with store.engine.connect() as connection:
        found = {table.name: [dict(row._mapping) for row in connection.execute(
            select(table).order_by(*table.primary_key.columns))]
            for table in metadata.sorted_tables}
    store.dispose()
    return found


def by_date(database_url: str) -> list[str]:
    """The addresses ordered by creation time, as the database itself sorts them."""
    store = Store.from_url(database_url)
    with store.engine.connect() as connection:
        emails = connection.execute(select(signups.c.email).order_by(signups.c.created_at)).scalars()
        result = list(emails)
    store.dispose()
    return result


def clear(database_url: str) -> None:
    store = Store.from_url(database_url)
    metadata.drop_all(store.engine)
    store.dispose()


def check_round_trip(source_url: str, target_url: str, tmp_path: Path) -> None:
    fill(source_url)
    before = contents(source_url)
    backup_file = tmp_path / "backups" / "waitlist.jsonl"
    backup_file.parent.mkdir()
    made = cli("backup", str(backup_file), cwd=tmp_path, database_url=source_url)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    restored = cli("restore", str(backup_file), cwd=tmp_path, database_url=target_url)
    assert restored.returncode == 0, restored.stderr
    after = contents(target_url)
    assert after == before
    assert [row["email"] for row in after["waitlist_signups"]] == [row["email"] for row in SIGNUPS]
    assert all(row["created_at"] == expected["created_at"] and row["created_at"].tzinfo is not None
               for row, expected in zip(after["waitlist_signups"], SIGNUPS, strict=True))
    # Timestamps stay timestamps: the database orders them by time, not as text.
    assert by_date(target_url) == [row["email"] for row in
                                   sorted(SIGNUPS, key=lambda row: row["created_at"])]
    # A new sign-up after the restore gets a new id (PostgreSQL: the sequence moved on).
    store = Store.from_url(target_url)
    with store.engine.begin() as connection:
        new_id = connection.execute(insert(signups).values(
            email="new@example.com", consent_at=DAY_ONE, created_at=DAY_ONE
        ).returning(signups.c.id)).scalar_one()
    store.dispose()
    assert new_id > max(row["id"] for row in SIGNUPS)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_round_trip_on_sqlite(tmp_path: Path) -> None:
    """Every column of every table comes back equal into a new SQLite database."""
    check_round_trip(sqlite_url(tmp_path / "a.sqlite3"), sqlite_url(tmp_path / "b.sqlite3"), tmp_path)


def test_round_trip_on_postgresql(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    """The same on PostgreSQL, backed up and restored into the same (emptied) database."""
    clear(postgres_url)
    fill(postgres_url)
    backup_file = tmp_path / "pg.jsonl"
    before = contents(postgres_url)
    assert cli("backup", str(backup_file), cwd=tmp_path, database_url=postgres_url).returncode == 0
    clear(postgres_url)
    restored = cli("restore", str(backup_file), cwd=tmp_path, database_url=postgres_url)
    assert restored.returncode == 0, restored.stderr
    assert contents(postgres_url) == before
    assert by_date(postgres_url) == [row["email"] for row in
                                     sorted(SIGNUPS, key=lambda row: row["created_at"])]
    clear(postgres_url)


def test_sqlite_to_postgresql_and_back(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    """A SQLite backup restores into PostgreSQL, and PostgreSQL's into SQLite."""
    clear(postgres_url)
    check_round_trip(sqlite_url(tmp_path / "a.sqlite3"), postgres_url, tmp_path)
    back = tmp_path / "back"
    back.mkdir()
    clear_target = sqlite_url(back / "c.sqlite3")
    made = cli("backup", str(back / "pg.jsonl"), cwd=back, database_url=postgres_url)
    assert made.returncode == 0, made.stderr
    restored = cli("restore", str(back / "pg.jsonl"), cwd=back, database_url=clear_target)
    assert restored.returncode == 0, restored.stderr
    assert contents(clear_target) == contents(postgres_url)
    clear(postgres_url)


def test_restore_refuses_a_database_with_rows_unless_replace(tmp_path: Path) -> None:
    """Nothing is overwritten without --replace; with it the backup's rows are all there is."""
    source, target = sqlite_url(tmp_path / "a.sqlite3"), sqlite_url(tmp_path / "b.sqlite3")
    fill(source)
    assert cli("backup", "b.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    store = Store.from_url(target)
    store.create_schema()
    with store.engine.begin() as connection:
        connection.execute(insert(signups).values(email="kept@example.com", consent_at=DAY_ONE,
                                                  created_at=DAY_ONE))
    store.dispose()
    refused = cli("restore", "b.jsonl", cwd=tmp_path, database_url=target)
    assert refused.returncode == 1
    assert "holds rows (1 in waitlist_signups)" in refused.stderr and "--replace" in refused.stderr
    assert [row["email"] for row in contents(target)["waitlist_signups"]] == ["kept@example.com"]
    replaced = cli("restore", "--replace", "b.jsonl", cwd=tmp_path, database_url=target)
    assert replaced.returncode == 0, replaced.stderr
    assert contents(target) == contents(source)


def test_restore_refuses_a_truncated_backup(tmp_path: Path) -> None:
    """A backup cut short (no end line) restores nothing."""
    source = sqlite_url(tmp_path / "a.sqlite3")
    fill(source)
    assert cli("backup", "b.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    lines = (tmp_path / "b.jsonl").read_text().splitlines(keepends=True)
    assert json.loads(lines[0])["tables"]["waitlist_signups"][2] == {
        "name": "consent_at", "type": "timestamp", "nullable": False}
    (tmp_path / "cut.jsonl").write_text("".join(lines[:-1]))
    target = tmp_path / "b.sqlite3"
    result = cli("restore", "cut.jsonl", cwd=tmp_path, database_url=sqlite_url(target))
    assert result.returncode == 1
    assert "incomplete" in result.stderr


@pytest.mark.parametrize("command", [["export"], ["stats"], ["backup", "out.jsonl"]])
def test_reading_commands_without_a_database_fail_and_create_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    """From cron in the wrong directory: status 1, one line naming the file, no file made."""
    result = cli(*command, cwd=tmp_path, database_url=None)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == ("waitlist: DATABASE_URL is not set and var/waitlist.sqlite3 does not "
                             "exist (run from the service's directory, or set DATABASE_URL)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["export"], ["stats"], ["backup", "out.jsonl"]])
def test_reading_commands_on_a_database_without_the_table_fail(
    tmp_path: Path, command: list[str]
) -> None:
    """A database file that is not the service's (no sign-ups table): status 1, no table made."""
    database = tmp_path / "other.sqlite3"
    engine = create_engine(sqlite_url(database))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE unrelated (x INTEGER)"))
    engine.dispose()
    result = cli(*command, cwd=tmp_path, database_url=sqlite_url(database))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "has no table waitlist_signups" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()
    engine = create_engine(sqlite_url(database))
    with engine.connect() as connection:
        tables = connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        assert list(tables.scalars()) == ["unrelated"]
    engine.dispose()


def test_files_are_created_0600(tmp_path: Path) -> None:
    """Under a lax umask, the database, its -wal and -shm and a backup are the owner's alone."""
    database = tmp_path / "var" / "waitlist.sqlite3"
    script = ("import os, sys; os.umask(0o022); from waitlist.__main__ import main; "
              "sys.exit(main(sys.argv[1:]))")
    env = service_env(DATABASE_URL=sqlite_url(database))
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-c", script, *args], env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )
    fill(sqlite_url(tmp_path / "source.sqlite3"))
    assert cli("backup", "source.jsonl", cwd=tmp_path,
               database_url=sqlite_url(tmp_path / "source.sqlite3")).returncode == 0
    restored = run("restore", "source.jsonl")  # creates var/ and the database
    assert restored.returncode == 0, restored.stderr
    made = run("backup", "copy.jsonl")
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    for path in (database, tmp_path / "copy.jsonl", tmp_path / "source.jsonl"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # -wal and -shm exist while a connection is open; SQLite gives them the database's mode.
    store = Store.from_url(sqlite_url(database))
    with store.engine.connect() as connection:
        connection.execute(select(signups.c.id)).all()
        for suffix in ("-wal", "-shm"):
            sidecar = Path(f"{database}{suffix}")
            assert sidecar.exists() and stat.S_IMODE(sidecar.stat().st_mode) == 0o600, sidecar
    store.dispose()


def cron_command(backup_dir: Path, helper: Path) -> str:
    """DEPLOY.md's cron line, as cron runs it (``\\%`` is ``%``), with the paths of this test."""
    deploy = (Path(__file__).resolve().parents[2] / "DEPLOY.md").read_text(encoding="utf-8")
    [line] = [line for line in deploy.splitlines() if line.startswith("17 3 * * * root ")]
    command = line.removeprefix("17 3 * * * root ").replace("\\%", "%")
    return (command.replace("/usr/local/sbin/waitlist", str(helper))
            .replace("/var/backups/rebuilding-trust", str(backup_dir)))


@pytest.mark.parametrize("database_exists", [True, False])
def test_the_documented_cron_line_fails_loudly(tmp_path: Path, database_exists: bool) -> None:
    """Success: silent (no mail), a 0600 file, old backups pruned. Failure: a non-zero status,
    the reason on stderr (cron mails it), and the old backups kept."""
    database = tmp_path / "var" / "waitlist.sqlite3"
    if database_exists:
        database.parent.mkdir()
        fill(sqlite_url(database))
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "waitlist-2000-01-01.jsonl"
    old.write_text("old")
    os.utime(old, (0, 0))
    helper = tmp_path / "waitlist-helper"
    helper.write_text(f'#!/bin/sh\nexec {sys.executable} -m waitlist "$@"\n')
    helper.chmod(0o700)
    result = subprocess.run(["/bin/sh", "-c", cron_command(backups, helper)], cwd=tmp_path,
                            env=service_env(), capture_output=True, text=True, timeout=60)
    made = sorted(path.name for path in backups.iterdir())
    if database_exists:
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        [name] = made
        assert name == f"waitlist-{datetime.now(UTC):%Y-%m-%d}.jsonl"
        assert stat.S_IMODE((backups / name).stat().st_mode) == 0o600
    else:
        assert result.returncode == 1 and result.stdout == ""
        assert "var/waitlist.sqlite3 does not exist" in result.stderr
        assert made == [old.name]


def test_a_version_1_database_backs_up_and_restores_into_this_version(tmp_path: Path) -> None:
    """Before an upgrade (DEPLOY.md): a 1.0 database, the sign-ups table alone, backs up; the
    restore gives the same rows in a database with every table. stats on it fails in one line."""
    from tests.waitlist.test_upgrade import V1_ROWS, V1_SQLITE, create_v1

    old, new = sqlite_url(tmp_path / "v1.sqlite3"), sqlite_url(tmp_path / "new.sqlite3")
    create_v1(old, V1_SQLITE)
    # stats before the service has upgraded it: one line, status 1, still no new table.
    stats_v1 = cli("stats", cwd=tmp_path, database_url=old)
    assert stats_v1.returncode == 1
    assert stats_v1.stderr == "waitlist: stats failed: no such table: waitlist_tally\n"
    made = cli("backup", "v1.jsonl", cwd=tmp_path, database_url=old)
    assert made.returncode == 0, made.stderr
    assert list(json.loads((tmp_path / "v1.jsonl").read_text().splitlines()[0])["tables"]) == [
        "waitlist_signups"]
    assert cli("restore", "v1.jsonl", cwd=tmp_path, database_url=new).returncode == 0
    rows = contents(new)["waitlist_signups"]
    assert [(row["email"], row["created_at"]) for row in rows] == [
        (email, datetime.fromisoformat(created).replace(tzinfo=UTC))
        for email, _consent, _source, created, _confirmed in V1_ROWS]
    stats = cli("stats", "--json", cwd=tmp_path, database_url=new)
    assert json.loads(stats.stdout)["totals"]["confirmed"] == 2
