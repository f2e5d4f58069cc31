"""Double opt-in against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.waitlist.conftest import (
    ADMIN_TOKEN,
    SECRET,
    SITE_URL,
    SMTP_PASSWORD,
    SMTP_USER,
    Inbox,
    Service,
    confirm_link,
    free_port,
    local,
    signup_json,
)
from waitlist import messages
from waitlist.mailer import CONFIRM_MAX_AGE_SECONDS, CONFIRM_SALT


@pytest.fixture
def mail_service(start: Callable[..., Service], inbox: tuple[Inbox, int]) -> Service:
    _, port = inbox
    return start(
        SMTP_URL=f"smtp://{SMTP_USER}:p%40ss%3Aword%2F1@127.0.0.1:{port}",
        SMTP_FROM="Rebuilding Trust <waitlist@course.example.org>",
        WAITLIST_SECRET=SECRET,
        SITE_URL=SITE_URL,
        WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN,
        WAITLIST_RATE_LIMIT="0",
    )


def exported(service: Service) -> dict[str, dict[str, str]]:
    with service.client() as client:
        text = client.get("/api/waitlist/export",
                          headers={"authorization": f"Bearer {ADMIN_TOKEN}"}).text
    return {row["email"]: row for row in csv.DictReader(io.StringIO(text))}


def test_confirmation_mail_arrives_and_its_link_confirms(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        reply = signup_json(client, "Reader@Example.org")
        assert reply.status_code == 200
        assert reply.json()["message"] == messages.SUCCESS_CONFIRM
        [message] = box.wait_for(1)
        assert message["To"] == "reader@example.org"
        assert message["From"] == "Rebuilding Trust <waitlist@course.example.org>"
        assert message.get_content_type() == "text/plain"
        assert box.logins == [(SMTP_USER, SMTP_PASSWORD)]
        assert exported(mail_service)["reader@example.org"]["confirmed_at"] == ""
        confirmed = client.get(local(confirm_link(message)))
        assert confirmed.status_code == 303
        assert confirmed.headers["location"] == "/waitlist/confirmed/"
    stamp = exported(mail_service)["reader@example.org"]["confirmed_at"]
    assert stamp.endswith("Z")


def test_a_repeated_signup_does_not_flood_the_inbox(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        first = signup_json(client, "again@example.org")
        second = signup_json(client, "AGAIN@example.org")
    assert first.content == second.content
    box.wait_for(1)
    time.sleep(0.5)
    assert len(box.messages) == 1


def _refused(service: Service, path: str) -> None:
    with service.client() as client:
        response = client.get(path)
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/waitlist/error/"
        assert parse_qs(location.query) == {"reason": ["bad-link"]}
        page = client.get(response.headers["location"])
        assert messages.REASONS["bad-link"] in page.text


def test_tampered_and_expired_links_are_refused(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        signup_json(client, "careful@example.org")
    [message] = box.wait_for(1)
    token = parse_qs(urlsplit(confirm_link(message)).query)["token"][0]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    _refused(mail_service, f"/api/waitlist/confirm?token={tampered}")
    _refused(mail_service, "/api/waitlist/confirm")

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - CONFIRM_MAX_AGE_SECONDS - 24 * 3600

    old = URLSafeTimedSerializer(SECRET, salt=CONFIRM_SALT, signer=EightDaysAgo)
    expired = old.dumps("careful@example.org")
    _refused(mail_service, f"/api/waitlist/confirm?token={expired}")
    forged = URLSafeTimedSerializer("another-secret-entirely-123456", salt=CONFIRM_SALT)
    _refused(mail_service, f"/api/waitlist/confirm?token={forged.dumps('careful@example.org')}")
    # A valid token for an address that never signed up confirms nothing.
    unknown = URLSafeTimedSerializer(SECRET, salt=CONFIRM_SALT).dumps("stranger@example.org")
    _refused(mail_service, f"/api/waitlist/confirm?token={unknown}")
    assert exported(mail_service)["careful@example.org"]["confirmed_at"] == ""


def test_a_broken_mail_server_never_fails_the_signup(start: Callable[..., Service]) -> None:
    dead_port = free_port()  # nothing listens there
    running = start(SMTP_URL=f"smtp://127.0.0.1:{dead_port}", WAITLIST_SECRET=SECRET,
                    WAITLIST_RATE_LIMIT="0")
    with running.client() as client:
        started = time.monotonic()
        reply = signup_json(client, "still@example.org")
        assert reply.status_code == 200
        assert time.monotonic() - started < 2
    assert "still@example.org" in running.emails()
    deadline = time.monotonic() + 5
    while "attempt 1 failed" not in running.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "attempt 1 failed" in running.log()
    assert "still@example.org" not in running.log()  # logs never hold an address


def test_smtp_without_secret_refuses_to_start(start: Callable[..., Service]) -> None:
    with pytest.raises(RuntimeError, match="WAITLIST_SECRET"):
        start(SMTP_URL="smtp://127.0.0.1:2525")
