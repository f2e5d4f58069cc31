"""The tables and every query on them, in SQLAlchemy Core.

The same code runs on SQLite (``sqlite:///path``) and PostgreSQL
(``postgresql+psycopg://...``); the only dialect-specific part is the
``INSERT ... ON CONFLICT`` construct, which both dialects offer.

Four tables: the sign-ups; the mail bookkeeping (per inbox, keyed by an HMAC of the
normalised mailbox, and one row for the global hourly count), which holds no address; the
sign-up rate limit (per client, keyed by an HMAC of its IP address, never the address); and a
tally of removals per day (counts only), for the statistics. Every instance that shares the
database shares all four. ``create_schema`` applies the migrations the database lacks
(waitlist/migrations.py, which also keeps the schema version), so an older database is
upgraded in place at start.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    inspect,
    make_url,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from waitlist.signup import MAX_EMAIL_LENGTH, MAX_SOURCE_LENGTH, Signup

if TYPE_CHECKING:
    from waitlist.migrations import Report

EXPORT_COLUMNS = ("email", "consent_at", "source", "created_at", "confirmed_at")
SQLITE_BUSY_TIMEOUT_MS = 5000
SCHEMA_LOCK_KEY = 0x7761_6974_6C69_7374  # "waitlist": pg_advisory_xact_lock's key for migrations


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

# One row per inbox that was sent a mail lately (``mailbox``: tokens.Tokens.mailbox_key), and
# the row GLOBAL_KEY for all mails. Times are whole seconds since the epoch.
mail_log = Table(
    "waitlist_mail_log",
    metadata,
    Column("mailbox", String(64), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("sent", Integer, nullable=False),
    Column("last_sent", BigInteger, nullable=False),
)
GLOBAL_KEY = "*"

# The sign-up rate limit (ratelimit.py): per client, keyed by an HMAC of its IP address, the
# time (milliseconds since the epoch) at which its allowance is whole again. A row whose time
# has passed means the same as no row, and is pruned.
rate_limit = Table(
    "waitlist_rate_limit",
    metadata,
    Column("client", String(64), primary_key=True),
    Column("full_at", BigInteger, nullable=False),
)

# Removals per UTC day: counts, never addresses.
tally = Table(
    "waitlist_tally",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("event", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
)
RemovalEvent = Literal["unsubscribed", "removed", "purged"]
REMOVAL_EVENTS: tuple[RemovalEvent, ...] = ("unsubscribed", "removed", "purged")
MailVerdict = Literal["granted", "recent", "capped"]


@dataclass(frozen=True)
class MailLimits:
    """How many confirmation and removal mails may go out."""

    cooldown_seconds: int = 15 * 60  # per inbox: one mail, then this long before the next
    per_inbox_per_day: int = 5
    per_hour: int = 200  # all mails together; 0: no cap


@dataclass(frozen=True)
class BatchResult:
    """What one group commit did: addresses that are new, and every address of the batch
    that awaits confirmation (new ones included) with its row id; both left empty when the
    caller did not ask, to spare the queries."""

    inserted: frozenset[str]
    unconfirmed: dict[str, int] = field(default_factory=dict)


@dataclass
class DayStats:
    signups: int = 0
    confirmed: int = 0
    unsubscribed: int = 0
    removed: int = 0
    purged: int = 0


@dataclass
class SourceStats:
    signups: int = 0
    confirmed: int = 0


@dataclass(frozen=True)
class Stats:
    """Counts for the owner: sign-ups (of the rows still kept) per day and per source page,
    and removals per day. Nothing about any one person."""

    days: dict[str, DayStats]
    sources: dict[str, SourceStats]

    def as_dict(self) -> dict[str, Any]:
        signups = sum(day.signups for day in self.days.values())
        confirmed = sum(day.confirmed for day in self.days.values())
        removals = {event: sum(getattr(day, event) for day in self.days.values())
                    for event in REMOVAL_EVENTS}
        return {
            "totals": {"signups": signups, "confirmed": confirmed,
                       "unconfirmed": signups - confirmed, **removals},
            "days": [{"day": day, "signups": row.signups, "confirmed": row.confirmed,
                      "unconfirmed": row.signups - row.confirmed, "unsubscribed": row.unsubscribed,
                      "removed": row.removed, "purged": row.purged}
                     for day, row in sorted(self.days.items())],
            "sources": [{"source": source, "signups": row.signups, "confirmed": row.confirmed,
                         "unconfirmed": row.signups - row.confirmed}
                        for source, row in sorted(self.sources.items())],
        }


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
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """WAL is kept in the file, so only a new database changes mode. That change needs the file
    to itself, and SQLite answers "database is locked" at once, not after the busy timeout,
    while another connection writes (an instance starting beside one that migrates): try again
    until the busy timeout has passed."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(0.02)


class Store:
    """Blocking database operations; callers run them off the event loop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        if dialect == "sqlite":
            insert: Any = sqlite.insert
        elif dialect == "postgresql":
            insert = postgresql.insert
        else:
            raise ValueError(f"DATABASE_URL: expected sqlite or postgresql, got {dialect}")
        self._dialect_insert = insert
        # INSERT ... ON CONFLICT DO NOTHING: a known address is skipped, never an error.
        self._insert_new = insert(signups).on_conflict_do_nothing(index_elements=[signups.c.email])
        self._insert_new_returning = self._insert_new.returning(signups.c.id, signups.c.email)

    @classmethod
    def from_url(cls, database_url: str) -> Store:
        return cls(make_engine(database_url))

    def create_schema(self) -> Report:
        """Bring the database up to this code's schema version: the migrations it lacks, in
        order, in one transaction (waitlist/migrations.py); what was done. A new database gets
        every table; an older one gains what is new, its tables and rows otherwise untouched.
        SchemaError, changing nothing, if the database is newer than this code.

        On PostgreSQL, instances starting at once take turns (a transaction-level advisory
        lock): otherwise two could both find a table missing and one would fail to create it.
        """
        from waitlist.migrations import migrate

        return migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """``SELECT 1`` on a pooled connection: raises if the database does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def connect(self) -> Connection:
        """A connection for the writer thread to keep (one checkout, not one per batch)."""
        return self.engine.connect()

    # -- sign-ups (the writer thread, inside its transaction) ---------------------------------

    def insert_batch(
        self, connection: Connection, batch: Sequence[Signup], want_unconfirmed: bool
    ) -> BatchResult:
        """Insert every new address of ``batch``; the caller holds the transaction.

        A known address that is still unconfirmed has its consent renewed: the person agreed
        again, and gets a new link, so the purge of unconfirmed rows counts from now.
        """
        now = utc_now()
        rows: dict[str, dict[str, object]] = {}
        # One row per address, first one wins; inserted in address order, so that two instances
        # inserting batches with addresses in common take the rows' locks in the same order (in
        # arrival order, PostgreSQL could find them waiting for each other and abort one batch
        # as a deadlock: every sign-up of it got a 503).
        for signup in sorted(batch, key=lambda signup: signup.email):
            rows.setdefault(signup.email, {
                "email": signup.email, "consent_at": now, "source": signup.source,
                "created_at": now,
            })
        if not want_unconfirmed:  # nobody needs to know which rows are new
            connection.execute(self._insert_new, list(rows.values()))
            return BatchResult(inserted=frozenset())
        result = connection.execute(self._insert_new_returning, list(rows.values()))
        unconfirmed = {email: row_id for row_id, email in result}
        inserted = frozenset(unconfirmed)
        existing = [email for email in rows if email not in inserted]
        if existing:
            query = select(signups.c.id, signups.c.email).where(
                signups.c.email.in_(existing), signups.c.confirmed_at.is_(None)
            )
            pending = {email: row_id for row_id, email in connection.execute(query)}
            if pending:
                connection.execute(
                    update(signups).where(signups.c.id.in_(list(pending.values())))
                    .values(consent_at=now)
                )
            unconfirmed.update(pending)
        return BatchResult(inserted=inserted, unconfirmed=unconfirmed)

    # -- mail bookkeeping (inside the caller's transaction) -----------------------------------

    def reserve_mail(
        self, connection: Connection, mailbox: str, now: int, limits: MailLimits
    ) -> MailVerdict:
        """Count one mail to ``mailbox`` if both limits allow it, atomically.

        Each count is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE``: the row is updated
        only while its limit allows, and RETURNING says whether it was. The global count goes
        first; if the inbox then refuses, the global count is given back in the same
        transaction, so a refused mail leaves no trace.
        """
        if limits.per_hour > 0:
            allowed = or_(mail_log.c.window_start <= now - 3600, mail_log.c.sent < limits.per_hour)
            if not self._count(connection, GLOBAL_KEY, now, 3600, allowed):
                return "capped"
        allowed = and_(
            mail_log.c.last_sent <= now - limits.cooldown_seconds,
            or_(mail_log.c.window_start <= now - 86400,
                mail_log.c.sent < limits.per_inbox_per_day),
        )
        if self._count(connection, mailbox, now, 86400, allowed):
            return "granted"
        if limits.per_hour > 0:
            connection.execute(
                update(mail_log).where(mail_log.c.mailbox == GLOBAL_KEY, mail_log.c.sent > 0)
                .values(sent=mail_log.c.sent - 1)
            )
        return "recent"

    def forget_mail(self, mailbox: str) -> None:
        """A counted mail to ``mailbox`` could not be sent: the inbox got nothing, so its
        cooldown and its count go (the hourly count stays: the attempt was made)."""
        with self.engine.begin() as connection:
            connection.execute(
                update(mail_log).where(mail_log.c.mailbox == mailbox, mail_log.c.sent > 0)
                .values(sent=mail_log.c.sent - 1, last_sent=0)
            )

    def mail_capped(self, connection: Connection, now: int, limits: MailLimits) -> bool:
        """Is the global hourly cap reached right now? (Reads only.)"""
        if limits.per_hour <= 0:
            return False
        row = connection.execute(
            select(mail_log.c.window_start, mail_log.c.sent).where(mail_log.c.mailbox == GLOBAL_KEY)
        ).first()
        return row is not None and row.window_start > now - 3600 and row.sent >= limits.per_hour

    def _count(
        self, connection: Connection, key: str, now: int, window: int, allowed: Any
    ) -> bool:
        expired = mail_log.c.window_start <= now - window
        statement = (
            self._dialect_insert(mail_log)
            .values(mailbox=key, window_start=now, sent=1, last_sent=now)
            .on_conflict_do_update(
                index_elements=[mail_log.c.mailbox],
                set_={
                    "sent": case((expired, 1), else_=mail_log.c.sent + 1),
                    "window_start": case((expired, now), else_=mail_log.c.window_start),
                    "last_sent": now,
                },
                where=allowed,
            )
            .returning(mail_log.c.mailbox)
        )
        return connection.execute(statement).first() is not None

    # -- the sign-up rate limit ------------------------------------------------------------------

    def rate_hits(
        self, clients: Sequence[str], now_ms: int, interval_ms: int, tolerance_ms: int
    ) -> list[int | None]:
        """Count one attempt by each of ``clients`` (GCRA, see ratelimit.py), in order, in one
        transaction; for each, None if allowed, else the milliseconds to wait.

        Each attempt is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING``: the
        row moves on by one interval only while the allowance is not spent, atomically on
        either database, so instances sharing the database share one limit. A refusal changes
        nothing and reads the row to say how long to wait.
        """
        current = case((rate_limit.c.full_at > now_ms, rate_limit.c.full_at), else_=now_ms)
        waits: list[int | None] = []
        with self.engine.begin() as connection:
            for client in clients:
                statement = (
                    self._dialect_insert(rate_limit)
                    .values(client=client, full_at=now_ms + interval_ms)
                    .on_conflict_do_update(
                        index_elements=[rate_limit.c.client],
                        set_={"full_at": current + interval_ms},
                        where=rate_limit.c.full_at - tolerance_ms <= now_ms,
                    )
                    .returning(rate_limit.c.full_at)
                )
                if connection.execute(statement).first() is not None:
                    waits.append(None)
                    continue
                full_at = connection.execute(
                    select(rate_limit.c.full_at).where(rate_limit.c.client == client)
                ).scalar_one_or_none()
                waits.append(max(1, (full_at or now_ms) - tolerance_ms - now_ms))
        return waits

    def prune_rate_limit(self, now_ms: int) -> int:
        """Delete the clients whose allowance is whole again (as good as no row); how many.
        Idempotent: instances may run it at the same time."""
        with self.engine.begin() as connection:
            return connection.execute(delete(rate_limit).where(rate_limit.c.full_at <= now_ms)).rowcount

    # -- confirmation, unsubscribe, removal -----------------------------------------------------

    def email_of(self, row_id: int) -> str | None:
        """The address of sign-up ``row_id``, if it is still there."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(signups.c.email).where(signups.c.id == row_id)
            ).scalar_one_or_none()

    def find(self, connection: Connection, email: str) -> tuple[int, str] | None:
        """(id, address) of the sign-up for ``email`` (in its canonical form: one index look-up)."""
        row = connection.execute(
            select(signups.c.id, signups.c.email).where(signups.c.email == email)
        ).first()
        return (row.id, row.email) if row is not None else None

    def confirm(self, email: str, row_id: int | None = None) -> bool:
        """Mark the sign-up confirmed (first confirmation wins); False if it is not there.

        With ``row_id`` the row must have both that id and that address.
        """
        where = [signups.c.email == email]
        if row_id is not None:
            where.append(signups.c.id == row_id)
        with self.engine.begin() as connection:
            connection.execute(
                update(signups).where(*where, signups.c.confirmed_at.is_(None))
                .values(confirmed_at=utc_now())
            )
            return connection.execute(select(signups.c.id).where(*where)).first() is not None

    def remove(self, email: str, event: RemovalEvent, row_id: int | None = None) -> int:
        """Delete the sign-up of ``email`` (any case; with ``row_id``, only that row) and count
        the removal; the number of rows deleted (0 or 1)."""
        where = [func.lower(signups.c.email) == email.lower()]
        if row_id is not None:
            where.append(signups.c.id == row_id)
        with self.engine.begin() as connection:
            deleted = connection.execute(delete(signups).where(*where)).rowcount
            self._tally(connection, event, deleted)
        return deleted

    def purge_unconfirmed(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete unconfirmed sign-ups whose consent is older than ``older_than``, and mail and
        rate-limit bookkeeping past every window; the number of sign-ups deleted.

        Safe on several instances at once: each DELETE is idempotent, and the tally adds the
        rows this transaction deleted (its rowcount), so a row that two purges race for is
        counted by the one that deleted it, once.
        """
        now = now or utc_now()
        cutoff = now - older_than
        with self.engine.begin() as connection:
            deleted = connection.execute(
                delete(signups).where(signups.c.confirmed_at.is_(None), signups.c.consent_at < cutoff)
            ).rowcount
            self._tally(connection, "purged", deleted, now)
            connection.execute(
                delete(mail_log).where(mail_log.c.last_sent < int(now.timestamp()) - 86400)
            )
            connection.execute(
                delete(rate_limit).where(rate_limit.c.full_at <= int(now.timestamp() * 1000))
            )
        return deleted

    def _tally(
        self, connection: Connection, event: RemovalEvent, count: int, now: datetime | None = None
    ) -> None:
        if count <= 0:
            return
        day = (now or utc_now()).date().isoformat()
        statement = self._dialect_insert(tally).values(day=day, event=event, count=count)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[tally.c.day, tally.c.event],
            set_={"count": tally.c.count + statement.excluded.count},
        ))

    # -- the owner's view -------------------------------------------------------------------------

    def stats(self) -> Stats:
        days: dict[str, DayStats] = {}
        sources: dict[str, SourceStats] = {}
        query = select(signups.c.created_at, signups.c.source, signups.c.confirmed_at.is_not(None))
        with self.engine.connect() as connection:
            for created_at, source, confirmed in connection.execute(query):
                day = days.setdefault(created_at.date().isoformat(), DayStats())
                by_source = sources.setdefault(source or "", SourceStats())
                day.signups += 1
                by_source.signups += 1
                day.confirmed += bool(confirmed)
                by_source.confirmed += bool(confirmed)
            for day_name, event, count in connection.execute(select(tally)):
                if event in REMOVAL_EVENTS:
                    day = days.setdefault(day_name, DayStats())
                    setattr(day, event, getattr(day, event) + count)
        return Stats(days=days, sources=sources)

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
