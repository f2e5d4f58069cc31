"""The sign-ups table and every query on it, in SQLAlchemy Core.

The same code runs on SQLite (``sqlite:///path``) and PostgreSQL
(``postgresql+psycopg://...``); the only dialect-specific part is the
``INSERT ... ON CONFLICT DO NOTHING`` construct, which both dialects offer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    event,
    inspect,
    make_url,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from waitlist.signup import MAX_EMAIL_LENGTH, MAX_SOURCE_LENGTH, Signup

EXPORT_COLUMNS = ("email", "consent_at", "source", "created_at", "confirmed_at")
SQLITE_BUSY_TIMEOUT_MS = 5000


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        # SQLite keeps no offset: what we stored there was UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

signups = Table(
    "waitlist_signups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(MAX_EMAIL_LENGTH), nullable=False, unique=True),
    Column("consent_at", UTCDateTime(), nullable=False),
    Column("source", String(MAX_SOURCE_LENGTH), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime(), nullable=True),
)


@dataclass(frozen=True)
class BatchResult:
    """What one group commit did: addresses that are new, and known ones not yet confirmed
    (both left empty when the caller did not ask, to spare the queries)."""

    inserted: frozenset[str]
    unconfirmed_existing: frozenset[str]


def utc_now() -> datetime:
    return datetime.now(UTC)


def make_engine(database_url: str) -> Engine:
    """An engine for ``database_url``; SQLite gets WAL, full sync and a busy timeout."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (export, confirm) run beside the writer. synchronous=FULL syncs the
    # WAL on every commit, so an acknowledged sign-up survives a power cut, not only a crash
    # of this process; group commit makes that one fsync per batch, not per sign-up.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


class Store:
    """Blocking database operations; callers run them off the event loop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        if dialect == "sqlite":
            self._insert = sqlite.insert(signups)
        elif dialect == "postgresql":
            self._insert = postgresql.insert(signups)
        else:
            raise ValueError(f"DATABASE_URL: expected sqlite or postgresql, got {dialect}")
        # INSERT ... ON CONFLICT DO NOTHING: a known address is skipped, never an error.
        self._insert_new = self._insert.on_conflict_do_nothing(index_elements=[signups.c.email])
        self._insert_new_returning = self._insert_new.returning(signups.c.email)

    @classmethod
    def from_url(cls, database_url: str) -> Store:
        return cls(make_engine(database_url))

    def create_schema(self) -> None:
        metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def connect(self) -> Connection:
        """A connection for the writer thread to keep (one checkout, not one per batch)."""
        return self.engine.connect()

    def insert_batch(
        self, connection: Connection, batch: Sequence[Signup], want_unconfirmed: bool
    ) -> BatchResult:
        """Insert every new address of ``batch`` in ONE transaction and commit it once."""
        now = utc_now()
        rows: dict[str, dict[str, object]] = {}
        for signup in batch:  # one row per address, first one wins
            rows.setdefault(signup.email, {
                "email": signup.email, "consent_at": now, "source": signup.source,
                "created_at": now,
            })
        pending: frozenset[str] = frozenset()
        with connection.begin():
            if not want_unconfirmed:  # nobody needs to know which rows are new
                connection.execute(self._insert_new, list(rows.values()))
                return BatchResult(inserted=frozenset(), unconfirmed_existing=frozenset())
            result = connection.execute(self._insert_new_returning, list(rows.values()))
            inserted = frozenset(result.scalars().all())
            existing = [email for email in rows if email not in inserted]
            if existing:
                query = select(signups.c.email).where(
                    signups.c.email.in_(existing), signups.c.confirmed_at.is_(None)
                )
                pending = frozenset(connection.execute(query).scalars().all())
        return BatchResult(inserted=inserted, unconfirmed_existing=pending)

    def confirm(self, email: str) -> bool:
        """Mark ``email`` confirmed (first confirmation wins); False if it is not on the list."""
        with self.engine.begin() as connection:
            connection.execute(
                update(signups)
                .where(signups.c.email == email, signups.c.confirmed_at.is_(None))
                .values(confirmed_at=utc_now())
            )
            found = connection.execute(select(signups.c.id).where(signups.c.email == email))
            return found.first() is not None

    def export_rows(self) -> list[tuple[Any, ...]]:
        query = select(*(signups.c[name] for name in EXPORT_COLUMNS)).order_by(
            signups.c.created_at, signups.c.id
        )
        with self.engine.connect() as connection:
            if not inspect(connection).has_table(signups.name):  # nobody has signed up yet
                return []
            return [tuple(row) for row in connection.execute(query)]

    def export_csv(self) -> str:
        return rows_to_csv(self.export_rows())


def rows_to_csv(rows: Iterable[Sequence[Any]]) -> str:
    """CSV (RFC 4180, CRLF line ends) with a header row; times in ISO 8601 UTC."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)
