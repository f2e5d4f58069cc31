"""An owner upgrading from version 1.0 loses no sign-up: the service adds its new tables at
start and leaves the old one and its rows as they were (PostgreSQL: test_postgres.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.waitlist.conftest import Inbox, Service
from tests.waitlist.helpers import V1_SQLITE, check_upgrade, create_v1


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
