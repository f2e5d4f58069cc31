"""The no-JavaScript path: form posts, the redirect to the thank-you page, and the error page
filled on the server as the reply to the POST (what was typed never goes into an address)."""

from __future__ import annotations

import gzip
import html
import re
import uuid

import brotli
import httpx
import pytest

from tests.waitlist.conftest import Service
from waitlist import messages


def post_form(client: httpx.Client, fields: dict[str, str]) -> httpx.Response:
    return client.post("/api/waitlist", data=fields)


def error_page(response: httpx.Response) -> tuple[str, str, bool]:
    """The error page a refused form post gets: (message, the email input's value, consent
    ticked); it comes as the reply itself, with no redirect."""
    assert 400 <= response.status_code < 600 and "location" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    message = re.search(r'<p id="rt-waitlist-message"[^>]*>(.*?)</p>', response.text)
    email_input = re.search(r'<input[^>]*id="rt-waitlist-email"[^>]*>', response.text)
    consent_input = re.search(r'<input[^>]*id="rt-waitlist-consent"[^>]*>', response.text)
    assert message and email_input and consent_input
    value = re.search(r'value="([^"]*)"', email_input.group(0))
    return (html.unescape(message.group(1)), html.unescape(value.group(1)) if value else "",
            " checked" in consent_input.group(0))


def test_form_success_redirects_to_thanks(client: httpx.Client, service: Service) -> None:
    email = f"form-{uuid.uuid4().hex[:10]}@example.com"
    response = post_form(client, {"email": email, "consent": "on", "website": "",
                                  "source": "landing"})
    assert response.status_code == 303
    assert response.headers["location"] == "/waitlist/thanks/"
    assert email in service.emails()
    thanks = client.get(response.headers["location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.text


def test_form_duplicate_redirects_to_thanks_too(client: httpx.Client, service: Service) -> None:
    email = f"formdup-{uuid.uuid4().hex[:10]}@example.com"
    first = post_form(client, {"email": email, "consent": "on"})
    second = post_form(client, {"email": email.upper(), "consent": "on"})
    assert first.headers["location"] == second.headers["location"] == "/waitlist/thanks/"
    assert service.emails().count(email) == 1


def test_form_honeypot_redirects_to_thanks_and_stores_nothing(
    client: httpx.Client, service: Service
) -> None:
    email = f"formbot-{uuid.uuid4().hex[:10]}@example.com"
    response = post_form(client, {"email": email, "consent": "on", "website": "spam"})
    assert response.headers["location"] == "/waitlist/thanks/"
    assert email not in service.emails()


@pytest.mark.parametrize(
    ("fields", "reason", "status", "consent"),
    [
        ({"email": "not-an-email", "consent": "on"}, "invalid-email", 422, True),
        ({"email": "kept@example.com"}, "consent-missing", 422, False),
        ({"email": "kept@example.com", "consent": "on", "source": "<bad source>"},
         "bad-request", 400, True),
    ],
)
def test_a_bad_form_gets_the_error_page_with_what_was_typed(
    client: httpx.Client, service: Service, fields: dict[str, str], reason: str, status: int,
    consent: bool,
) -> None:
    """The page explains and keeps the email and the tick, but the email is in no address:
    a redirect to /waitlist/error/?email=... would leave it in every proxy's access log."""
    before = service.count()
    response = post_form(client, fields)
    assert response.status_code == status
    assert error_page(response) == (messages.REASONS[reason], fields["email"], consent)
    assert service.count() == before


def test_oversized_form_gets_too_large(client: httpx.Client) -> None:
    response = post_form(client, {"email": "a@example.com", "consent": "on", "website": "x" * 5000})
    assert response.status_code == 413
    assert error_page(response)[0] == messages.REASONS["too-large"]


def test_the_error_page_address_never_fills_in_an_email(client: httpx.Client) -> None:
    """An old-style /waitlist/error/?email=... address puts nothing into the page."""
    page = client.get("/waitlist/error/", params={"reason": "invalid-email", "email": "x@example.com"})
    assert page.status_code == 200
    assert "x@example.com" not in page.text


def test_error_page_escapes_the_typed_email(client: httpx.Client) -> None:
    typed = '"><script>alert(1)</script>'
    response = post_form(client, {"email": typed})
    assert "<script>alert(1)</script>" not in response.text
    email_input = re.search(r'<input[^>]*id="rt-waitlist-email"[^>]*>', response.text)
    assert email_input is not None
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in email_input.group(0)
    assert error_page(response) == (messages.REASONS["invalid-email"], typed, False)


@pytest.mark.parametrize("reason", sorted(messages.REASONS))
def test_error_page_has_a_message_for_every_reason(client: httpx.Client, reason: str) -> None:
    page = client.get("/waitlist/error/", params={"reason": reason})
    assert messages.REASONS[reason].replace("'", "&#x27;") in page.text


def test_error_page_with_an_unknown_reason_stays_calm(client: httpx.Client) -> None:
    page = client.get("/waitlist/error/", params={"reason": "<b>nope</b>"})
    assert page.status_code == 200
    assert messages.UNKNOWN_REASON in page.text
    assert "<b>nope</b>" not in page.text


@pytest.mark.parametrize("accept, coding", [("br, gzip", "br"), ("gzip", "gzip"), ("identity", None)])
def test_error_page_is_compressed_as_the_client_allows(client: httpx.Client, accept: str, coding: str | None) -> None:
    """The error page is made per request, so it has no precompressed copy: it is compressed
    on the way out, like every other page the service sends."""
    with client.stream("POST", "/api/waitlist", data={"email": "kept@example", "consent": "on"},
                       headers={"Accept-Encoding": accept}) as page:
        raw = b"".join(page.iter_raw())
        assert page.headers.get("content-encoding") == coding
        assert "Accept-Encoding" in page.headers["vary"] and page.headers["cache-control"] == "no-store"
    body = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[coding](raw).decode("utf-8")
    assert 'value="kept@example"' in body and messages.REASONS["invalid-email"] in body
