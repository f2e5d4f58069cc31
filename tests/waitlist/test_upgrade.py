"""An owner upgrading from version 1.0 loses no sign-up: the service adds its new tables at
start and leaves the old one and its rows as they were (PostgreSQL: test_postgres.py)."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from tests.waitlist.conftest import (
    ADMIN_TOKEN,
    SECRET,
    SITE_URL,
    Inbox,
    Service,
    confirm,
    confirm_link,
    local,
    signup_json,
    token_of,
    unsubscribe_link,
)

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


def test_upgrade_from_version_1_0_on_sqlite(
    start: Callable[..., Service], inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    db = tmp_path / "v1.sqlite3"
    create_v1(f"sqlite:///{db}", V1_SQLITE)
    check_upgrade(start, f"sqlite:///{db}", inbox)
    with sqlite3.connect(db) as connection:
        [schema] = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'waitlist_signups'").fetchone()
    assert schema == V1_SQLITE  # the old table itself is untouched
