"""``python -m waitlist backup PATH`` and ``restore PATH``, and the check every reading command
makes first: the database and its sign-ups table exist (a read never creates either).

One format for both databases: JSON lines. The first line names the format and records the
schema: the database's schema version (waitlist/migrations.py) and every table of that version,
its columns and their types; then one line per row;
the last line counts the rows of each table and holds the SHA-256 of every line before it.
Every line ends with its own checksum, ``"sum"``: the first 16 hex digits of the SHA-256 of
the line as it would read without that field. ``restore`` checks all of it before it writes
anything, so a changed letter, a file cut off or lines added, removed or reordered are refused
with the number of the first line that is wrong. Times are ISO 8601 UTC strings typed by the
header, and go back into the database as timestamps.

Version 1 backups (made before the checksums) still restore: their end line's row counts
catch a file cut short, but nothing catches a changed letter, and ``restore`` says so.

A backup from an older schema version restores into this one: its rows are typed by the tables
of its version and go through the later migrations' ``upgrade_rows`` (a backup made before
backups recorded a schema version is of the first version whose tables it holds: the
sign-ups table alone is version 1, release 1.0's). One from a newer schema version is refused,
naming both versions.

The rows are read in one transaction: a snapshot. On SQLite an explicit ``BEGIN`` (WAL keeps
the writer going); on PostgreSQL ``REPEATABLE READ, READ ONLY``. Neither ``pg_dump`` nor
SQLite's file copy is used: pg_dump must be at least as new as the server and is absent from
the service's image, and neither output can be restored into the other database, which this
file can (SQLite to PostgreSQL and back).

``PATH`` ``-`` is standard output (``backup``) or standard input (``restore``). Any other path
is written as ``PATH.partial`` and renamed over ``PATH`` once complete, so ``backup`` replaces
only a regular file: a symbolic link (``/dev/stdout`` is one), a device, a pipe or a directory
at ``PATH`` is refused, never replaced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy import Connection, Table, delete, func, insert, inspect, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError

from waitlist import __version__, migrations
from waitlist.config import database_url_from_env
from waitlist.migrations import SchemaError
from waitlist.store import Store, UTCDateTime, metadata, signups, utc_now

FORMAT = "rebuilding-trust-waitlist-backup"
VERSION = 2
OLDEST_VERSION = 1  # no checksums: restored, with a warning
FILE_MODE = 0o600
STDIO = "-"
SUM_DIGITS = 16
_SUM = re.compile(rf',"sum":"([0-9a-f]{{{SUM_DIGITS}}})"\}}\Z')

T = TypeVar("T")


class BackupError(Exception):
    """A backup or restore that must stop; the message is one line for the owner."""


class NoDatabase(BackupError):
    """The database, or its sign-ups table, is not there: nothing to read."""


# -- the commands ----------------------------------------------------------------------------


def add_commands(commands: Any) -> None:
    """Register ``backup`` and ``restore`` on ``python -m waitlist``'s subparsers."""
    backup_command = commands.add_parser(
        "backup", help="write every table to PATH (JSON lines, mode 0600; - for standard "
        "output); fails if there is no database"
    )
    backup_command.add_argument("path", type=Path)
    backup_command.add_argument(
        "--if-exists", action="store_true",
        help="with no database or no sign-ups table, say so and exit 0 (before a restore)")
    restore_command = commands.add_parser(
        "restore", help="load a backup (- for standard input) into DATABASE_URL "
        "(stop the service first)"
    )
    restore_command.add_argument("path", type=Path)
    restore_command.add_argument("--replace", action="store_true",
                                 help="delete the rows the database holds first")


def run(args: argparse.Namespace) -> int:
    """``backup`` or ``restore``: status 0, or 1 with one line on stderr."""
    try:
        if args.command == "backup":
            return _run_backup(args.path, args.if_exists)
        header, rows = read_backup(args.path)  # all of it checked before the database is opened
        store = Store.from_url(database_url_from_env())
        try:
            counts = load(store, rows, args.replace)
        finally:
            store.dispose()
        version = header["version"]
        source = _name(args.path, "standard input")
        if version < VERSION:
            print(f"waitlist: note: {source} is a version {version} backup, made before "
                  "backups had checksums: its row counts were checked, but a changed letter "
                  "would not have been noticed", file=sys.stderr)
        migrated = ""
        if header["schema_version"] < migrations.latest():
            migrated = (f" (made at schema version {header['schema_version']}, migrated to "
                        f"version {migrations.latest()})")
        print(f"restored {_describe(counts)} from {source}{migrated}")
    except (BackupError, SchemaError, OSError) as error:
        print(f"waitlist: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"waitlist: {args.command} failed: {_first_line(error)}", file=sys.stderr)
        return 1
    return 0


def _run_backup(path: Path, if_exists: bool) -> int:
    try:
        store = open_from_env()
    except NoDatabase as error:
        if not if_exists:
            raise
        print(f"nothing to back up: {error}")
        return 0
    try:
        counts = backup(store, path)
    finally:
        store.dispose()
    # On standard output the backup itself is the output: the summary goes to stderr.
    print(f"backed up {_describe(counts)} to {_name(path)}",
          file=sys.stderr if _is_stdio(path) else sys.stdout)
    return 0


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} rows of {name}" for name, count in counts.items())


def _is_stdio(path: Path) -> bool:
    return str(path) == STDIO


def _name(path: Path, stream: str = "standard output") -> str:
    return stream if _is_stdio(path) else str(path)


# -- files only the owner can read, replaced whole -------------------------------------------


def write_private(path: Path, produce: Callable[[IO[bytes]], T]) -> T:
    """``produce`` writes to ``path`` (mode 0600), or to standard output for ``-``.

    A file is written as ``PATH.partial`` and renamed over ``PATH`` once complete and synced:
    ``PATH`` is whole or untouched. Only a regular file is ever replaced; a symbolic link,
    device, pipe or directory there (or at ``PATH.partial``) is refused with BackupError.
    """
    if _is_stdio(path):
        out = sys.stdout.buffer
        result = produce(out)
        out.flush()
        return result
    refuse_unless_regular(path)
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: the folder {path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    descriptor = _create(partial)
    try:
        os.fchmod(descriptor, FILE_MODE)
        with os.fdopen(descriptor, "wb") as out:
            result = produce(out)
            out.flush()
            os.fsync(out.fileno())
        refuse_unless_regular(path)  # again: it may have appeared meanwhile
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)
    return result


def refuse_unless_regular(path: Path) -> None:
    """BackupError if something other than a regular file is at ``path`` (not followed)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a directory" if stat.S_ISDIR(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a pipe" if stat.S_ISFIFO(mode) else "not a regular file")
    raise BackupError(f"{path} is {kind}: only a regular file is replaced "
                      f"(use - for standard output)")


def _create(partial: Path) -> int:
    """A new file at ``partial``, never through a link; a regular leftover of an earlier run
    that was killed is replaced."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(partial, flags, FILE_MODE)
    except FileExistsError:
        refuse_unless_regular(partial)
        partial.unlink()
        return os.open(partial, flags, FILE_MODE)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: not every file system lets a folder be synced)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


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
                raise NoDatabase(f"DATABASE_URL is not set and {url.database} does not exist "
                                  "(run from the service's directory, or set DATABASE_URL)")
            raise NoDatabase(f"DATABASE_URL is {shown}, and {url.database} does not exist")
    store = Store.from_url(database_url)
    try:
        with store.engine.connect() as connection:
            present = inspect(connection).has_table(signups.name)
            version = migrations.recorded_version(connection) if present else None
    except (SQLAlchemyError, SchemaError) as error:
        store.dispose()
        raise BackupError(f"cannot open {shown}: {_first_line(error)}") from error
    if not present:
        store.dispose()
        raise NoDatabase(f"{shown} has no table {signups.name}: is DATABASE_URL the service's "
                          "database, and has the service started once?")
    if version is not None and version > migrations.latest():
        store.dispose()
        raise BackupError(str(migrations.too_new(version, shown)))
    return store


def _first_line(error: BaseException) -> str:
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


# -- backup ----------------------------------------------------------------------------------


def backup(store: Store, path: Path) -> dict[str, int]:
    """Write every table to ``path`` (see ``write_private``); rows per table."""
    return write_private(path, lambda out: _write(store, out))


def _write(store: Store, out: IO[bytes]) -> dict[str, int]:
    counts: dict[str, int] = {}
    digest = hashlib.sha256()

    def line(record: dict[str, Any]) -> None:
        data = _line(record)
        digest.update(data)
        out.write(data)

    with _snapshot(store) as connection:
        present = set(inspect(connection).get_table_names())
        schema_version = migrations.database_version(connection)
        if schema_version > migrations.latest():
            raise BackupError(str(migrations.too_new(schema_version)))
        # The tables as the database's version has them (an older database not yet migrated
        # is read as it is: its backup restores into this version, or into its own).
        tables = [table for table in migrations.schema_at(schema_version).values()
                  if table.name in present]
        header = {"format": FORMAT, "version": VERSION, "schema_version": schema_version,
                  "created_at": _iso(utc_now()), "dialect": store.engine.dialect.name,
                  "tables": {table.name: _schema(table) for table in tables}}
        line(header)
        for table in tables:
            counts[table.name] = 0
            primary_key = list(table.primary_key.columns)
            for row in connection.execute(select(table).order_by(*primary_key)):
                values = {name: _to_json(value) for name, value in row._mapping.items()}
                line({"table": table.name, "row": values})
                counts[table.name] += 1
    out.write(_line({"end": True, "rows": counts, "sha256": digest.hexdigest()}))
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


def _line(record: dict[str, Any]) -> bytes:
    """One line of the file: ``record`` as compact JSON, its checksum as the last field."""
    plain = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return f'{plain[:-1]},"sum":"{_line_sum(plain)}"}}\n'.encode()


def _line_sum(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()[:SUM_DIGITS]


# -- restore ---------------------------------------------------------------------------------


Rows = migrations.Rows


def read_backup(path: Path) -> tuple[dict[str, Any], Rows]:
    """The header (its ``schema_version`` filled in if the backup had none) and the rows of
    every table, typed and migrated to this code's schema version; BackupError if the file is
    not a complete, unchanged backup this version can restore. ``-``: standard input."""
    if _is_stdio(path):
        return parse_backup("standard input", sys.stdin.buffer.read())
    refuse_unless_readable(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror or error}") from error
    return parse_backup(str(path), data)


def refuse_unless_readable(path: Path) -> None:
    """A directory or a missing file: one line (the rest is left to the read)."""
    if path.is_dir():
        raise BackupError(f"{path} is a directory, not a backup")
    if not path.exists():
        raise BackupError(f"{path} does not exist")


def parse_backup(name: str, data: bytes) -> tuple[dict[str, Any], Rows]:
    """``read_backup`` on the bytes of a file; ``name`` names it in messages."""
    *lines, tail = data.split(b"\n")  # ``tail``: after the last newline, b"" if complete
    if not data:
        raise BackupError(f"{name}: empty: not a waitlist backup")
    if not lines:
        start = f'{{"format":"{FORMAT}"'.encode()
        if tail.startswith(start) or start.startswith(tail):
            raise BackupError(f"{name}: incomplete: the file ends in the middle of line 1, "
                              "the header: the backup was cut off")
        raise BackupError(f"{name}: not a waitlist backup (one line with no line end)")
    header = _header(name, lines[0])
    checked = header["version"] >= 2
    header["schema_version"], tables = _check_schema(name, header)
    rows: Rows = {table: [] for table in tables}
    footer: dict[str, Any] | None = None
    for number, raw in enumerate(lines[1:], start=2):
        record = _record(name, number, raw, checked)
        if record is None:  # a blank line, which version 1 skipped
            continue
        if footer is not None:
            raise BackupError(f"{name}: line {number}: a line after the end line (line "
                              f"{footer['line']})")
        if record.get("end") is True:
            footer = {**record, "line": number}
            continue
        table_name = record.get("table")
        table = tables.get(table_name) if isinstance(table_name, str) else None
        if table is None or not isinstance(record.get("row"), dict):
            raise BackupError(f"{name}: line {number}: not a row of a table in the header")
        rows[table.name].append(_typed(name, number, table, record["row"]))
    if tail:
        raise BackupError(f"{name}: incomplete: the file ends in the middle of line "
                          f"{len(lines) + 1}: the backup was cut off")
    if footer is None:
        raise BackupError(f"{name}: incomplete: line {len(lines)}, the last, is not the end "
                          "line: the backup was cut off")
    last = footer["line"]
    if checked:
        digest = hashlib.sha256(b"".join(raw + b"\n" for raw in lines[:last - 1])).hexdigest()
        if digest != footer.get("sha256"):
            raise BackupError(f"{name}: line {last}: the end line's SHA-256 is not that of "
                              f"lines 1 to {last - 1}: lines were added, removed or reordered")
    counted = {table: len(found) for table, found in rows.items()}
    if counted != footer.get("rows"):
        raise BackupError(f"{name}: line {last}: the file holds {counted} rows, the end line "
                          f"says {footer.get('rows')}")
    return header, migrations.upgrade_rows(rows, header["schema_version"])


def _header(name: str, raw: bytes) -> dict[str, Any]:
    """Line 1: this format, a version this one restores, the tables. A header with a checksum
    must match it (before anything in it is believed); from version 2 on it must have one."""
    line = raw.decode("utf-8", "replace")
    _checksum(name, 1, line, required=False)
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise BackupError(f"{name}: line 1: not JSON: not a waitlist backup") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise BackupError(f"{name}: not a waitlist backup (no {FORMAT} header on line 1)")
    version = record.get("version")
    if not isinstance(version, int) or not OLDEST_VERSION <= version <= VERSION:
        raise BackupError(f"{name}: backup version {version!r}; this version restores versions "
                          f"{OLDEST_VERSION} to {VERSION}")
    if version >= 2:
        _checksum(name, 1, line, required=True)
    if not isinstance(record.get("tables"), dict):
        raise BackupError(f"{name}: line 1: the header lists no tables")
    record.pop("sum", None)
    return record


def _record(name: str, number: int, raw: bytes, checked: bool) -> dict[str, Any] | None:
    """Line ``number`` as a JSON object, its checksum verified first when ``checked``; None
    for a blank line in a version 1 backup."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BackupError(f"{name}: line {number}: not UTF-8 text: the file was changed "
                          "or is not a backup") from None
    if checked:
        _checksum(name, number, line, required=True)
    elif not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise BackupError(f"{name}: line {number}: not JSON: the file was changed "
                          "or is not a backup") from None
    if not isinstance(record, dict):
        raise BackupError(f"{name}: line {number}: not a JSON object")
    record.pop("sum", None)
    return record


def _checksum(name: str, number: int, line: str, required: bool) -> None:
    """BackupError unless ``line`` ends with its own, right checksum (or, when not
    ``required``, has none)."""
    match = _SUM.search(line)
    if match is None:
        if required:
            raise BackupError(f"{name}: line {number}: no checksum at its end: the line was "
                              "changed since the backup was made")
        return
    if _line_sum(line[:match.start()] + "}") != match.group(1):
        raise BackupError(f"{name}: line {number}: does not match its checksum: the line was "
                          "changed since the backup was made")


def _check_schema(name: str, header: dict[str, Any]) -> tuple[int, dict[str, Table]]:
    """The backup's schema version and its tables, each as that version has it, with the same
    columns. A backup that records no version (made before they did) is of the first version
    that has its tables with their columns."""
    described: dict[str, Any] = header["tables"]
    version = header.get("schema_version")
    if version is None:
        version = next((number for number in range(1, migrations.latest() + 1)
                        if _matches(described, migrations.schema_at(number))),
                       migrations.latest())  # none: the check below names what differs
    elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise BackupError(f"{name}: line 1: schema_version {version!r} is not a schema version")
    elif version > migrations.latest():
        raise BackupError(
            f"{name}: made from schema version {version}, newer than this release knows: "
            f"waitlist {__version__} restores schema versions up to {migrations.latest()}. "
            "Restore it with the release that made it, or a newer one")
    schema = migrations.schema_at(version)
    tables: dict[str, Table] = {}
    for table_name, columns in described.items():
        table = schema.get(table_name)
        if table is None:
            raise BackupError(f"{name}: table {table_name} is unknown to schema version "
                              f"{version}")
        if columns != _schema(table):
            raise BackupError(f"{name}: table {table_name} has columns {columns}; "
                              f"schema version {version} has {_schema(table)}")
        tables[table_name] = table
    return version, tables


def _matches(described: dict[str, Any], schema: dict[str, Table]) -> bool:
    return all(table_name in schema and columns == _schema(schema[table_name])
               for table_name, columns in described.items())


def _typed(name: str, number: int, table: Table, row: dict[str, Any]) -> dict[str, Any]:
    if set(row) != set(table.c.keys()):
        raise BackupError(f"{name}: line {number}: the columns of {table.name} are "
                          f"{sorted(table.c.keys())}, not {sorted(row)}")
    try:
        return {column: datetime.fromisoformat(value)
                if value is not None and isinstance(table.c[column].type, UTCDateTime) else value
                for column, value in row.items()}
    except (TypeError, ValueError) as error:
        raise BackupError(f"{name}: line {number}: {error}") from None


def restore(store: Store, path: Path, replace: bool) -> dict[str, int]:
    """Load the backup at ``path`` into ``store``; rows per table. The whole file is read
    and checked before anything is written."""
    return load(store, read_backup(path)[1], replace)


def load(store: Store, rows: Rows, replace: bool) -> dict[str, int]:
    """Put ``rows`` into ``store`` in one transaction; rows per table.

    Refuses (BackupError, nothing changed) when the database holds rows and ``replace`` is
    false; with ``replace`` every table is emptied first. The database is first brought up to
    this code's schema version (``Store.create_schema``: a new one gets every table), and
    ``rows`` must be of that version (``read_backup`` gives them so).
    """
    with store.engine.connect() as connection:
        held = _rows_held(connection)
    if held and not replace:
        raise BackupError(_holds_rows(held))
    store.create_schema()
    with store.engine.begin() as connection:
        held = _rows_held(connection)
        if held and not replace:  # rows came in meanwhile: is the service still running?
            raise BackupError(_holds_rows(held))
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


def _holds_rows(held: dict[str, int]) -> str:
    described = ", ".join(f"{count} in {name}" for name, count in held.items())
    return (f"the database holds rows ({described}); restore --replace deletes them and "
            "restores the backup")


def _rows_held(connection: Connection) -> dict[str, int]:
    """Rows per table, for the tables that exist."""
    present = set(inspect(connection).get_table_names())
    held = {}
    for table in metadata.sorted_tables:
        if table.name not in present:
            continue
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            held[table.name] = count
    return held
