"""The service's pure parts, one behaviour per test: no server needed."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from waitlist.config import ConfigError, Settings, SmtpSettings
from waitlist.errorpage import fill_error_page
from waitlist.headers import read_netlify_headers
from waitlist.ratelimit import RateLimiter, client_address
from waitlist.signup import canonical_email, parse_form
from waitlist.static import accepted_encodings, cache_control_for
from waitlist.store import Store, rate_limit


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [(" A@Example.com ", "a@example.com"), ("first.last+tag@sub.example.co.uk",
      "first.last+tag@sub.example.co.uk"), ("o'brien@example.ie", "o'brien@example.ie"),
     ("x@xn--bcher-kva.example", "x@xn--bcher-kva.example"), ("a@b.c", None),
     ("user@bücher.example", "user@xn--bcher-kva.example"),
     ("User@BÜCHER.Example", "user@xn--bcher-kva.example"), ("ß@example.com", None),
     ("a@example.invalid", None), ("a@[127.0.0.1]", None), ('"a b"@example.com', None),
     ("a@@b.com", None), ("a@b_c.com", None), ("-a@b.com", None), ("+a@b.com", None)],
)
def test_canonical_email(raw: str, canonical: str | None) -> None:
    assert canonical_email(raw) == canonical


def test_form_parsing_refuses_a_repeated_field() -> None:
    assert parse_form("email=a%40b.com&email=c%40d.com&consent=on").reason == "bad-request"


def test_form_consent_words() -> None:
    assert parse_form("email=a%40b.com&consent=on").consent is True
    assert parse_form("email=a%40b.com&consent=off").consent is False
    assert parse_form("email=a%40b.com").consent is False


@pytest.mark.parametrize(
    ("header", "accepted"),
    [("gzip, deflate, br", {"gzip", "deflate", "br"}), ("br;q=0, gzip", {"gzip"}),
     ("*", {"*", "br", "gzip"}), ("*, br;q=0", {"*", "gzip"}), ("", set()),
     ("gzip;q=0.5", {"gzip"})],
)
def test_accepted_encodings(header: str, accepted: set[str]) -> None:
    assert accepted_encodings(header) == accepted


@pytest.mark.parametrize(
    ("name", "cache"),
    [("bundle.f1a2b3c4.min.js", "public, max-age=31536000, immutable"),
     ("main.0123abcd.min.css", "public, max-age=31536000, immutable"),
     ("search.a7633da7.min.js", "public, max-age=31536000, immutable"),
     ("rt.css", "public, max-age=600"), ("bundle.f1a2b3c.min.js", "public, max-age=600"),
     ("index.html", "no-cache")],
)
def test_cache_control_for(name: str, cache: str) -> None:
    assert cache_control_for(name) == cache


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.from_url(f"sqlite:///{tmp_path / 'limits.sqlite3'}")
    store.create_schema()
    return store


def test_rate_limiter_allows_the_limit_then_refuses_then_recovers(store: Store) -> None:
    now = [1000.0]
    limiter = RateLimiter(store, 3, clock=lambda: now[0])
    assert [limiter.hit_now("a")[0] for _ in range(3)] == [None, None, None]
    assert limiter.hit_now("a")[0] == 20  # next slot: one interval (60 s / 3) away
    assert limiter.hit_now("b")[0] is None  # other addresses are not affected
    now[0] += 20
    assert limiter.hit_now("a")[0] is None
    assert limiter.hit_now("a")[0] == 20


def test_rate_limiters_on_one_database_share_the_limit(store: Store) -> None:
    """Two instances, one allowance: and a new limiter (a restart) remembers it."""
    now = [1000.0]
    first, second = (RateLimiter(store, 2, clock=lambda: now[0]) for _ in range(2))
    assert [first.hit_now("a")[0], second.hit_now("a")[0]] == [None, None]
    assert second.hit_now("a")[0] == 30 and first.hit_now("a")[0] == 30
    assert RateLimiter(store, 2, clock=lambda: now[0]).hit_now("a") == [30]


def test_rate_limiter_counts_attempts_that_arrive_together_in_one_batch(store: Store) -> None:
    """Attempts awaited at once share transactions, each counted in turn: three of five pass."""
    now = [1000.0]
    limiter = RateLimiter(store, 3, clock=lambda: now[0])
    assert limiter.hit_now("a", "b", "a", "a", "a") == [None, None, None, None, 20]

    async def burst() -> list[int | None]:
        return await asyncio.gather(*(limiter.hit("c") for _ in range(5)))

    # In a thread of its own: in the whole suite, Playwright's event loop may be the running
    # one in this thread, and asyncio.run() refuses to start inside it.
    with ThreadPoolExecutor(1) as pool:
        waits = pool.submit(asyncio.run, burst()).result()
    assert sorted(waits, key=str) == [20, 20, None, None, None]


def test_rate_limiter_keeps_a_keyed_hash_and_prunes_idle_clients(store: Store) -> None:
    now = [1000.0]
    limiter = RateLimiter(store, 2, key=b"k" * 32, clock=lambda: now[0])
    limiter.hit_now("203.0.113.9")
    with store.engine.connect() as connection:
        [(client, full_at)] = connection.execute(rate_limit.select()).all()
    assert client == limiter.client_key("203.0.113.9") != RateLimiter(store, 2).client_key("203.0.113.9")
    assert "203.0.113" not in client and full_at == 1_030_000
    now[0] += 61  # the allowance is whole again: the next attempt prunes the row
    limiter.hit_now("198.51.100.1")
    with store.engine.connect() as connection:
        assert connection.execute(rate_limit.select().where(rate_limit.c.client == client)).all() == []


@pytest.mark.parametrize(
    ("forwarded", "hops", "expected"),
    [([], 0, "10.0.0.1"), (["1.2.3.4"], 0, "10.0.0.1"), (["1.2.3.4"], 1, "1.2.3.4"),
     (["9.9.9.9, 1.2.3.4"], 1, "1.2.3.4"), (["9.9.9.9", "1.2.3.4, 5.6.7.8"], 2, "1.2.3.4"),
     (["1.2.3.4"], 2, "1.2.3.4"), ([], 1, "10.0.0.1")],
)
def test_client_address(forwarded: list[str], hops: int, expected: str) -> None:
    assert client_address(("10.0.0.1", 4000), forwarded, hops) == expected


def test_settings_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8000
    assert settings.site_dir == Path("site")
    assert settings.database_url == "sqlite:///var/waitlist.sqlite3"
    assert settings.rate_limit == 10 and settings.trust_proxy_hops == 0
    assert settings.admin_token is None and settings.smtp is None
    assert settings.site_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("url", "smtp"),
    [("smtp://mail.example.org", SmtpSettings("mail.example.org", 25, "plain", None, None)),
     ("smtp+starttls://u%40x:p%3Aw@mail.example.org",
      SmtpSettings("mail.example.org", 587, "starttls", "u@x", "p:w")),
     ("smtps://u:p@mail.example.org:2465",
      SmtpSettings("mail.example.org", 2465, "tls", "u", "p"))],
)
def test_smtp_url(url: str, smtp: SmtpSettings) -> None:
    settings = Settings.from_env({"SMTP_URL": url, "WAITLIST_SECRET": "s" * 32})
    assert settings.smtp == smtp


def test_settings_report_every_problem_together() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PORT": "eighty", "WAITLIST_RATE_LIMIT": "-1",
                           "WAITLIST_TRUST_PROXY": "maybe", "SMTP_URL": "http://x"})
    names = [problem.split(":")[0] for problem in caught.value.problems]
    assert names == ["PORT", "SMTP_URL", "WAITLIST_RATE_LIMIT", "WAITLIST_TRUST_PROXY"]


def test_netlify_headers_for_the_catch_all_pattern(tmp_path: Path) -> None:
    path = tmp_path / "_headers"
    path.write_text(
        "# comment\n/assets/*\n  Cache-Control: immutable\n/*\n"
        "  Content-Security-Policy: default-src 'self'\n  X-Extra: a\n  x-extra: b\n"
    )
    assert read_netlify_headers(path) == {
        "Content-Security-Policy": "default-src 'self'", "X-Extra": "a, b"
    }
    assert read_netlify_headers(tmp_path / "missing") == {}


def test_netlify_headers_refuse_a_line_without_a_path(tmp_path: Path) -> None:
    path = tmp_path / "_headers"
    path.write_text("  X-Frame-Options: DENY\n")
    with pytest.raises(ValueError, match="_headers:1"):
        read_netlify_headers(path)


def test_fill_error_page_handles_unquoted_and_self_closing_tags() -> None:
    page = (
        '<p class=msg id=rt-waitlist-message role="status"></p>'
        '<input placeholder="your value here" value="old" id="rt-waitlist-email" />'
        "<input type=checkbox id='rt-waitlist-consent' checked>"
    )
    filled = fill_error_page(page, "Try <again> & 'soon'", 'a"b<c>', consent=False)
    assert filled == (
        '<p class=msg id=rt-waitlist-message role="status">'
        "Try &lt;again&gt; &amp; &#x27;soon&#x27;</p>"
        '<input placeholder="your value here" id="rt-waitlist-email" '
        'value="a&quot;b&lt;c&gt;" />'
        "<input type=checkbox id='rt-waitlist-consent'>"
    )


def test_fill_error_page_leaves_a_page_without_the_ids_alone() -> None:
    page = '<p id="other"></p><input id="rt-waitlist-emailx">'
    assert fill_error_page(page, "m", "e", consent=True) == page
