"""Per-address rate limit: 429 with Retry-After, forms redirected, proxies trusted on request."""

from __future__ import annotations

from collections.abc import Callable

from tests.waitlist.conftest import Service, signup_json
from waitlist import messages


def test_a_burst_from_one_address_gets_429(start: Callable[..., Service]) -> None:
    running = start(WAITLIST_RATE_LIMIT="3")
    with running.client() as client:
        allowed = [signup_json(client, f"burst{i}@example.com") for i in range(3)]
        assert [reply.status_code for reply in allowed] == [200, 200, 200]
        refused = signup_json(client, "burst3@example.com")
        assert refused.status_code == 429
        assert refused.json() == {"error": messages.REASONS["rate-limited"], "field": None}
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "burst3@example.com" not in running.emails()
        # Invalid attempts count too, and the form gets the error page, keeping the email.
        form = client.post("/api/waitlist", data={"email": "form@example.com", "consent": "on"})
        assert form.status_code == 429 and "location" not in form.headers
        assert 1 <= int(form.headers["retry-after"]) <= 60
        assert messages.REASONS["rate-limited"] in form.text
        assert 'value="form@example.com"' in form.text


def test_forwarded_for_is_ignored_unless_trusted(start: Callable[..., Service]) -> None:
    """Without WAITLIST_TRUST_PROXY a client cannot dodge the limit with X-Forwarded-For."""
    running = start(WAITLIST_RATE_LIMIT="2")
    with running.client() as client:
        codes = [
            client.post("/api/waitlist", json={"email": f"x{i}@example.com", "consent": True},
                        headers={"x-forwarded-for": f"203.0.113.{i}"}).status_code
            for i in range(4)
        ]
    assert codes == [200, 200, 429, 429]


def test_trusted_proxy_limits_by_the_forwarded_address(start: Callable[..., Service]) -> None:
    running = start(WAITLIST_RATE_LIMIT="1", WAITLIST_TRUST_PROXY="1")

    def attempt(forwarded: str, n: int) -> int:
        return client.post(
            "/api/waitlist", json={"email": f"p{n}@example.com", "consent": True},
            headers={"x-forwarded-for": forwarded},
        ).status_code

    with running.client() as client:
        assert attempt("198.51.100.1", 0) == 200
        assert attempt("198.51.100.2", 1) == 200
        assert attempt("198.51.100.1", 2) == 429
        # A client that forges an entry is still known by the one the proxy appended.
        assert attempt("192.0.2.99, 198.51.100.2", 3) == 429


def test_rate_limit_zero_never_429s(service: Service) -> None:
    """The shared service runs with WAITLIST_RATE_LIMIT=0."""
    with service.client() as client:
        codes = {signup_json(client, f"nolimit{i}@example.com").status_code for i in range(40)}
    assert codes == {200}
