"""Releases that upgrade: one version (pyproject.toml's, printed by ``--version`` and logged at
start), the schema version kept in the database with the migrations applied in order and once
(``serve`` and ``python -m waitlist migrate``, on SQLite and PostgreSQL, from a 1.0 database with
rows), a database or a backup from a newer schema refused with both versions named, and
backups from an older schema restored by migrating their rows. Real SQLite files and the real
PostgreSQL the tests start (the ``postgres_url`` fixture); nothing is mocked (the one in-process migration 4 below is a
migration written the way a later release would write one)."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib import metadata as distributions
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

import waitlist
from tests.waitlist.conftest import REPO, Service, free_port, service_env
from tests.waitlist.helpers import (
    V1_POSTGRESQL,
    V1_ROWS,
    V1_SQLITE,
    _fresh_database,
    contents,
    create_v1,
    fill,
    sqlite_url,
)
from waitlist import migrations
from waitlist.backup import FORMAT, SUM_DIGITS, BackupError, parse_backup
from waitlist.migrations import MIGRATIONS, Migration, latest, schema_at
from waitlist.store import Store, metadata

RELEASE = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
LATEST = latest()
NEWER = LATEST + 1
MIGRATED_FROM_1 = [
    "migrated from version 1 to 3 (no schema version was recorded: a database of release 1.0, "
    "or of the code between 1.0 and 2.0, is version 1 with what it has since gained):",
    "  2: mail limits and removal counts (confirmation mails, unsubscribe, removal, statistics): "
    "created waitlist_mail_log, waitlist_tally",
    "  3: the sign-up rate limit, shared by every instance: created waitlist_rate_limit",
]
V1_EMAILS = [row[0] for row in V1_ROWS]


def cli(*args: str, cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "waitlist", *args], cwd=cwd, text=True,
                          env=service_env(DATABASE_URL=database_url), capture_output=True,
                          timeout=60)


def query(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def tables_of(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(kind, URL) of a new, empty database: a SQLite file that does not exist yet, or a new
    database on the test's PostgreSQL cluster."""
    if request.param == "sqlite":
        yield "sqlite", sqlite_url(tmp_path / "waitlist.sqlite3")
    else:
        name = re.sub(r"\W", "_", request.node.name.lower())[-50:]
        yield "postgresql", _fresh_database(request.getfixturevalue("postgres_url"), name)


def v1_ddl(kind: str) -> str:
    return V1_SQLITE if kind == "sqlite" else V1_POSTGRESQL


# -- one version -------------------------------------------------------------------------------


def test_the_version_is_pyprojects_and_written_once(tmp_path: Path) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", RELEASE)
    printed = subprocess.run([sys.executable, "-m", "waitlist", "--version"], cwd=tmp_path,
                             env=service_env(), capture_output=True, text=True, timeout=30)
    assert (printed.returncode, printed.stdout, printed.stderr) == (0, f"waitlist {RELEASE}\n", "")
    assert waitlist.__version__ == RELEASE
    # No second literal anywhere in the package, and the changelog has the release.
    for source in (REPO / "waitlist").glob("*.py"):
        assert RELEASE not in source.read_text(encoding="utf-8"), source
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(RELEASE)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)
    # The container image holds pyproject.toml beside waitlist/, where the version is read.
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY --from=build /src/pyproject.toml /app/pyproject.toml" in dockerfile


def test_without_pyproject_the_version_is_the_installed_distributions(tmp_path: Path) -> None:
    """A copy of the package with no pyproject.toml beside it takes the installed
    distribution's version; not installed either, it says so rather than claim a release."""
    copy = tmp_path / "app"
    copy.mkdir()
    (copy / "waitlist").mkdir()
    (copy / "waitlist" / "__init__.py").write_bytes((REPO / "waitlist" / "__init__.py").read_bytes())
    env = service_env()
    env["PYTHONPATH"] = str(copy)
    printed = subprocess.run([sys.executable, "-c", "import waitlist; print(waitlist.__version__)"],
                             cwd=copy, env=env, capture_output=True, text=True, timeout=30)
    try:
        expected = distributions.version(waitlist.DISTRIBUTION)
    except distributions.PackageNotFoundError:
        expected = "unknown"
    assert printed.stdout == f"{expected}\n", printed.stderr


# -- the migrations and what they make ----------------------------------------------------------


def test_the_latest_schema_is_the_stores_table_for_table() -> None:
    """Frozen in migrations.py, the latest version's tables compile to the same CREATE TABLE
    as store.py's, on both databases."""
    frozen = schema_at(LATEST)
    assert set(frozen) == set(metadata.tables)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        for name, table in frozen.items():
            assert str(CreateTable(table).compile(dialect=dialect)) == str(
                CreateTable(metadata.tables[name]).compile(dialect=dialect)), (dialect.name, name)
    assert [migration.version for migration in MIGRATIONS] == list(range(1, LATEST + 1))
    assert list(schema_at(1)) == ["waitlist_signups"]  # release 1.0's schema


def catalog(kind: str, database_url: str) -> list[tuple[Any, ...]]:
    """Everything the database says about the service's tables (not the version table)."""
    if kind == "sqlite":
        return query(database_url, "SELECT type, name, tbl_name, sql FROM sqlite_master "
                                   "WHERE name != 'waitlist_schema' ORDER BY name")
    return query(database_url, """
        SELECT 'column', table_name, column_name, data_type, character_maximum_length,
               is_nullable, column_default, ordinal_position::text
          FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name != 'waitlist_schema'
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid), NULL,
               NULL, NULL, NULL
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'index', tablename, indexname, indexdef, NULL, NULL, NULL, NULL
          FROM pg_indexes WHERE schemaname = 'public' AND tablename != 'waitlist_schema'
        UNION ALL
        SELECT 'sequence', sequencename, data_type::text, NULL, NULL, NULL, NULL, NULL
          FROM pg_sequences WHERE schemaname = 'public'
        ORDER BY 1, 2, 3""")


def test_a_new_database_gets_what_create_all_gave(
    database: tuple[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Byte for byte on SQLite (the CREATE statements), column for column, constraint for
    constraint on PostgreSQL: the migrations make what metadata.create_all made before them,
    plus the version table."""
    kind, url = database
    if kind == "sqlite":
        reference = sqlite_url(tmp_path / "create_all.sqlite3")
    else:
        reference = _fresh_database(request.getfixturevalue("postgres_url"), "create_all")
    engine = create_engine(reference)
    metadata.create_all(engine)
    engine.dispose()
    made = cli("migrate", cwd=tmp_path, database_url=url)
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines() == [
        "migrated from version 0 to 3:",
        "  1: the sign-ups (release 1.0): created waitlist_signups",
        "  2: mail limits and removal counts (confirmation mails, unsubscribe, removal, "
        "statistics): created waitlist_mail_log, waitlist_tally",
        "  3: the sign-up rate limit, shared by every instance: created waitlist_rate_limit",
    ]
    made_schema = catalog(kind, url)
    assert made_schema == catalog(kind, reference)
    assert all(name in str(made_schema) for name in metadata.tables), made_schema
    assert query(url, "SELECT version FROM waitlist_schema") == [(LATEST,)]
    again = cli("migrate", cwd=tmp_path, database_url=url)
    assert (again.returncode, again.stdout) == (0, f"already at version {LATEST}, nothing to do\n")


def test_a_1_0_database_is_migrated_in_order_once_by_migrate(database: tuple[str, str], tmp_path: Path) -> None:
    kind, url = database
    create_v1(url, v1_ddl(kind))
    first = cli("migrate", cwd=tmp_path, database_url=url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == MIGRATED_FROM_1
    assert query(url, "SELECT version FROM waitlist_schema") == [(LATEST,)]
    second = cli("migrate", cwd=tmp_path, database_url=url)
    assert (second.returncode, second.stdout, second.stderr) == (
        0, f"already at version {LATEST}, nothing to do\n", "")
    assert query(url, "SELECT count(*) FROM waitlist_schema") == [(1,)]
    assert [row[0] for row in query(url, "SELECT email FROM waitlist_signups ORDER BY id")] == V1_EMAILS
    if kind == "sqlite":
        [(schema,)] = query(url, "SELECT sql FROM sqlite_master WHERE name = 'waitlist_signups'")
        assert schema == V1_SQLITE  # 1.0's table itself is untouched


def test_the_service_migrates_a_1_0_database_at_start_once(
    database: tuple[str, str], start: Callable[..., Service]
) -> None:
    """The start-up log says what was migrated, in order, and the release; a second start does
    nothing; the rows are kept and the version table says the latest."""
    kind, url = database
    create_v1(url, v1_ddl(kind))
    first = start(DATABASE_URL=url, WAITLIST_RATE_LIMIT="0")
    with first.client() as client:
        assert client.get("/").status_code == 200
    assert first.stop() == 0
    log = first.log()
    logged = [line.removeprefix("INFO waitlist: schema: ") for line in log.splitlines()
              if line.startswith("INFO waitlist: schema: ")]
    assert logged == [line.strip() for line in MIGRATED_FROM_1], log
    assert re.search(rf"^INFO waitlist: waitlist {re.escape(RELEASE)} serving \S+ on port {first.port}$",
                     log, re.M), log
    second = start(DATABASE_URL=url, WAITLIST_RATE_LIMIT="0")
    with second.client() as client:
        assert client.get("/").status_code == 200
    assert second.stop() == 0
    assert f"INFO waitlist: schema: already at version {LATEST}, nothing to do" in second.log()
    assert "migrated" not in second.log()
    assert query(url, "SELECT version FROM waitlist_schema") == [(LATEST,)]
    rows = query(url, "SELECT email, source FROM waitlist_signups ORDER BY id")
    assert rows == [(email, source) for email, _c, source, _cr, _co in V1_ROWS]
    assert tables_of(url) == {*metadata.tables, "waitlist_schema"}


def test_instances_migrating_at_once_migrate_once(database: tuple[str, str]) -> None:
    """Four stores on one new database, started at the same moment: one of them migrates, the
    others find it done (SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock)."""
    _kind, url = database
    stores = [Store.from_url(url) for _ in range(4)]
    barrier = threading.Barrier(len(stores))

    def start(store: Store) -> migrations.Report:
        barrier.wait()
        return store.create_schema()

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            reports = list(pool.map(start, stores))
    finally:
        for store in stores:
            store.dispose()
    assert sorted(report.before for report in reports) == [0, 3, 3, 3]
    assert sum(bool(report.applied) for report in reports) == 1
    assert query(url, "SELECT version FROM waitlist_schema") == [(LATEST,)]


def test_a_new_sqlite_database_held_by_another_writer_is_waited_for(tmp_path: Path) -> None:
    """Switching a new SQLite file to WAL needs the file to itself, and SQLite answers "database
    is locked" at once, without its busy timeout, while another connection writes. An instance
    starting beside one that is migrating waits for it instead of failing to start."""
    path = tmp_path / "w.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE held (x)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO held VALUES (1)")
    release = threading.Timer(0.3, other.execute, ("COMMIT",))
    release.start()
    store = Store.from_url(sqlite_url(path))
    try:
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        release.join()
        store.dispose()
        other.close()


def test_a_failed_migration_changes_nothing(database: tuple[str, str], tmp_path: Path) -> None:
    """Migration 3 fails (a view holds its table's name): migration 2's tables and the version
    table are rolled back with it; the 1.0 database is as it was."""
    kind, url = database
    create_v1(url, v1_ddl(kind))
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE VIEW waitlist_rate_limit AS SELECT 1 AS client"))
    engine.dispose()
    failed = cli("migrate", cwd=tmp_path, database_url=url)
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert failed.stderr.startswith("waitlist: the database could not be migrated: ")
    assert "waitlist_rate_limit" in failed.stderr
    assert tables_of(url) == {"waitlist_signups"}
    assert [row[0] for row in query(url, "SELECT email FROM waitlist_signups ORDER BY id")] == V1_EMAILS


def test_a_dropped_table_is_made_again(tmp_path: Path) -> None:
    """As the service always did at start: a table dropped by hand comes back, empty."""
    url = sqlite_url(tmp_path / "w.sqlite3")
    assert cli("migrate", cwd=tmp_path, database_url=url).returncode == 0
    with sqlite3.connect(tmp_path / "w.sqlite3") as connection:
        connection.execute("DROP TABLE waitlist_tally")
    again = cli("migrate", cwd=tmp_path, database_url=url)
    assert again.stdout == (f"at version {LATEST}; created the tables that had been dropped: "
                            "waitlist_tally\n")
    assert "waitlist_tally" in tables_of(url)


# -- a database newer than the code ------------------------------------------------------------


def newer_database(database_url: str) -> None:
    store = Store.from_url(database_url)
    store.create_schema()
    store.dispose()
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE waitlist_schema SET version = :v"), {"v": NEWER})
        connection.execute(text("DROP TABLE waitlist_rate_limit"))  # changed by that release
    engine.dispose()


def test_a_database_newer_than_the_code_is_refused(
    database: tuple[str, str], tmp_path: Path, site_dir: Path
) -> None:
    """serve, migrate, backup and restore stop with one line naming both schema versions and
    this release, and change nothing."""
    _kind, url = database
    newer_database(url)
    refusal = (f"is at schema version {NEWER}, newer than this release knows: waitlist {RELEASE} "
               f"migrates up to schema version {LATEST}. Run the release that migrated it, or a "
               "newer one\n")
    env = service_env(DATABASE_URL=url, SITE_DIR=str(site_dir), PORT=str(free_port()))
    served = subprocess.run([sys.executable, "-m", "waitlist", "serve"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert served.returncode == 1
    assert served.stderr.endswith(f"waitlist: the database {refusal}"), served.stderr
    migrated = cli("migrate", cwd=tmp_path, database_url=url)
    assert (migrated.returncode, migrated.stdout) == (1, "")
    assert migrated.stderr == f"waitlist: the database {refusal}"
    backed_up = cli("backup", "b.jsonl", cwd=tmp_path, database_url=url)
    assert backed_up.returncode == 1 and f"schema version {NEWER}" in backed_up.stderr
    assert f"up to schema version {LATEST}" in backed_up.stderr
    assert not (tmp_path / "b.jsonl").exists()
    source = sqlite_url(tmp_path / "source.sqlite3")
    fill(source)
    assert cli("backup", "ok.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    restored = cli("restore", "--replace", "ok.jsonl", cwd=tmp_path, database_url=url)
    assert restored.returncode == 1
    assert restored.stderr == f"waitlist: the database {refusal}"
    assert query(url, "SELECT version FROM waitlist_schema") == [(NEWER,)]
    assert "waitlist_rate_limit" not in tables_of(url)
    assert query(url, "SELECT count(*) FROM waitlist_signups") == [(0,)]


# -- backups across schema versions ------------------------------------------------------------


def signed(records: list[dict[str, Any]]) -> bytes:
    """A backup file of ``records`` (the end line last, its SHA-256 made here), each line with
    its checksum, as backup.py writes them."""
    lines: list[bytes] = []
    for record in records:
        if record.get("end"):
            record = {**record, "sha256": hashlib.sha256(b"".join(lines)).hexdigest()}
        plain = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(plain.encode()).hexdigest()[:SUM_DIGITS]
        lines.append(f'{plain[:-1]},"sum":"{digest}"}}\n'.encode())
    return b"".join(lines)


def records_of(path: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for record in records:
        record.pop("sum")
        record.pop("sha256", None)
    return records


def test_a_1_0_database_backup_records_version_1_and_restores_migrated(
    database: tuple[str, str], tmp_path: Path
) -> None:
    """Backed up before the upgrade (the 1.0 database as it is), restored into a new database
    and into one of this version with rows (--replace): the rows come back, migrated."""
    _kind, target = database
    old = sqlite_url(tmp_path / "v1.sqlite3")
    create_v1(old, V1_SQLITE)
    made = cli("backup", "v1.jsonl", cwd=tmp_path, database_url=old)
    assert made.returncode == 0, made.stderr
    [header, *_rows, _end] = records_of(tmp_path / "v1.jsonl")
    assert header["format"] == FORMAT and header["schema_version"] == 1
    assert list(header["tables"]) == ["waitlist_signups"]
    assert tables_of(old) == {"waitlist_signups"}  # a backup changes nothing
    note = f"(made at schema version 1, migrated to version {LATEST})"
    restored = cli("restore", "v1.jsonl", cwd=tmp_path, database_url=target)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout == f"restored 2 rows of waitlist_signups from v1.jsonl {note}\n"
    assert [row["email"] for row in contents(target)["waitlist_signups"]] == V1_EMAILS
    assert query(target, "SELECT version FROM waitlist_schema") == [(LATEST,)]
    # Into a database of this version that holds other rows.
    engine = create_engine(target)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO waitlist_tally (day, event, count) VALUES "
                                "('2026-04-01', 'removed', 1)"))
        connection.execute(text("UPDATE waitlist_signups SET source = 'changed'"))
    engine.dispose()
    replaced = cli("restore", "--replace", "v1.jsonl", cwd=tmp_path, database_url=target)
    assert replaced.returncode == 0, replaced.stderr
    after = contents(target)
    assert [(row["email"], row["source"]) for row in after["waitlist_signups"]] == [
        (email, source) for email, _c, source, _cr, _co in V1_ROWS]
    assert after["waitlist_signups"][0]["confirmed_at"] == datetime(2026, 1, 5, 9, 10, tzinfo=UTC)
    assert after["waitlist_tally"] == [] and after["waitlist_mail_log"] == []


def test_backups_that_record_no_schema_version(tmp_path: Path) -> None:
    """Made before backups recorded one: the sign-ups table alone is version 1 (1.0's rows),
    every table is this version; both restore."""
    source = sqlite_url(tmp_path / "source.sqlite3")
    fill(source)
    assert cli("backup", "all.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    records = records_of(tmp_path / "all.jsonl")
    del records[0]["schema_version"]
    (tmp_path / "unversioned.jsonl").write_bytes(signed(records))
    header, _rows = parse_backup("unversioned.jsonl", (tmp_path / "unversioned.jsonl").read_bytes())
    assert header["schema_version"] == LATEST
    restored = cli("restore", "unversioned.jsonl", cwd=tmp_path,
                   database_url=sqlite_url(tmp_path / "a.sqlite3"))
    assert restored.returncode == 0, restored.stderr
    assert "migrated" not in restored.stdout
    assert contents(sqlite_url(tmp_path / "a.sqlite3")) == contents(source)

    only_signups = [records[0] | {"tables": {"waitlist_signups": records[0]["tables"]["waitlist_signups"]}},
                    *[record for record in records[1:] if record.get("table") == "waitlist_signups"],
                    {"end": True, "rows": {"waitlist_signups": len(contents(source)["waitlist_signups"])}}]
    (tmp_path / "signups.jsonl").write_bytes(signed(only_signups))
    header, rows = parse_backup("signups.jsonl", (tmp_path / "signups.jsonl").read_bytes())
    assert header["schema_version"] == 1
    restored = cli("restore", "signups.jsonl", cwd=tmp_path,
                   database_url=sqlite_url(tmp_path / "b.sqlite3"))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.endswith(f"(made at schema version 1, migrated to version {LATEST})\n")
    assert contents(sqlite_url(tmp_path / "b.sqlite3"))["waitlist_signups"] == contents(source)["waitlist_signups"]


def test_a_backup_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    source = sqlite_url(tmp_path / "source.sqlite3")
    fill(source)
    assert cli("backup", "b.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    records = records_of(tmp_path / "b.jsonl")
    records[0]["schema_version"] = NEWER
    (tmp_path / "newer.jsonl").write_bytes(signed(records))
    target = tmp_path / "new" / "waitlist.sqlite3"
    refused = cli("restore", "newer.jsonl", cwd=tmp_path, database_url=sqlite_url(target))
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr == (
        f"waitlist: newer.jsonl: made from schema version {NEWER}, newer than this release knows: "
        f"waitlist {RELEASE} restores schema versions up to {LATEST}. Restore it with the release "
        "that made it, or a newer one\n")
    assert not target.parent.exists()  # refused before any database was opened


def test_a_later_migration_that_changes_a_column_restores_older_backups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written as a later release would write one: migration 4 renames the tally's `count` to
    `total`. A backup of this version's schema (3) is read as version 4's rows; one of version
    4 is read as it is; a version 3 backup whose columns are not version 3's is refused, naming
    the version."""
    source = sqlite_url(tmp_path / "source.sqlite3")
    fill(source)
    assert cli("backup", "v3.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    tally_v4 = Table("waitlist_tally", MetaData(), Column("day", String(10), primary_key=True),
                     Column("event", String(16), primary_key=True),
                     Column("total", Integer, nullable=False))

    def rename(rows: migrations.Rows) -> migrations.Rows:
        return {**rows, "waitlist_tally": [
            {"day": row["day"], "event": row["event"], "total": row["count"]}
            for row in rows.get("waitlist_tally", [])]}

    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, Migration(
        4, "the tally's count is its total", (tally_v4,), upgrade_rows=rename)))
    assert latest() == 4
    data = (tmp_path / "v3.jsonl").read_bytes()
    header, rows = parse_backup("v3.jsonl", data)
    assert header["schema_version"] == 3
    assert rows["waitlist_tally"] == [{"day": "2026-02-28", "event": "removed", "total": 2},
                                      {"day": "2026-03-01", "event": "purged", "total": 5}]
    assert rows["waitlist_signups"] == contents(source)["waitlist_signups"]

    records = records_of(tmp_path / "v3.jsonl")
    records[0]["schema_version"] = 4
    records[0]["tables"]["waitlist_tally"][2]["name"] = "total"
    for record in records:
        if record.get("table") == "waitlist_tally":
            record["row"]["total"] = record["row"].pop("count")
    header, rows = parse_backup("v4.jsonl", signed(records))
    assert header["schema_version"] == 4 and rows["waitlist_tally"][0]["total"] == 2

    records[0]["schema_version"] = 3
    with pytest.raises(BackupError, match="table waitlist_tally has columns .*; schema version 3 has"):
        parse_backup("wrong.jsonl", signed(records))
