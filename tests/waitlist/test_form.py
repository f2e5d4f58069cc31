"""The no-JavaScript path: form posts, redirects, and the error page filled on the server."""

from __future__ import annotations

import gzip
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import brotli
import httpx
import pytest

from tests.waitlist.conftest import Service
from waitlist import messages


def post_form(client: httpx.Client, fields: dict[str, str]) -> httpx.Response:
    return client.post("/api/waitlist", data=fields)


def error_query(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/waitlist/error/"
    return parse_qs(location.query, keep_blank_values=True)


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
    ("fields", "reason", "consent"),
    [
        ({"email": "not-an-email", "consent": "on"}, "invalid-email", "on"),
        ({"email": "kept@example.com"}, "consent-missing", ""),
        ({"email": "kept@example.com", "consent": "on", "source": "<bad source>"},
         "bad-request", "on"),
    ],
)
def test_bad_form_redirects_to_the_error_page_with_what_was_typed(
    client: httpx.Client, service: Service, fields: dict[str, str], reason: str, consent: str
) -> None:
    before = service.count()
    query = error_query(post_form(client, fields))
    assert query == {"reason": [reason], "email": [fields["email"]], "consent": [consent]}
    assert service.count() == before


def test_oversized_form_redirects_with_too_large(client: httpx.Client) -> None:
    query = error_query(post_form(client, {"email": "a@example.com", "consent": "on",
                                           "website": "x" * 5000}))
    assert query["reason"] == ["too-large"]


def test_error_page_explains_and_keeps_the_typed_email(client: httpx.Client) -> None:
    """The whole no-JS round trip: post, follow the redirect, read the filled page."""
    response = post_form(client, {"email": "name@example", "consent": "on"})
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    message = re.search(r'<p id="rt-waitlist-message"[^>]*>(.*?)</p>', page.text)
    assert message and message.group(1) == messages.REASONS["invalid-email"]
    email_input = re.search(r'<input[^>]*id="rt-waitlist-email"[^>]*>', page.text)
    assert email_input and 'value="name@example"' in email_input.group(0)
    consent_input = re.search(r'<input[^>]*id="rt-waitlist-consent"[^>]*>', page.text)
    assert consent_input and " checked" in consent_input.group(0)


def test_error_page_escapes_the_typed_email(client: httpx.Client) -> None:
    typed = '"><script>alert(1)</script>'
    response = post_form(client, {"email": typed})
    page = client.get(response.headers["location"])
    assert "<script>alert(1)</script>" not in page.text
    email_input = re.search(r'<input[^>]*id="rt-waitlist-email"[^>]*>', page.text)
    assert email_input is not None
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in email_input.group(0)
    consent_input = re.search(r'<input[^>]*id="rt-waitlist-consent"[^>]*>', page.text)
    assert consent_input and "checked" not in consent_input.group(0)
    assert messages.REASONS["invalid-email"] in page.text


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
    with client.stream("GET", "/waitlist/error/", params={"reason": "invalid-email", "email": "kept@example"},
                       headers={"Accept-Encoding": accept}) as page:
        raw = b"".join(page.iter_raw())
        assert page.headers.get("content-encoding") == coding
        assert "Accept-Encoding" in page.headers["vary"] and page.headers["cache-control"] == "no-store"
    body = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[coding](raw).decode("utf-8")
    assert 'value="kept@example"' in body and messages.REASONS["invalid-email"] in body
