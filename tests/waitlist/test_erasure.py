"""Unsubscribe and erasure: the link in every mail and RFC 8058's one-click POST, the removal
page, ``delete`` and ``purge``, the daily purge, and the owner's statistics. Against a real
SMTP server (aiosmtpd) and the real database file."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

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
from tests.waitlist.helpers import add_row
from waitlist import messages
from waitlist.app import purge_daily
from waitlist.store import Store
from waitlist.tokens import UNSUBSCRIBE_MAX_AGE_SECONDS, UNSUBSCRIBE_SALT, Tokens


@pytest.fixture
def mail_service(start: Callable[..., Service], inbox: tuple[Inbox, int]) -> Service:
    _, port = inbox
    return start(SMTP_URL=f"smtp://127.0.0.1:{port}", WAITLIST_SECRET=SECRET, SITE_URL=SITE_URL,
                 WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN, WAITLIST_RATE_LIMIT="0")


def run_cli(service: Service, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "waitlist", *args], env=service.env,
                          cwd=service.cwd, capture_output=True, text=True, timeout=60)


def stats(service: Service) -> dict[str, object]:
    with service.client() as client:
        reply = client.get("/api/waitlist/stats", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store"
    return reply.json()


def test_every_mail_carries_a_one_click_unsubscribe(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        signup_json(client, "reader@example.org")
    [message] = box.wait_for(1)
    header = str(message["List-Unsubscribe"])
    assert header.startswith(f"<{SITE_URL}/api/waitlist/unsubscribe?token=") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page_link = unsubscribe_link(message)
    assert token_of(page_link) == token_of(header[1:-1])
    assert "reader" not in header


def test_the_unsubscribe_link_opens_a_page_whose_button_removes_the_address(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        signup_json(client, "leaving@example.org")
        [message] = box.wait_for(1)
        link = unsubscribe_link(message)
        page = client.get(local(link))  # what a mail scanner does, too
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert f'value="{token_of(link)}"' in page.text
        assert 'action="/api/waitlist/unsubscribe" method="post"' in page.text
        api_get = client.get("/api/waitlist/unsubscribe", params={"token": token_of(link)})
        assert api_get.headers["location"] == f"/waitlist/unsubscribe/?token={token_of(link)}"
        assert "leaving@example.org" in mail_service.emails()
        pressed = client.post("/api/waitlist/unsubscribe", data={"token": token_of(link)})
        assert pressed.status_code == 303 and pressed.headers["location"] == "/waitlist/removed/"
        assert "leaving@example.org" not in mail_service.emails()
        again = client.post("/api/waitlist/unsubscribe", data={"token": token_of(link)})
        assert again.headers["location"] == "/waitlist/remove/?reason=already-removed"
    assert stats(mail_service)["totals"]["unsubscribed"] == 1  # type: ignore[index]


def test_the_rfc_8058_one_click_post_removes_the_address(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        signup_json(client, "oneclick@example.org")
        [message] = box.wait_for(1)
        target = str(message["List-Unsubscribe"])[1:-1]
        # What a mail provider sends (RFC 8058 section 3.2): a POST of exactly this body.
        reply = client.post(local(target), content=b"List-Unsubscribe=One-Click",
                            headers={"content-type": "application/x-www-form-urlencoded"})
        assert reply.status_code == 200
        assert "oneclick@example.org" not in mail_service.emails()
        # RFC 8058 allows multipart/form-data too.
        signup_json(client, "multipart@example.org")
        [_, second] = box.wait_for(2)
        reply = client.post(local(str(second["List-Unsubscribe"])[1:-1]),
                            files={"List-Unsubscribe": (None, "One-Click")})
        assert reply.status_code == 200
    assert "multipart@example.org" not in mail_service.emails()


class LongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - UNSUBSCRIBE_MAX_AGE_SECONDS - 24 * 3600


def test_forged_or_expired_unsubscribe_tokens_remove_nothing(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        signup_json(client, "stays@example.org")
        [message] = box.wait_for(1)
        token = token_of(unsubscribe_link(message))
        [row_id, digest] = URLSafeTimedSerializer(SECRET, salt=UNSUBSCRIBE_SALT).loads(token)
        genuine = URLSafeTimedSerializer(SECRET, salt=UNSUBSCRIBE_SALT)
        bad = [
            token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            URLSafeTimedSerializer(SECRET, salt=UNSUBSCRIBE_SALT, signer=LongAgo).dumps([row_id, digest]),
            URLSafeTimedSerializer("another-secret-entirely-123456", salt=UNSUBSCRIBE_SALT)
            .dumps([row_id, digest]),
            token_of(confirm_link(message)),  # a confirmation token unsubscribes nobody
            genuine.dumps("stays@example.org"),  # no address-bearing tokens here
            "",
        ]
        for forged in bad:
            pressed = client.post("/api/waitlist/unsubscribe", data={"token": forged})
            assert pressed.status_code == 303
            location = urlsplit(pressed.headers["location"])
            assert location.path == "/waitlist/remove/"
            assert parse_qs(location.query) == {"reason": ["bad-unsubscribe-link"]}
            one_click = client.post("/api/waitlist/unsubscribe", params={"token": forged},
                                    data={"List-Unsubscribe": "One-Click"})
            assert one_click.status_code == 400
        page = client.get("/waitlist/remove/", params={"reason": "bad-unsubscribe-link"})
        assert messages.REASONS["bad-unsubscribe-link"] in page.text
        # Signed by us, but the row with that id holds another address (ids are reused after
        # a delete, or change when a backup is restored): nothing is removed.
        other = genuine.dumps([row_id, Tokens(SECRET).address_digest("other@example.org")])
        pressed = client.post("/api/waitlist/unsubscribe", data={"token": other})
        assert pressed.headers["location"] == "/waitlist/remove/?reason=already-removed"
    assert "stays@example.org" in mail_service.emails()


def test_asking_for_removal_sends_a_link_to_the_address(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    """Nobody can remove someone else: the removal happens from a link sent to the address.
    The reply is the same for an address that is not on the list, which gets no mail."""
    box, _ = inbox
    add_row(mail_service.db_path, "member@example.org", age=timedelta(days=30), confirmed=True)
    with mail_service.client() as client:
        asked = client.post("/api/waitlist/remove", data={"email": " Member@Example.org "})
        stranger = client.post("/api/waitlist/remove", data={"email": "never@example.org"})
        assert asked.status_code == stranger.status_code == 303
        assert asked.headers["location"] == stranger.headers["location"] == "/waitlist/removal-sent/"
        [message] = box.wait_for(1)
        time.sleep(0.5)
        assert len(box.messages) == 1 and message["To"] == "member@example.org"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "member@example.org" in mail_service.emails()  # not before the button
        link = unsubscribe_link(message)
        client.get(local(link))
        pressed = client.post("/api/waitlist/unsubscribe", data={"token": token_of(link)})
        assert pressed.headers["location"] == "/waitlist/removed/"
        assert "member@example.org" not in mail_service.emails()
        typo = client.post("/api/waitlist/remove", data={"email": "member@example"})
        assert typo.status_code == 422 and "location" not in typo.headers
        assert messages.REASONS["invalid-email"] in typo.text
        assert 'value="member@example"' in typo.text


def test_without_mail_removal_is_immediate(start: Callable[..., Service]) -> None:
    running = start(WAITLIST_RATE_LIMIT="0")
    with running.client() as client:
        signup_json(client, "quick@example.org")
        asked = client.post("/api/waitlist/remove", data={"email": "QUICK@example.org"})
        unknown = client.post("/api/waitlist/remove", data={"email": "unknown@example.org"})
    assert asked.headers["location"] == unknown.headers["location"] == "/waitlist/removed/"
    assert "quick@example.org" not in running.emails()


def test_the_delete_command_finds_any_case(service: Service) -> None:
    add_row(service.db_path, "Ana@Example.com")
    add_row(service.db_path, "user@xn--bcher-kva.example")
    deleted = run_cli(service, "delete", "ana@example.com")
    assert deleted.returncode == 0 and deleted.stdout == "deleted 1 sign-up\n"
    assert "Ana@Example.com" not in service.emails()
    assert run_cli(service, "delete", "user@BÜCHER.example").returncode == 0
    assert "user@xn--bcher-kva.example" not in service.emails()
    again = run_cli(service, "delete", "ana@example.com")
    assert again.returncode == 1 and again.stdout == "no sign-up with that address\n"


def test_the_purge_command_deletes_only_old_unconfirmed_sign_ups(
    start: Callable[..., Service],
) -> None:
    running = start(WAITLIST_RATE_LIMIT="0")
    add_row(running.db_path, "old@example.org", age=timedelta(days=8))
    add_row(running.db_path, "fresh@example.org", age=timedelta(days=6))
    add_row(running.db_path, "kept@example.org", age=timedelta(days=90), confirmed=True)
    purged = run_cli(running, "purge", "--unconfirmed-older-than", "7d")
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout == "deleted 1 unconfirmed sign-up older than 7 days\n"
    assert sorted(running.emails()) == ["fresh@example.org", "kept@example.org"]
    assert run_cli(running, "purge", "--unconfirmed-older-than", "soon").returncode == 2
    assert run_cli(running, "purge").returncode == 2  # the age is required


def test_the_service_purges_expired_unconfirmed_sign_ups_by_itself(
    start: Callable[..., Service], inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    """At start and then daily, with double opt-in on (without it nothing is ever confirmed,
    so nothing is purged)."""
    _, port = inbox
    db = tmp_path / "purged.sqlite3"
    Store.from_url(f"sqlite:///{db}").create_schema()
    add_row(db, "expired@example.org", age=timedelta(days=8))
    add_row(db, "pending@example.org", age=timedelta(days=1))
    add_row(db, "member@example.org", age=timedelta(days=60), confirmed=True)
    plain = start(db_path=db, WAITLIST_RATE_LIMIT="0")
    time.sleep(1)
    assert "expired@example.org" in plain.emails()
    plain.stop()
    running = start(db_path=db, SMTP_URL=f"smtp://127.0.0.1:{port}", WAITLIST_SECRET=SECRET,
                    WAITLIST_RATE_LIMIT="0")
    deadline = time.monotonic() + 10
    while "expired@example.org" in running.emails() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running.emails() == ["pending@example.org", "member@example.org"]


def test_the_purge_repeats(tmp_path: Path) -> None:
    """purge_daily runs again after its interval (a day in the service)."""
    db = tmp_path / "daily.sqlite3"
    store = Store.from_url(f"sqlite:///{db}")
    store.create_schema()

    async def scenario() -> list[str]:
        task = asyncio.create_task(purge_daily(store, interval=0.2))
        await asyncio.sleep(0.1)  # the first purge has run: now an expired row appears
        add_row(db, "later@example.org", age=timedelta(days=9))
        await asyncio.sleep(0.5)
        task.cancel()
        with sqlite3.connect(db) as connection:
            return [row[0] for row in connection.execute("SELECT email FROM waitlist_signups")]

    # In a thread of its own: in the whole suite, an earlier test's event loop may still be the
    # running one in this thread, and asyncio.run() refuses to start inside it.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        remaining = pool.submit(asyncio.run, scenario()).result()
    try:
        assert remaining == []
    finally:
        store.dispose()


def test_stats_count_days_sources_confirmations_and_removals(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    db = mail_service.db_path
    add_row(db, "before@example.org", age=timedelta(days=3), confirmed=True, source="landing")
    with mail_service.client() as client:
        signup_json(client, "s1@example.org", source="landing")
        signup_json(client, "s2@example.org", source="privacy")
        client.post("/api/waitlist", json={"email": "s3@example.org", "consent": True})
        messages_in = box.wait_for(3)
        [to_confirm] = [m for m in messages_in if m["To"] == "s1@example.org"]
        [to_leave] = [m for m in messages_in if m["To"] == "s2@example.org"]
        confirm(client, confirm_link(to_confirm))
        client.post("/api/waitlist/unsubscribe", data={"token": token_of(unsubscribe_link(to_leave))})
        refused = client.get("/api/waitlist/stats")
        assert refused.status_code == 401
    today = datetime.now(UTC).date().isoformat()
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    data = stats(mail_service)
    assert data == {
        "totals": {"signups": 3, "confirmed": 2, "unconfirmed": 1, "unsubscribed": 1,
                   "removed": 0, "purged": 0},
        "days": [
            {"day": three_days_ago, "signups": 1, "confirmed": 1, "unconfirmed": 0,
             "unsubscribed": 0, "removed": 0, "purged": 0},
            {"day": today, "signups": 2, "confirmed": 1, "unconfirmed": 1, "unsubscribed": 1,
             "removed": 0, "purged": 0},
        ],
        "sources": [
            {"source": "", "signups": 1, "confirmed": 0, "unconfirmed": 1},
            {"source": "landing", "signups": 2, "confirmed": 2, "unconfirmed": 0},
        ],
    }
    printed = run_cli(mail_service, "stats", "--json")
    assert printed.returncode == 0 and json.loads(printed.stdout) == data
    table = run_cli(mail_service, "stats").stdout.splitlines()
    assert table[0].split() == ["day", "signups", "confirmed", "unconfirmed", "unsubscribed",
                                "removed", "purged"]
    assert table[2].split() == [today, "2", "1", "1", "1", "0", "0"]
    assert table[3].split() == ["total", "3", "2", "1", "1", "0", "0"]
    assert "(none)" in table[6] and table[7].split() == ["landing", "2", "2", "0"]
    # What the statistics keep: counts, never a person's address, IP or browser.
    with sqlite3.connect(db) as connection:
        tally = connection.execute("SELECT * FROM waitlist_tally").fetchall()
        log_keys = [row[0] for row in connection.execute("SELECT mailbox FROM waitlist_mail_log")]
    assert tally == [(today, "unsubscribed", 1)]
    assert all("@" not in key for key in log_keys)


def test_stats_need_the_admin_token(client: httpx.Client) -> None:
    assert client.get("/api/waitlist/stats").status_code == 401
    assert client.get("/api/waitlist/stats",
                      headers={"authorization": "Bearer wrong-token-0123456789abcdef"}).status_code == 401
    ok = client.get("/api/waitlist/stats", headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    assert ok.status_code == 200 and set(ok.json()) == {"totals", "days", "sources"}


def test_stats_of_an_empty_database(tmp_path: Path) -> None:
    """Tables and no rows: zeros. (No database at all is an error: test_backup.py.)"""
    url = f"sqlite:///{tmp_path}/empty.sqlite3"
    store = Store.from_url(url)
    store.create_schema()
    store.dispose()
    env = service_env(DATABASE_URL=url)
    printed = subprocess.run([sys.executable, "-m", "waitlist", "stats", "--json"], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0
    assert json.loads(printed.stdout)["totals"]["signups"] == 0
