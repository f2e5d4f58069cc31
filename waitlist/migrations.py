"""The database's schema version, and the migrations that bring a database up to this code's.

Every table the service uses was created by a numbered migration, applied in order; the number
of the last one applied is kept in ``waitlist_schema`` (one row: ``version``). At start
(``Store.create_schema``: ``serve``, ``python -m waitlist migrate``, ``restore``, ``delete`` and
``purge``) the migrations a database lacks are applied in order, once, in one transaction with
the new version number: on PostgreSQL under a transaction-level advisory lock (instances
starting at once take turns; DDL is transactional there), on SQLite in ``BEGIN IMMEDIATE``
(SQLite's DDL is transactional too). A failure leaves the database as it was.

Version 1 is the schema of release 1.0: ``waitlist_signups`` alone. A database without
``waitlist_schema`` was made by 1.0, or by the code between 1.0 and 2.0, which created its
tables at start and recorded no version: with ``waitlist_signups`` it is taken as version 1,
and each later migration creates only the tables it lacks; without it, it is new (version 0).

A database at a version newer than this code's is refused (SchemaError) with both versions
named: this code does not know what the newer one changed.

Backups (backup.py) record the version of the database they were read from, and list its
tables as that version has them (``schema_at``). Restoring one from an older version types its
rows by that version's tables, then passes them through each later migration's
``upgrade_rows``; one from a newer version is refused.

Adding a migration: append it to MIGRATIONS with the next number, and never edit one that was
released. Its tables are written out here as that version has them, not imported from
store.py (which holds what the code uses today; tests/waitlist/test_releases.py checks that
the latest version's tables are store.py's, column for column, and that a new database made by
the migrations has the schema ``store.metadata.create_all`` gives). A migration that changes a
table gives the table as it is afterwards (``tables``), the statements that change it
(``change``) and what becomes of a backup's rows from the version before (``upgrade_rows``),
so that older backups still restore.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    inspect,
    select,
)

from waitlist import __version__
from waitlist.store import SCHEMA_LOCK_KEY, UTCDateTime

Rows = dict[str, list[dict[str, Any]]]  # a backup's rows, per table, typed

# The version table. Not in store.metadata: backups and restores leave it out (a restored
# database keeps the version its own migrations gave it).
version_table = Table(
    "waitlist_schema",
    MetaData(),
    Column("version", Integer, nullable=False),
)

# -- each version's tables, as that version has them ------------------------------------------

_v1 = MetaData()
SIGNUPS_V1 = Table(
    "waitlist_signups",
    _v1,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("consent_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime(), nullable=True),
)

_v2 = MetaData()
MAIL_LOG_V2 = Table(
    "waitlist_mail_log",
    _v2,
    Column("mailbox", String(64), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("sent", Integer, nullable=False),
    Column("last_sent", BigInteger, nullable=False),
)
TALLY_V2 = Table(
    "waitlist_tally",
    _v2,
    Column("day", String(10), primary_key=True),
    Column("event", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
)

_v3 = MetaData()
RATE_LIMIT_V3 = Table(
    "waitlist_rate_limit",
    _v3,
    Column("client", String(64), primary_key=True),
    Column("full_at", BigInteger, nullable=False),
)


def _same_rows(rows: Rows) -> Rows:
    """A migration that only adds tables: a backup's rows stay as they are (the new tables
    start empty)."""
    return rows


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    tables: tuple[Table, ...] = ()  # created when missing; as they are after this migration
    change: Callable[[Connection], None] | None = None  # statements beyond creating tables
    upgrade_rows: Callable[[Rows], Rows] = _same_rows  # a backup's rows of the version before

    def apply(self, connection: Connection) -> list[str]:
        """Create this migration's tables the database lacks, then run its change; the names
        of the tables created."""
        present = set(inspect(connection).get_table_names())
        created = []
        for table in self.tables:
            if table.name not in present:
                table.create(connection)
                created.append(table.name)
        if self.change is not None:
            self.change(connection)
        return created


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the sign-ups (release 1.0)", (SIGNUPS_V1,)),
    Migration(2, "mail limits and removal counts (confirmation mails, unsubscribe, removal, "
                 "statistics)", (MAIL_LOG_V2, TALLY_V2)),
    Migration(3, "the sign-up rate limit, shared by every instance", (RATE_LIMIT_V3,)),
)
assert [migration.version for migration in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def latest() -> int:
    """The schema version this code migrates to."""
    return MIGRATIONS[-1].version


class SchemaError(Exception):
    """A database (or backup) this code cannot bring up to date; one line for the owner."""


def too_new(found: int, what: str = "the database") -> SchemaError:
    return SchemaError(
        f"{what} is at schema version {found}, newer than this release knows: waitlist "
        f"{__version__} migrates up to schema version {latest()}. Run the release that "
        f"migrated it, or a newer one")


def schema_at(version: int) -> dict[str, Table]:
    """Every table of schema ``version``, as that version has it, by name (in name order)."""
    if not 0 <= version <= latest():
        raise too_new(version, "this schema")
    tables: dict[str, Table] = {}
    for migration in MIGRATIONS[:version]:
        tables.update({table.name: table for table in migration.tables})
    return dict(sorted(tables.items()))


def known_tables() -> set[str]:
    return set(schema_at(latest()))


def recorded_version(connection: Connection) -> int | None:
    """The version ``waitlist_schema`` holds; None without that table (1.0, or new)."""
    if not inspect(connection).has_table(version_table.name):
        return None
    versions = connection.execute(select(version_table.c.version)).scalars().all()
    if len(versions) != 1:
        raise SchemaError(f"{version_table.name} holds {len(versions)} rows, not one: "
                          "the schema version is unknown")
    return int(versions[0])


def version_by_tables(names: Iterable[str]) -> int:
    """The first schema version that has every one of ``names`` this code knows (0: none).

    What a database or a backup without a recorded version is made of: a 1.0 database, the
    sign-ups table alone, is version 1.
    """
    ours = set(names) & known_tables()
    if not ours:
        return 0
    return next(migration.version for migration in MIGRATIONS
                if ours <= set(schema_at(migration.version)))


def database_version(connection: Connection) -> int:
    """The schema version of the database, for reading it (backups): recorded, or else told
    by its tables (``version_by_tables``)."""
    recorded = recorded_version(connection)
    if recorded is not None:
        return recorded
    return version_by_tables(inspect(connection).get_table_names())


@dataclass
class Report:
    """What ``migrate`` found and did."""

    before: int
    after: int
    recorded: bool  # False: the database had no version table
    applied: list[tuple[Migration, list[str]]] = field(default_factory=list)
    recreated: list[str] = field(default_factory=list)  # tables dropped since their migration

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.recreated or not self.recorded)

    def lines(self) -> list[str]:
        if not self.applied and not self.recreated:
            return [f"already at version {self.after}, nothing to do"]
        if not self.applied:
            return [f"at version {self.after}; created the tables that had been dropped: "
                    f"{', '.join(self.recreated)}"]
        start = f"migrated from version {self.before} to {self.after}"
        if not self.recorded and self.before == 1:
            start += (" (no schema version was recorded: a database of release 1.0, or of "
                      "the code between 1.0 and 2.0, is version 1 with what it has since gained)")
        lines = [start + ":"]
        for migration, created in self.applied:
            made = (f"created {', '.join(created)}" if created
                    else "its tables were already there")
            lines.append(f"  {migration.version}: {migration.summary}: {made}")
        if self.recreated:
            lines.append(f"  and the tables that had been dropped: {', '.join(self.recreated)}")
        return lines


def migrate(engine: Engine) -> Report:
    """Apply the migrations the database lacks, in order, in one transaction; what was done.

    SchemaError (nothing changed) if the database is newer than this code. A table dropped
    since the migration that made it (by hand, or by a test) is made again, as the service
    always did at start. A database already up to date is only read: no write lock is taken.
    """
    with engine.connect() as connection:
        with connection.begin():
            recorded = recorded_version(connection)
            present = set(inspect(connection).get_table_names())
        if recorded == latest() and known_tables() <= present:
            return Report(recorded, recorded, True)
        if recorded is not None and recorded > latest():
            raise too_new(recorded)
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
            elif engine.dialect.name == "sqlite":
                # pysqlite begins no transaction for DDL: take the write lock now, so that the
                # tables and the version commit together and a second process waits its turn.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            return _migrate(connection)


def _migrate(connection: Connection) -> Report:
    """Inside the transaction, with the lock: read the version again and migrate."""
    recorded = recorded_version(connection)
    if recorded is None:
        before = 1 if inspect(connection).has_table(SIGNUPS_V1.name) else 0
    else:
        before = recorded
    if before > latest():
        raise too_new(before)
    report = Report(before, latest(), recorded is not None)
    for migration in MIGRATIONS[before:]:
        report.applied.append((migration, migration.apply(connection)))
    present = set(inspect(connection).get_table_names())
    for table in schema_at(latest()).values():
        if table.name not in present:
            table.create(connection)
            report.recreated.append(table.name)
    if recorded is None:
        version_table.create(connection)
    if recorded is None or report.applied:
        connection.execute(delete(version_table))
        connection.execute(insert(version_table).values(version=latest()))
    return report


def upgrade_rows(rows: Rows, version: int) -> Rows:
    """A backup's rows of schema ``version`` as rows of the latest schema."""
    for migration in MIGRATIONS[version:]:
        rows = migration.upgrade_rows(rows)
    return rows
