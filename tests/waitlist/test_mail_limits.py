"""How many mails go out: one per inbox however the address is written, limits that survive a
restart, a global hourly cap, and a full queue that records nothing. Against a real SMTP server
(aiosmtpd) and the real database file."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, event
from starlette.testclient import TestClient

from tests.waitlist.conftest import (
    ADMIN_TOKEN,
    SECRET,
    SITE_URL,
    Inbox,
    Service,
    confirm,
    confirm_link,
    free_port,
    signup_json,
)
from tests.waitlist.helpers import check_mail_limits
from waitlist import mailer, messages
from waitlist.app import create_app
from waitlist.config import Settings
from waitlist.store import Store
from waitlist.tokens import Tokens, normalised_mailbox

VARIANTS = [f"victim+{n}@gmail.com" for n in range(10)] + [
    "v.ictim@gmail.com", "vic.tim+x@googlemail.com", "V.I.C.T.I.M@Gmail.com",
]


def mail_settings(smtp_port: int, **extra: str) -> dict[str, str]:
    return {"SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "WAITLIST_SECRET": SECRET,
            "SITE_URL": SITE_URL, "WAITLIST_RATE_LIMIT": "0", "WAITLIST_ADMIN_TOKEN": ADMIN_TOKEN,
            **extra}


def settle(box: Inbox, expected: int) -> list[str]:
    """The recipients once ``expected`` mails arrived and a moment passed for any extra."""
    box.wait_for(expected)
    time.sleep(0.7)
    return [str(message["To"]) for message in box.messages]


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [("Victim+news@Gmail.com", "victim@gmail.com"), ("v.i.c.t.i.m@googlemail.com", "victim@gmail.com"),
     ("first.last+x@example.org", "first.last@example.org"), ("a@xn--bcher-kva.example", "a@xn--bcher-kva.example")],
)
def test_normalised_mailbox(address: str, mailbox: str) -> None:
    assert normalised_mailbox(address) == mailbox


def test_plus_and_dot_variants_get_one_mail_and_a_restart_forgets_nothing(
    start: Callable[..., Service], inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    box, port = inbox
    db = tmp_path / "shared.sqlite3"
    first = start(db_path=db, **mail_settings(port))
    with first.client() as client:
        replies = [signup_json(client, email) for email in VARIANTS]
        replies.append(signup_json(client, "a.b@example.org"))
        replies.append(signup_json(client, "ab@example.org"))  # dots count outside Gmail
    assert {reply.status_code for reply in replies} == {200}
    assert len({reply.content for reply in replies}) == 1  # nobody can tell who got a mail
    assert sorted(settle(box, 3)) == ["a.b@example.org", "ab@example.org", "victim+0@gmail.com"]
    assert len(first.emails()) == len(VARIANTS) + 2  # every sign-up is kept
    assert first.stop() == 0

    second = start(db_path=db, **mail_settings(port))
    with second.client() as client:
        assert signup_json(client, "victim+after-restart@gmail.com").status_code == 200
        assert signup_json(client, "victim@gmail.com").status_code == 200
        assert signup_json(client, "someone.else@example.org").status_code == 200
    assert sorted(settle(box, 4)) == ["a.b@example.org", "ab@example.org",
                                      "someone.else@example.org", "victim+0@gmail.com"]


def test_the_global_hourly_cap_holds_and_says_try_again_later(
    start: Callable[..., Service], inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    box, port = inbox
    db = tmp_path / "capped.sqlite3"
    running = start(db_path=db, **mail_settings(port, WAITLIST_MAIL_PER_HOUR="3"))
    with running.client() as client:
        sent = [signup_json(client, f"cap{n}@example.org") for n in range(3)]
        assert [reply.status_code for reply in sent] == [200, 200, 200]
        assert sent[0].json()["message"] == messages.SUCCESS_CONFIRM
        settle(box, 3)
        capped = signup_json(client, "cap3@example.org")
        assert capped.status_code == 503
        assert capped.json() == {"error": messages.REASONS["mail-busy"], "field": None}
        assert int(capped.headers["retry-after"]) > 0
        assert "cap3@example.org" in running.emails()  # kept: signing up later sends the link
        # Without JavaScript: the error page, the address kept, never "check your inbox".
        form = client.post("/api/waitlist", data={"email": "cap4@example.org", "consent": "on"})
        assert form.status_code == 503 and messages.REASONS["mail-busy"] in form.text
        assert 'value="cap4@example.org"' in form.text
        # A confirmed address needs no mail, and gets the same reply: no one learns who is in.
        confirmed = confirm(client, confirm_link(box.messages[0]))
        assert confirmed.headers["location"] == "/waitlist/confirmed/"
        again = signup_json(client, str(box.messages[0]["To"]))
        assert again.status_code == 503 and again.content == capped.content
    assert running.stop() == 0
    restarted = start(db_path=db, **mail_settings(port, WAITLIST_MAIL_PER_HOUR="3"))
    with restarted.client() as client:
        assert signup_json(client, "cap5@example.org").status_code == 503
    assert len(settle(box, 3)) == 3


def test_the_daily_limit_of_one_inbox_and_the_cap_window(tmp_path: Path) -> None:
    """The bookkeeping's SQL on its own (SQLite file; PostgreSQL in test_postgres.py)."""
    check_mail_limits(Store.from_url(f"sqlite:///{tmp_path / 'limits.sqlite3'}"))


# -- in one process: the queue, and which thread does the bookkeeping ------------------------


class HeldInbox(Inbox):
    """An SMTP server that takes no mail until ``release``: the mailer thread waits on it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.arrived = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 20)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def held_inbox() -> Iterator[tuple[HeldInbox, int]]:
    box, port = HeldInbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    box.gate.set()
    controller.stop()


def in_process(site_dir: Path, db: Path, smtp_port: int) -> TestClient:
    env = {**mail_settings(smtp_port), "SITE_DIR": str(site_dir), "DATABASE_URL": f"sqlite:///{db}"}
    return TestClient(create_app(Settings.from_env(env)), follow_redirects=False)


def logged_mailboxes(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {row[0] for row in connection.execute("SELECT mailbox FROM waitlist_mail_log")}


def test_a_full_queue_records_no_cooldown_and_says_try_again_later(
    site_dir: Path, tmp_path: Path, held_inbox: tuple[HeldInbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box, port = held_inbox
    monkeypatch.setattr(mailer, "MAX_QUEUED_MAILS", 1)
    db = tmp_path / "queue.sqlite3"
    tokens = Tokens(SECRET)
    with in_process(site_dir, db, port) as client:
        assert signup_json(client, "one@example.org").status_code == 200
        assert box.arrived.wait(10)  # being sent (held): off the queue
        assert signup_json(client, "two@example.org").status_code == 200  # queued: the 1 place
        full = signup_json(client, "three@example.org")
        assert full.status_code == 503
        assert full.json()["error"] == messages.REASONS["mail-busy"]
        assert logged_mailboxes(db) == {"*", tokens.mailbox_key("one@example.org"),
                                        tokens.mailbox_key("two@example.org")}
        box.gate.set()
        box.wait_for(2)
        time.sleep(0.3)
        # Nothing was counted for three@: signing up again now sends the link at once.
        assert signup_json(client, "three@example.org").status_code == 200
        assert [str(m["To"]) for m in box.wait_for(3)] == ["one@example.org", "two@example.org",
                                                           "three@example.org"]


def test_the_bookkeeping_runs_on_the_writer_thread(
    site_dir: Path, tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    """Never on the event loop: no per-sign-up work there grows with the number of inboxes."""
    box, port = inbox
    counting: list[str] = []  # the threads that counted mails
    on_the_loop: list[str] = []  # statements on the mail table run by the event loop's thread

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "waitlist_mail_log" not in statement:
            return
        if statement.lstrip().upper().startswith("INSERT"):
            counting.append(threading.current_thread().name)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        on_the_loop.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        with in_process(site_dir, tmp_path / "threads.sqlite3", port) as client:
            for n in range(5):
                assert signup_json(client, f"thread{n}@example.org").status_code == 200
            box.wait_for(5)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert len(counting) == 2 * 5 and set(counting) == {"waitlist-writer"}  # global + inbox
    assert on_the_loop == []


def test_a_restarted_service_keeps_its_limits_on_sigterm(
    start: Callable[..., Service], inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    """The same after a crash (SIGKILL): the count was committed with the sign-up."""
    box, port = inbox
    db = tmp_path / "killed.sqlite3"
    first = start(db_path=db, **mail_settings(port))
    with first.client() as client:
        assert signup_json(client, "crash@example.org").status_code == 200
    settle(box, 1)
    first.stop(signal.SIGKILL)
    second = start(db_path=db, **mail_settings(port))
    with second.client() as client:
        assert signup_json(client, "crash+again@example.org").status_code == 200
    assert len(settle(box, 1)) == 1


def test_a_mail_the_server_never_took_leaves_no_cooldown(
    start: Callable[..., Service], inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    """Every attempt failed (the mail server was down): the inbox got nothing, so signing up
    again once the server is back sends the link at once."""
    box, port = inbox
    db = tmp_path / "down.sqlite3"
    broken = start(db_path=db, **mail_settings(free_port()))  # nothing listens there
    with broken.client() as client:
        assert signup_json(client, "retry@example.org").status_code == 200
    key = Tokens(SECRET).mailbox_key("retry@example.org")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as connection:
            row = connection.execute("SELECT sent, last_sent FROM waitlist_mail_log WHERE mailbox = ?",
                                     (key,)).fetchone()
        if row == (0, 0):
            break
        time.sleep(0.2)
    assert "not sent after 3 attempts" in broken.log() and row == (0, 0)
    assert broken.stop() == 0
    mended = start(db_path=db, **mail_settings(port))
    with mended.client() as client:
        assert signup_json(client, "retry@example.org").status_code == 200
    assert settle(box, 1) == ["retry@example.org"]
