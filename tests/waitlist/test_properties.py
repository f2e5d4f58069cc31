"""Property-based: whatever arrives, the service never answers 5xx and stores only valid
sign-ups (checked by reading the database file after every example)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.waitlist.conftest import Service
from waitlist.signup import canonical_email

EXAMPLES = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HOSTILE_TEXT = st.sampled_from([
    "<script>alert(1)</script>", "'; DROP TABLE waitlist_signups; --", "\" OR 1=1 --",
    "a@example.com'); DELETE FROM waitlist_signups; --", "=HYPERLINK(\"http://x\")@e.com",
    "\x00@example.com", "a@example.com\r\nBcc: victim@example.com", "../../etc/passwd",
])
TEXT = st.one_of(st.text(max_size=300), HOSTILE_TEXT)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
CONTENT_TYPES = st.sampled_from([
    "application/json", "application/x-www-form-urlencoded", "text/plain", "text/html",
    "multipart/form-data", "application/xml", "", "application/json; charset=latin-1",
])


def post(client: httpx.Client, body: bytes, content_type: str) -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return client.post("/api/waitlist", content=body, headers=headers)


def assert_nothing_stored(service: Service, before: int, response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert service.count() == before


@EXAMPLES
@given(body=st.binary(max_size=600), content_type=CONTENT_TYPES)
def test_random_bytes_never_fail_or_store(
    service: Service, client: httpx.Client, body: bytes, content_type: str
) -> None:
    before = service.count()
    assert_nothing_stored(service, before, post(client, body, content_type))


@EXAMPLES
@given(value=JSON_VALUES)
def test_json_of_any_shape_without_consent_never_fails_or_stores(
    service: Service, client: httpx.Client, value: object
) -> None:
    """Arrays, numbers, nested objects, or objects lacking ``consent: true``: all refused."""
    if isinstance(value, dict):
        value.pop("consent", None)
    before = service.count()
    body = json.dumps(value).encode()
    assert_nothing_stored(service, before, post(client, body, "application/json"))


@EXAMPLES
@given(
    email=st.one_of(TEXT, st.emails().map(str.upper), st.emails().map(lambda e: f"  {e}\t")),
    consent=st.one_of(st.just(True), JSON_SCALARS),
    source=st.none() | st.just("landing") | TEXT,
)
def test_random_fields_are_stored_only_when_valid(
    service: Service, client: httpx.Client, email: str, consent: object, source: str | None
) -> None:
    """A row appears exactly when the email is valid, consent is ``true`` and the source is
    sane, and then in canonical form; everything else is a 4xx."""
    before = set(service.emails())
    payload = {"email": email, "consent": consent, "source": source}
    response = post(client, json.dumps(payload).encode(), "application/json")
    assert response.status_code < 500, response.text
    added = set(service.emails()) - before
    if response.status_code == 200:
        canonical = canonical_email(email)
        assert canonical is not None and consent is True
        assert added <= {canonical}
    else:
        assert 400 <= response.status_code < 500 and not added
        assert set(response.json()) == {"error", "field"}


@EXAMPLES
@given(fields=st.dictionaries(st.sampled_from(["email", "website", "source", "x"]), TEXT))
def test_forms_without_consent_get_the_error_page_and_store_nothing(
    service: Service, client: httpx.Client, fields: dict[str, str]
) -> None:
    before = service.count()
    body = urlencode(fields).encode()
    response = post(client, body, "application/x-www-form-urlencoded")
    assert_nothing_stored(service, before, response)
    if fields.get("website", "").strip():  # the honeypot: looks like success
        assert response.status_code == 303
    else:
        assert response.status_code in (400, 413, 422) and "location" not in response.headers


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=4097, max_value=2_000_000),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
def test_huge_bodies_are_refused(
    service: Service, client: httpx.Client, size: int, content_type: str
) -> None:
    before = service.count()
    body = (b'{"email": "a@example.com", "consent": true, "x": "' + b"y" * size + b'"}')
    try:
        response = post(client, body, content_type)
    except httpx.TransportError:
        # The service may close the connection after refusing a body it did not read:
        # acceptable, as long as nothing was stored.
        assert service.count() == before
        return
    assert_nothing_stored(service, before, response)
    assert response.status_code == 413
