"""``python -m waitlist backup PATH`` and ``restore PATH``, and the check every reading command
makes first: the database and its sign-ups table exist (a read never creates either).

One format for both databases: JSON lines. The first line names the format and records the
schema (every table of ``store.metadata``, its columns and their types); then one line per row;
the last line counts the rows of each table, so a truncated file is refused on restore. Times
are ISO 8601 UTC strings typed by the header, and go back into the database as timestamps.

The rows are read in one transaction: a snapshot. On SQLite an explicit ``BEGIN`` (WAL keeps
the writer going); on PostgreSQL ``REPEATABLE READ, READ ONLY``. Neither ``pg_dump`` nor
SQLite's file copy is used: pg_dump must be at least as new as the server and is absent from
the service's image, and neither output can be restored into the other database, which this
file can (SQLite to PostgreSQL and back).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, Table, delete, func, insert, inspect, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError

from waitlist.config import database_url_from_env
from waitlist.store import Store, UTCDateTime, metadata, signups, utc_now

FORMAT = "rebuilding-trust-waitlist-backup"
VERSION = 1
FILE_MODE = 0o600


class BackupError(Exception):
    """A backup or restore that must stop; the message is one line for the owner."""


# -- the commands ----------------------------------------------------------------------------


def add_commands(commands: Any) -> None:
    """Register ``backup`` and ``restore`` on ``python -m waitlist``'s subparsers."""
    backup_command = commands.add_parser(
        "backup", help="write every table to PATH (JSON lines, mode 0600); fails if there is no database"
    )
    backup_command.add_argument("path", type=Path)
    restore_command = commands.add_parser(
        "restore", help="load a backup into DATABASE_URL (stop the service first)"
    )
    restore_command.add_argument("path", type=Path)
    restore_command.add_argument("--replace", action="store_true",
                                 help="delete the rows the database holds first")


def run(args: argparse.Namespace) -> int:
    """``backup`` or ``restore``: status 0, or 1 with one line on stderr."""
    try:
        if args.command == "backup":
            store = open_from_env()
            try:
                counts = backup(store, args.path)
            finally:
                store.dispose()
            print(f"backed up {_describe(counts)} to {args.path}")
        else:
            store = Store.from_url(database_url_from_env())
            try:
                counts = restore(store, args.path, args.replace)
            finally:
                store.dispose()
            print(f"restored {_describe(counts)} from {args.path}")
    except (BackupError, OSError) as error:
        print(f"waitlist: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"waitlist: {args.command} failed: {_first_line(error)}", file=sys.stderr)
        return 1
    return 0


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} rows of {name}" for name, count in counts.items())


# -- reading commands: the database must already be there ------------------------------------


def open_from_env() -> Store:
    """``open_existing`` on DATABASE_URL (or the default SQLite file)."""
    url_is_default = not os.environ.get("DATABASE_URL", "").strip()
    return open_existing(database_url_from_env(), url_is_default)


def open_existing(database_url: str, url_is_default: bool = False) -> Store:
    """A Store on a database that exists and has the sign-ups table; BackupError otherwise.

    Creates nothing: no file, no directory, no table (``Store.from_url`` would make the
    directory, and SQLite would make an empty file on connecting).
    """
    url = make_url(database_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_file():
            if url_is_default:
                raise BackupError(f"DATABASE_URL is not set and {url.database} does not exist "
                                  "(run from the service's directory, or set DATABASE_URL)")
            raise BackupError(f"DATABASE_URL is {shown}, and {url.database} does not exist")
    store = Store.from_url(database_url)
    try:
        with store.engine.connect() as connection:
            present = inspect(connection).has_table(signups.name)
    except SQLAlchemyError as error:
        store.dispose()
        raise BackupError(f"cannot open {shown}: {_first_line(error)}") from error
    if not present:
        store.dispose()
        raise BackupError(f"{shown} has no table {signups.name}: is DATABASE_URL the service's "
                          "database, and has the service started once?")
    return store


def _first_line(error: BaseException) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


# -- backup ----------------------------------------------------------------------------------


def backup(store: Store, path: Path) -> dict[str, int]:
    """Write every table to ``path`` (mode 0600, replaced only once complete); rows per table."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # an older .partial may have had another mode
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as out:
            counts = _write(store, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts


def _write(store: Store, out: TextIO) -> dict[str, int]:
    counts: dict[str, int] = {}
    with _snapshot(store) as connection:
        present = set(inspect(connection).get_table_names())
        tables = [table for table in metadata.sorted_tables if table.name in present]
        header = {"format": FORMAT, "version": VERSION, "created_at": _iso(utc_now()),
                  "dialect": store.engine.dialect.name,
                  "tables": {table.name: _schema(table) for table in tables}}
        _line(out, header)
        for table in tables:
            counts[table.name] = 0
            primary_key = list(table.primary_key.columns)
            for row in connection.execute(select(table).order_by(*primary_key)):
                values = {name: _to_json(value) for name, value in row._mapping.items()}
                _line(out, {"table": table.name, "row": values})
                counts[table.name] += 1
    _line(out, {"end": True, "rows": counts})
    return counts


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """A connection inside one read transaction: every table as of the same moment."""
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "postgresql":
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with connection.begin():
                yield connection
        else:
            # pysqlite starts no transaction for a SELECT: BEGIN by hand, so the reads share
            # one snapshot of the WAL while the service keeps writing.
            with connection.begin():
                connection.exec_driver_sql("BEGIN")
                yield connection


def _schema(table: Table) -> list[dict[str, Any]]:
    return [{"name": column.name, "type": _kind(column.type), "nullable": bool(column.nullable)}
            for column in table.columns]


def _kind(column_type: Any) -> str:
    if isinstance(column_type, UTCDateTime):
        return "timestamp"
    return "integer" if column_type.python_type is int else "text"


def _to_json(value: Any) -> Any:
    return _iso(value) if isinstance(value, datetime) else value


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _line(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


# -- restore ---------------------------------------------------------------------------------


def read_backup(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The header and the rows of every table, typed; BackupError if the file is not a
    complete backup this version can restore."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise BackupError(f"cannot read {path}: {error}") from error
    try:
        records = [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError as error:
        raise BackupError(f"{path}: line {error.lineno}: not JSON; is it a backup?") from error
    if not records or not isinstance(records[0], dict) or records[0].get("format") != FORMAT:
        raise BackupError(f"{path}: not a waitlist backup (no {FORMAT} header)")
    header = records[0]
    if header.get("version") != VERSION:
        raise BackupError(f"{path}: backup version {header.get('version')!r}; "
                          f"this version restores version {VERSION}")
    footer = records[-1]
    if len(records) < 2 or footer.get("end") is not True:
        raise BackupError(f"{path}: incomplete (no end line): the backup was cut short")
    tables = _check_schema(path, header["tables"])
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    for record in records[1:-1]:
        table = tables.get(record.get("table"))
        if table is None:
            raise BackupError(f"{path}: a row for table {record.get('table')!r}, not in the header")
        rows[table.name].append(_typed(table, record["row"]))
    counted = {name: len(found) for name, found in rows.items()}
    if counted != footer.get("rows"):
        raise BackupError(f"{path}: holds {counted} rows, its end line says {footer.get('rows')}")
    return header, rows


def _check_schema(path: Path, described: dict[str, list[dict[str, Any]]]) -> dict[str, Table]:
    """The tables of the backup, each known to this version with the same columns."""
    tables: dict[str, Table] = {}
    for name, columns in described.items():
        table = metadata.tables.get(name)
        if table is None:
            raise BackupError(f"{path}: table {name} is unknown to this version of the service")
        if columns != _schema(table):
            raise BackupError(f"{path}: table {name} has columns {columns}; "
                              f"this version expects {_schema(table)}")
        tables[name] = table
    return tables


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    return {name: datetime.fromisoformat(value)
            if value is not None and isinstance(table.c[name].type, UTCDateTime) else value
            for name, value in row.items()}


def restore(store: Store, path: Path, replace: bool) -> dict[str, int]:
    """Load the backup at ``path`` into ``store`` in one transaction; rows per table.

    Refuses (BackupError, nothing changed) when the database holds sign-ups or removals and
    ``replace`` is false; with ``replace`` every table is emptied first.
    """
    rows = read_backup(path)[1]
    store.create_schema()
    with store.engine.begin() as connection:
        held = _rows_held(connection)
        if held and not replace:
            described = ", ".join(f"{count} in {name}" for name, count in held.items())
            raise BackupError(f"the database holds rows ({described}); "
                              "restore --replace deletes them and restores the backup")
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
        for table in metadata.sorted_tables:
            if rows.get(table.name):
                connection.execute(insert(table), rows[table.name])
        if connection.dialect.name == "postgresql":
            # Ids were inserted as they were: the next sign-up must get a new one.
            connection.execute(text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                "coalesce(max(id), 0) + 1, false) FROM waitlist_signups"
            ), {"table": signups.name})
    return {name: len(found) for name, found in rows.items()}


def _rows_held(connection: Connection) -> dict[str, int]:
    held = {}
    for table in metadata.sorted_tables:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            held[table.name] = count
    return held
