"""The same service on PostgreSQL: a throwaway cluster started by the test itself.

Needs Debian's ``postgresql`` package (initdb, pg_ctl) and psycopg; run as root, the cluster
runs as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import create_engine, text

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
)
from tests.waitlist.helpers import V1_POSTGRESQL, _fresh_database, check_mail_limits, check_upgrade, create_v1
from waitlist.store import Store


def _export(service: Service) -> str:
    with service.client() as client:
        response = client.get("/api/waitlist/export",
                              headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    response.raise_for_status()
    return response.text


def test_signups_duplicates_confirmation_and_export_on_postgresql(
    start: Callable[..., Service], postgres_url: str, inbox: tuple[Inbox, int]
) -> None:
    box, smtp_port = inbox
    running = start(
        DATABASE_URL=postgres_url, WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN, WAITLIST_RATE_LIMIT="0",
        SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", WAITLIST_SECRET=SECRET, SITE_URL=SITE_URL,
    )
    with running.client() as client:
        replies = [signup_json(client, email) for email in
                   ("Pat@Example.com ", "pat@example.com", "sam@example.com")]
        assert {reply.status_code for reply in replies} == {200}
        assert len({reply.content for reply in replies}) == 1
        form = client.post("/api/waitlist", data={"email": "form@example.com", "consent": "on"})
        assert form.headers["location"] == "/waitlist/check-inbox/"  # double opt-in is on
        bad = client.post("/api/waitlist", json={"email": "nope", "consent": True})
        assert bad.status_code == 422

    def sign_up(n: int) -> int:
        with httpx.Client(base_url=running.base_url, timeout=10) as http:
            return signup_json(http, f"group-{n}@example.com").status_code

    with ThreadPoolExecutor(20) as pool:  # concurrent: batches through the group commit
        assert set(pool.map(sign_up, range(60))) == {200}

    messages_in = box.wait_for(3)
    [pat_mail] = [message for message in messages_in if message["To"] == "pat@example.com"]
    with running.client() as client:
        assert client.get(local(confirm_link(pat_mail))).status_code == 200  # a GET: nothing
        assert "pat@example.com" in _export(running) and ",landing," in _export(running)
        assert confirm(client, confirm_link(pat_mail)).headers["location"] == "/waitlist/confirmed/"

    text = _export(running)
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(text))}
    assert len(rows) == 3 + 60
    assert rows["pat@example.com"]["confirmed_at"].endswith("Z")
    assert rows["sam@example.com"]["confirmed_at"] == ""
    assert rows["sam@example.com"]["source"] == "landing"
    printed = subprocess.run(
        [sys.executable, "-m", "waitlist", "export"], env=running.env, cwd=running.cwd,
        capture_output=True, check=True, timeout=30,
    )
    assert printed.stdout.decode() == text


def test_mail_limits_on_postgresql(postgres_url: str) -> None:
    check_mail_limits(Store.from_url(_fresh_database(postgres_url, "limits")))


def test_upgrade_from_version_1_0_on_postgresql(
    start: Callable[..., Service], postgres_url: str, inbox: tuple[Inbox, int]
) -> None:
    url = _fresh_database(postgres_url, "v1")
    create_v1(url, V1_POSTGRESQL)
    check_upgrade(start, url, inbox)


def test_inbox_limits_unsubscribe_delete_and_purge_on_postgresql(
    start: Callable[..., Service], postgres_url: str, inbox: tuple[Inbox, int]
) -> None:
    box, smtp_port = inbox
    url = _fresh_database(postgres_url, "erasure")
    settings = dict(DATABASE_URL=url, WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN, WAITLIST_RATE_LIMIT="0",
                    SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", WAITLIST_SECRET=SECRET,
                    SITE_URL=SITE_URL)
    first = start(**settings)
    with first.client() as client:
        for email in ("victim+1@gmail.com", "v.ictim@gmail.com", "VICTIM+2@googlemail.com"):
            assert signup_json(client, email).status_code == 200
    box.wait_for(1)
    assert first.stop() == 0
    second = start(**settings)  # the limit is in the database: a restart forgets nothing
    with second.client() as client:
        assert signup_json(client, "victim+3@gmail.com").status_code == 200
        assert signup_json(client, "leaver@example.org").status_code == 200
        [_, leaver] = box.wait_for(2)
        time.sleep(0.5)
        assert [str(m["To"]) for m in box.messages] == ["victim+1@gmail.com", "leaver@example.org"]
        target = str(leaver["List-Unsubscribe"])[1:-1]
        one_click = client.post(local(target), content=b"List-Unsubscribe=One-Click",
                                headers={"content-type": "application/x-www-form-urlencoded"})
        assert one_click.status_code == 200
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO waitlist_signups (email, consent_at, source, created_at) VALUES"
            " ('Ana@Example.com', now(), 'landing', now()),"
            " ('stale@example.org', now() - interval '8 days', NULL, now() - interval '8 days')"))
    cli = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "waitlist", *args], env=second.env, cwd=second.cwd,
        capture_output=True, text=True, timeout=60,
    )
    assert cli("delete", "ana@example.com").returncode == 0
    assert cli("purge", "--unconfirmed-older-than", "7d").stdout.startswith("deleted 1 ")
    with engine.connect() as connection:
        emails = {row[0] for row in connection.execute(text("SELECT email FROM waitlist_signups"))}
    engine.dispose()
    assert emails == {"victim+1@gmail.com", "v.ictim@gmail.com", "victim+2@googlemail.com",
                      "victim+3@gmail.com"}
    totals = json.loads(cli("stats", "--json").stdout)["totals"]
    assert (totals["unsubscribed"], totals["removed"], totals["purged"]) == (1, 1, 1)
