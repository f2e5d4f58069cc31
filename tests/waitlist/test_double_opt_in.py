"""Double opt-in against a real SMTP server (aiosmtpd on 127.0.0.1): the link opens a page
whose button POSTs the token; a GET never confirms anything."""

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
    confirm,
    confirm_link,
    free_port,
    local,
    signup_json,
    token_of,
)
from waitlist import messages
from waitlist.tokens import CONFIRM_MAX_AGE_SECONDS, CONFIRM_SALT, Tokens


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
        assert reply.json() == {"ok": True, "message": messages.SUCCESS_CONFIRM, "confirm": True}
        [message] = box.wait_for(1)
        assert message["To"] == "reader@example.org"
        assert message["From"] == "Rebuilding Trust <waitlist@course.example.org>"
        assert message.get_content_type() == "text/plain"
        assert box.logins == [(SMTP_USER, SMTP_PASSWORD)]
        assert exported(mail_service)["reader@example.org"]["confirmed_at"] == ""
        confirmed = confirm(client, confirm_link(message))
        assert confirmed.status_code == 303
        assert confirmed.headers["location"] == "/waitlist/confirmed/"
    stamp = exported(mail_service)["reader@example.org"]["confirmed_at"]
    assert stamp.endswith("Z")


def test_a_form_sign_up_is_told_to_check_the_inbox(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        posted = client.post("/api/waitlist", data={"email": "nojs@example.org", "consent": "on"})
        assert posted.status_code == 303
        assert posted.headers["location"] == "/waitlist/check-inbox/"
    assert [str(message["To"]) for message in box.wait_for(1)] == ["nojs@example.org"]


def test_opening_the_link_confirms_nothing(mail_service: Service, inbox: tuple[Inbox, int]) -> None:
    """Mail scanners (Safe Links, Proofpoint) open every link: a GET, of the page or of the
    old API address, changes nothing; only the page's button (a POST) confirms."""
    box, _ = inbox
    with mail_service.client() as client:
        signup_json(client, "scanned@example.org")
        [message] = box.wait_for(1)
        link = confirm_link(message)
        token = token_of(link)
        assert "scanned" not in link  # the token names a row, not the address
        page = client.get(local(link))
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert f'id="rt-waitlist-token" name="token" value="{token}"' in page.text
        assert 'action="/api/waitlist/confirm" method="post"' in page.text
        old_style = client.get("/api/waitlist/confirm", params={"token": token})
        assert old_style.status_code == 303
        assert old_style.headers["location"] == f"/waitlist/confirm/?token={token}"
        client.get(old_style.headers["location"])
        assert exported(mail_service)["scanned@example.org"]["confirmed_at"] == ""
        posted = client.post("/api/waitlist/confirm", data={"token": token})
        assert posted.headers["location"] == "/waitlist/confirmed/"
    assert exported(mail_service)["scanned@example.org"]["confirmed_at"].endswith("Z")


def test_a_link_mailed_before_the_upgrade_still_confirms(mail_service: Service) -> None:
    """Links of version 1.0 carried the address itself; they stay good for their 7 days."""
    with mail_service.client() as client:
        signup_json(client, "early@example.org")
        legacy = URLSafeTimedSerializer(SECRET, salt=CONFIRM_SALT).dumps("early@example.org")
        page = client.get("/api/waitlist/confirm", params={"token": legacy})
        assert exported(mail_service)["early@example.org"]["confirmed_at"] == ""
        posted = client.post("/api/waitlist/confirm", data={"token": legacy})
        assert page.status_code == 303 and posted.headers["location"] == "/waitlist/confirmed/"
    assert exported(mail_service)["early@example.org"]["confirmed_at"].endswith("Z")


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


def _refused(service: Service, token: str | None) -> None:
    with service.client() as client:
        response = client.post("/api/waitlist/confirm",
                               data={} if token is None else {"token": token})
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/waitlist/error/"
        assert parse_qs(location.query) == {"reason": ["bad-link"]}
        page = client.get(response.headers["location"])
        assert messages.REASONS["bad-link"] in page.text


class EightDaysAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - CONFIRM_MAX_AGE_SECONDS - 24 * 3600


def test_tampered_and_expired_links_are_refused(
    mail_service: Service, inbox: tuple[Inbox, int]
) -> None:
    box, _ = inbox
    with mail_service.client() as client:
        signup_json(client, "careful@example.org")
    [message] = box.wait_for(1)
    token = token_of(confirm_link(message))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    _refused(mail_service, tampered)
    _refused(mail_service, None)
    _refused(mail_service, "")
    [row_id, digest] = URLSafeTimedSerializer(SECRET, salt=CONFIRM_SALT).loads(token)
    expired = URLSafeTimedSerializer(SECRET, salt=CONFIRM_SALT, signer=EightDaysAgo)
    _refused(mail_service, expired.dumps([row_id, digest]))
    _refused(mail_service, expired.dumps("careful@example.org"))
    forged = URLSafeTimedSerializer("another-secret-entirely-123456", salt=CONFIRM_SALT)
    _refused(mail_service, forged.dumps([row_id, digest]))
    # Signed, but for another row, or a digest that is not this address's.
    genuine = URLSafeTimedSerializer(SECRET, salt=CONFIRM_SALT)
    _refused(mail_service, genuine.dumps([row_id + 1, digest]))
    _refused(mail_service, genuine.dumps([row_id, Tokens(SECRET).address_digest("x@example.org")]))
    # An unsubscribe token is no confirmation token.
    _refused(mail_service, Tokens(SECRET).unsubscribe_token(row_id, "careful@example.org"))
    # A valid token for an address that never signed up confirms nothing.
    _refused(mail_service, genuine.dumps("stranger@example.org"))
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
