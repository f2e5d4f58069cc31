"""Shared by the waitlist tests (tests/waitlist/test_*.py) beside tests/waitlist/conftest.py:
a database filled with rows in every table and read back, and the ``waitlist`` command run on
it (test_backup.py); a fresh database on PostgreSQL's throwaway cluster (test_postgres.py; the
cluster is the ``postgres_url`` fixture, in tests/waitlist/conftest.py); a version 1.0 database
and the upgrade from it (test_upgrade.py); a row written straight into a SQLite file
(test_erasure.py); and the mail limits' bookkeeping, checked on any database
(test_mail_limits.py)."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, inspect, select, text

from tests.waitlist.conftest import (
    ADMIN_TOKEN,
    SECRET,
    SITE_URL,
    Inbox,
    Service,
    confirm,
    confirm_link,
    local,
    service_env,
    signup_json,
    token_of,
    unsubscribe_link,
)
from waitlist.store import MailLimits, Store, mail_log, metadata, signups, tally

# --- a database with rows in every table, and the command run on it (test_backup.py) --------

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


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# --- a database of its own on the PostgreSQL cluster (test_postgres.py; `postgres_url`) -----


def _fresh_database(postgres_url: str, name: str) -> str:
    """A new, empty database on the test cluster; its URL."""
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


# --- a version 1.0 database and the upgrade from it (test_upgrade.py) -------------------------

# The table as version 1.0 created it (SQLAlchemy's DDL for each database), and its rows.
V1_SQLITE = """CREATE TABLE waitlist_signups (
	id INTEGER NOT NULL,
	email VARCHAR(254) NOT NULL,
	consent_at DATETIME NOT NULL,
	source VARCHAR(64),
	created_at DATETIME NOT NULL,
	confirmed_at DATETIME,
	PRIMARY KEY (id),
	UNIQUE (email)
)"""
V1_POSTGRESQL = """CREATE TABLE waitlist_signups (
	id SERIAL NOT NULL,
	email VARCHAR(254) NOT NULL,
	consent_at TIMESTAMP WITH TIME ZONE NOT NULL,
	source VARCHAR(64),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	confirmed_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	UNIQUE (email)
)"""
V1_ROWS = [
    ("early@example.org", "2026-01-05 09:00:00.000000", "landing", "2026-01-05 09:00:00.000000",
     "2026-01-05 09:10:00.000000"),
    ("member@example.org", "2026-02-01 12:30:00.000000", None, "2026-02-01 12:30:00.000000",
     "2026-02-02 08:00:00.000000"),
]
NEW_TABLES = {"waitlist_signups", "waitlist_mail_log", "waitlist_tally"}


def create_v1(database_url: str, ddl: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(ddl))
        for row in V1_ROWS:
            connection.execute(text(
                "INSERT INTO waitlist_signups (email, consent_at, source, created_at, confirmed_at)"
                " VALUES (:email, :consent, :source, :created, :confirmed)"),
                dict(zip(("email", "consent", "source", "created", "confirmed"), row, strict=True)))
    engine.dispose()


def exported(service: Service) -> list[dict[str, str]]:
    with service.client() as client:
        reply = client.get("/api/waitlist/export", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    return list(csv.DictReader(io.StringIO(reply.text)))


def check_upgrade(start: Callable[..., Service], database_url: str, inbox: tuple[Inbox, int]) -> None:
    """Start the new service on a version 1.0 database and use every new feature on it."""
    box, port = inbox
    settings = dict(DATABASE_URL=database_url, SMTP_URL=f"smtp://127.0.0.1:{port}",
                    WAITLIST_SECRET=SECRET, SITE_URL=SITE_URL, WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN,
                    WAITLIST_RATE_LIMIT="0")
    running = start(**settings)
    before = exported(running)
    assert [(row["email"], row["source"], row["created_at"], row["confirmed_at"]) for row in before] == [
        ("early@example.org", "landing", "2026-01-05T09:00:00Z", "2026-01-05T09:10:00Z"),
        ("member@example.org", "", "2026-02-01T12:30:00Z", "2026-02-02T08:00:00Z"),
    ]
    engine = create_engine(database_url)
    assert NEW_TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()
    with running.client() as client:
        # A new sign-up, its confirmation, and the removal of an old one by its owner.
        assert signup_json(client, "new@example.org").status_code == 200
        [welcome] = box.wait_for(1)
        assert confirm(client, confirm_link(welcome)).headers["location"] == "/waitlist/confirmed/"
        asked = client.post("/api/waitlist/remove", data={"email": "member@example.org"})
        assert asked.headers["location"] == "/waitlist/removal-sent/"
        [_, removal] = box.wait_for(2)
        link = unsubscribe_link(removal)
        client.get(local(link))
        pressed = client.post("/api/waitlist/unsubscribe", data={"token": token_of(link)})
        assert pressed.headers["location"] == "/waitlist/removed/"
        stats = client.get("/api/waitlist/stats", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
        assert stats.json()["totals"] == {"signups": 2, "confirmed": 2, "unconfirmed": 0,
                                          "unsubscribed": 1, "removed": 0, "purged": 0}
    assert running.stop() == 0
    again = start(**settings)  # a second start changes nothing
    assert [row["email"] for row in exported(again)] == ["early@example.org", "new@example.org"]
    assert exported(again)[0] == before[0]


# --- a row written straight into the database file (test_erasure.py) -------------------------


def stamp(moment: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def add_row(db: Path, email: str, age: timedelta = timedelta(0), confirmed: bool = False,
            source: str | None = "landing") -> None:
    """A sign-up written straight into the database file (as an older version, or a person
    typing SQL, would have left it)."""
    when = stamp(datetime.now(UTC) - age)
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO waitlist_signups (email, consent_at, source, created_at, confirmed_at)"
            " VALUES (?, ?, ?, ?, ?)", (email, when, source, when, when if confirmed else None))


# --- the mail limits' bookkeeping, on any database (test_mail_limits.py) ---------------------


def check_mail_limits(store: Store) -> None:
    store.create_schema()
    limits = MailLimits(cooldown_seconds=900, per_inbox_per_day=3, per_hour=4)
    t = 1_800_000_000

    def reserve(key: str, at: int) -> str:
        with store.engine.begin() as connection:
            return store.reserve_mail(connection, key, at, limits)

    try:
        assert reserve("a", t) == "granted"
        assert reserve("a", t + 899) == "recent"  # the cooldown
        assert reserve("a", t + 900) == "granted"
        assert reserve("a", t + 1800) == "granted"
        assert reserve("a", t + 2700) == "recent"  # three a day
        assert reserve("b", t + 2700) == "granted"  # the 4th mail this hour
        assert reserve("c", t + 2701) == "capped"  # the 5th: the cap
        assert reserve("a", t + 86400) == "granted"  # a new day, a new hour
        with store.engine.begin() as connection:
            assert not store.mail_capped(connection, t + 86400, limits)
            rows = dict(connection.exec_driver_sql(
                "SELECT mailbox, sent FROM waitlist_mail_log").fetchall())
        # A refused mail left nothing: "c" was never counted, and "a"'s refusal at t + 2700
        # gave its global count back (b's mail was the 4th, not the 5th).
        assert rows == {"*": 1, "a": 1, "b": 1}
    finally:
        store.dispose()
