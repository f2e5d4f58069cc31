"""POST /api/waitlist with JSON: replies, validation, duplicates, honeypot, limits."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.waitlist.conftest import Service, signup_json
from waitlist import messages


def fresh(prefix: str = "person") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def test_signup_is_stored_before_the_reply(client: httpx.Client, service: Service) -> None:
    """A 200 means the row is already in the database file, with consent time and source."""
    email = fresh()
    response = signup_json(client, email)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "message": messages.SUCCESS}
    assert response.headers["cache-control"] == "no-store"
    [row] = [row for row in service.rows() if row[0] == email]
    _, consent_at, source, created_at, confirmed_at = row
    assert consent_at and created_at and source == "landing" and confirmed_at is None


def test_duplicates_in_any_case_are_stored_once_with_the_same_reply(
    client: httpx.Client, service: Service
) -> None:
    """`A@Example.com ` and `a@example.com` are one sign-up; nobody can tell it was known."""
    local = f"dup-{uuid.uuid4().hex[:10]}"
    variants = [f"{local.upper()}@Example.COM ", f"{local}@example.com", f"\t{local}@EXAMPLE.com"]
    replies = [signup_json(client, email) for email in variants]
    assert {reply.status_code for reply in replies} == {200}
    assert len({reply.content for reply in replies}) == 1
    assert service.emails().count(f"{local}@example.com") == 1


def test_an_internationalised_domain_is_accepted_and_stored_once(
    client: httpx.Client, service: Service
) -> None:
    """`user@bücher.example` and its punycode form are one address, kept in the ASCII form."""
    local = f"idn-{uuid.uuid4().hex[:10]}"
    replies = [signup_json(client, f"{local}@bücher.example"),
               signup_json(client, f"{local}@xn--bcher-kva.example"),
               signup_json(client, f"{local.upper()}@BÜCHER.example")]
    assert [reply.status_code for reply in replies] == [200, 200, 200]
    assert len({reply.content for reply in replies}) == 1
    assert service.emails().count(f"{local}@xn--bcher-kva.example") == 1
    assert not [email for email in service.emails() if "bücher" in email]


@pytest.mark.parametrize(
    "email",
    ["", "   ", "plainaddress", "@example.com", "name@", "name@localhost", "a b@example.com",
     "name@example..com", "name@-example.com", ".name@example.com", "name.@example.com",
     "=cmd@example.com", "José@example.com", f"{'a' * 65}@example.com",
     f"a@{'b' * 250}.com", '"><script>alert(1)</script>@example.com'],
)
def test_invalid_email_is_refused_with_the_email_field(
    client: httpx.Client, service: Service, email: str
) -> None:
    before = service.count()
    response = signup_json(client, email)
    assert response.status_code == 422
    assert response.json() == {"error": messages.REASONS["invalid-email"], "field": "email"}
    assert service.count() == before


@pytest.mark.parametrize("consent", [False, None])
def test_missing_consent_is_refused(
    client: httpx.Client, service: Service, consent: object
) -> None:
    email = fresh()
    payload = {"email": email, "website": ""}
    if consent is not None:
        payload["consent"] = consent  # type: ignore[assignment]
    response = client.post("/api/waitlist", json=payload)
    assert response.status_code == 422
    assert response.json() == {"error": messages.REASONS["consent-missing"], "field": "consent"}
    assert email not in service.emails()


def test_filled_honeypot_looks_like_success_and_stores_nothing(
    client: httpx.Client, service: Service
) -> None:
    real, bot = fresh("real"), fresh("bot")
    genuine = signup_json(client, real)
    trapped = signup_json(client, bot, website="https://spam.example")
    assert trapped.status_code == genuine.status_code == 200
    assert trapped.content == genuine.content
    assert bot not in service.emails()


def test_a_body_over_the_limit_gets_413(client: httpx.Client, service: Service) -> None:
    before = service.count()
    padding = "x" * 5000
    response = signup_json(client, fresh(), note=padding)
    assert response.status_code == 413
    assert response.json()["field"] is None
    assert service.count() == before


def test_a_chunked_body_over_the_limit_gets_413(client: httpx.Client) -> None:
    """No Content-Length to trust: the limit holds while reading."""
    chunks = iter([b'{"email": "', b"a" * 3000, b"b" * 3000, b'@example.com", "consent": true}'])
    response = client.post(
        "/api/waitlist", content=chunks, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml", None]
)
def test_wrong_content_type_gets_415(
    client: httpx.Client, service: Service, content_type: str | None
) -> None:
    before = service.count()
    headers = {"content-type": content_type} if content_type else {}
    body = f'{{"email": "{fresh()}", "consent": true}}'
    response = client.post("/api/waitlist", content=body, headers=headers)
    assert response.status_code == 415
    assert response.json() == {"error": messages.REASONS["unsupported-type"], "field": None}
    assert service.count() == before


@pytest.mark.parametrize(
    "body",
    [b"{", b"", b"null", b"[]", b'["a@example.com"]', b"42", b'"a@example.com"',
     b'{"email": 42, "consent": true}', b'{"email": ["a@example.com"], "consent": true}',
     b'{"email": {"x": 1}, "consent": true}', b'{"email": "a@example.com", "consent": "yes"}',
     b'{"email": "a@example.com", "consent": 1}', b'{"email": "a@example.com", "consent": true,'
     b' "source": {"n": 1}}', b'{"email": "a@example.com", "consent": true, "website": 7}',
     b"\xff\xfe{}", b"[" * 3000],
)
def test_malformed_or_wrongly_shaped_json_gets_400(
    client: httpx.Client, service: Service, body: bytes
) -> None:
    before = service.count()
    response = client.post(
        "/api/waitlist", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": messages.REASONS["bad-request"], "field": None}
    assert service.count() == before


def test_source_is_optional_and_must_be_short(client: httpx.Client, service: Service) -> None:
    without = fresh()
    assert client.post("/api/waitlist", json={"email": without, "consent": True}).status_code == 200
    assert [row[2] for row in service.rows() if row[0] == without] == [None]
    too_long = signup_json(client, fresh(), source="s" * 65)
    assert too_long.status_code == 400


def test_json_with_charset_parameter_is_accepted(client: httpx.Client) -> None:
    body = f'{{"email": "{fresh()}", "consent": true}}'.encode()
    headers = {"content-type": "application/json; charset=utf-8"}
    assert client.post("/api/waitlist", content=body, headers=headers).status_code == 200


def test_other_methods_are_not_allowed(client: httpx.Client) -> None:
    assert client.get("/api/waitlist").status_code == 405
    assert client.put("/api/waitlist", json={}).status_code == 405
