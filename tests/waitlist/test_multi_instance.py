"""Two real services on one PostgreSQL, as behind a load balancer: they share dedupe, the
per-address rate limit (a restart forgets nothing) and the purge; the owner's statistics agree
with what was sent. The cluster is the one `postgres_url` (tests/waitlist/conftest.py) starts from
Debian's package."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.waitlist.conftest import ADMIN_TOKEN, Service, signup_json
from tests.waitlist.helpers import _fresh_database
from waitlist.signup import Signup
from waitlist.store import Store
from waitlist.writer import GroupCommitWriter

PEOPLE = 40


def _pair(start: Callable[..., Service], url: str, **settings: str) -> list[Service]:
    return [start(DATABASE_URL=url, WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN, **settings) for _ in range(2)]


def _stats(service: Service) -> dict:
    printed = subprocess.run(
        [sys.executable, "-m", "waitlist", "stats", "--json"], env=service.env, cwd=service.cwd,
        capture_output=True, text=True, check=True, timeout=60,
    )
    return json.loads(printed.stdout)


def test_concurrent_case_variants_over_two_instances_make_one_row_each(
    start: Callable[..., Service], postgres_url: str
) -> None:
    url = _fresh_database(postgres_url, "multi_dedupe")
    services = _pair(start, url, WAITLIST_RATE_LIMIT="0")
    variants = ("person{n}@example.com", "Person{n}@Example.com", " PERSON{n}@EXAMPLE.COM ")
    attempts = [(services[(n + k) % 2], form.format(n=n))
                for n in range(PEOPLE) for k, form in enumerate(variants)]

    def sign_up(attempt: tuple[Service, str]) -> int:
        service, email = attempt
        with httpx.Client(base_url=service.base_url, timeout=10) as http:
            return signup_json(http, email).status_code

    with ThreadPoolExecutor(24) as pool:
        assert set(pool.map(sign_up, attempts)) == {200}
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = [row[0] for row in connection.execute(text("SELECT email FROM waitlist_signups"))]
    engine.dispose()
    assert sorted(rows) == sorted(f"person{n}@example.com" for n in range(PEOPLE))
    totals = _stats(services[0])["totals"]
    assert (totals["signups"], totals["unconfirmed"]) == (PEOPLE, PEOPLE)


def test_a_burst_split_over_two_instances_meets_one_shared_limit(
    start: Callable[..., Service], postgres_url: str
) -> None:
    """Six a minute per address across the fleet, not six per instance; and after a restart
    of one instance the spent allowance is still spent."""
    url = _fresh_database(postgres_url, "multi_limit")
    settings = {"WAITLIST_RATE_LIMIT": "6"}
    services = _pair(start, url, **settings)
    codes = []
    for n in range(12):
        with services[n % 2].client() as client:
            codes.append(signup_json(client, f"burst{n}@example.com").status_code)
    assert codes == [200] * 6 + [429] * 6
    assert _stats(services[1])["totals"]["signups"] == 6

    assert services[0].stop() == 0
    restarted = start(DATABASE_URL=url, WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN, **settings)
    with restarted.client() as client:
        refused = signup_json(client, "after-restart@example.com")
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    # Another client address has its own allowance, on either instance.
    with services[1].client() as client:
        other = client.post("/api/waitlist", json={"email": "other@example.com", "consent": True},
                            headers={"x-forwarded-for": "198.51.100.7"})
    assert other.status_code == 429  # no trusted proxy: the header changes nothing
    trusting = start(DATABASE_URL=url, WAITLIST_TRUST_PROXY="1", **settings)
    with trusting.client() as client:
        other = client.post("/api/waitlist", json={"email": "other@example.com", "consent": True},
                            headers={"x-forwarded-for": "198.51.100.7"})
    assert other.status_code == 200
    assert _stats(restarted)["totals"]["signups"] == 7


def test_no_raw_client_address_is_stored(
    start: Callable[..., Service], postgres_url: str
) -> None:
    url = _fresh_database(postgres_url, "multi_hashed")
    [service] = [start(DATABASE_URL=url, WAITLIST_RATE_LIMIT="5", WAITLIST_TRUST_PROXY="1")]
    with service.client() as client:
        reply = client.post("/api/waitlist", json={"email": "a@example.com", "consent": True},
                            headers={"x-forwarded-for": "203.0.113.45"})
    assert reply.status_code == 200
    engine = create_engine(url)
    with engine.connect() as connection:
        dumped = " ".join(str(row) for row in connection.execute(
            text("SELECT * FROM waitlist_rate_limit")))
    engine.dispose()
    assert dumped and "203.0.113" not in dumped and "127.0.0.1" not in dumped


def test_purges_from_several_instances_at_once_count_each_row_once(
    postgres_url: str,
) -> None:
    """Each instance purges daily; two at the same moment delete each expired row once, and the
    tally counts it once (the DELETE is idempotent: the second finds nothing left)."""
    url = _fresh_database(postgres_url, "multi_purge")
    stores = [Store.from_url(url) for _ in range(4)]
    stores[0].create_schema()
    with stores[0].engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO waitlist_signups (email, consent_at, created_at)"
            " SELECT 'stale' || n || '@example.org', now() - interval '9 days',"
            " now() - interval '9 days' FROM generate_series(1, 500) AS n"))
    barrier = threading.Barrier(len(stores))

    def purge(store: Store) -> int:
        barrier.wait()
        return store.purge_unconfirmed(timedelta(days=7))

    with ThreadPoolExecutor(len(stores)) as pool:
        purged = list(pool.map(purge, stores))
    assert sum(purged) == 500
    assert stores[0].stats().as_dict()["totals"]["purged"] == 500
    for store in stores:
        store.dispose()


def test_instances_starting_at_once_create_the_schema_once(postgres_url: str) -> None:
    url = _fresh_database(postgres_url, "multi_schema")
    stores = [Store.from_url(url) for _ in range(6)]
    barrier = threading.Barrier(len(stores))

    def create(store: Store) -> None:
        barrier.wait()
        store.create_schema()

    with ThreadPoolExecutor(len(stores)) as pool:
        list(pool.map(create, stores))  # raises if one instance tripped over another
    assert stores[0].stats().as_dict()["totals"]["signups"] == 0
    for store in stores:
        store.dispose()


def test_a_batch_rolled_back_as_a_deadlock_is_committed_on_the_next_try(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Another instance's transaction and this writer's batch wait for each other's rows;
    PostgreSQL aborts the batch as a deadlock. The writer runs it again: both sign-ups are
    acknowledged, none gets an error (before the retry, each got a 503)."""
    url = _fresh_database(postgres_url, "deadlock")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # the writer's backend checks for deadlocks first
        connection.execute(text("ALTER DATABASE deadlock SET deadlock_timeout = '3s'"))
    store = Store.from_url(url)
    store.create_schema()
    other = create_engine(url)
    insert = text("INSERT INTO waitlist_signups (email, consent_at, created_at, source) "
                  "VALUES (:email, now(), now(), 'other')")

    def waiting_backends() -> int:
        with admin.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'deadlock' AND wait_event_type = 'Lock'"
            )).scalar_one()

    def until(condition: Callable[[], bool]) -> None:
        for _ in range(400):
            if condition():
                return
            time.sleep(0.025)
        raise AssertionError("the database never reached the expected state")

    async def scenario() -> list[object]:
        writer = GroupCommitWriter(store)
        writer.start()
        holder = other.connect()  # holds c, so that a and b queue up into one batch
        holder_tx = holder.begin()
        holder.execute(insert, {"email": "c@example.com"})
        first = asyncio.ensure_future(writer.save(Signup("c@example.com", "test")))
        await asyncio.to_thread(until, lambda: waiting_backends() == 1)
        rival = other.connect()  # the other instance: holds b, then wants a
        rival_tx = rival.begin()
        rival.execute(text("SET LOCAL deadlock_timeout = '60s'"))
        rival.execute(insert, {"email": "b@example.com"})
        pair = [asyncio.ensure_future(writer.save(Signup(email, "test"))) for email in ("a@example.com", "b@example.com")]
        await asyncio.sleep(0.2)  # both are queued behind the blocked batch
        holder_tx.rollback()
        await first
        await asyncio.to_thread(until, lambda: waiting_backends() == 1)  # the batch has a, waits for b

        def rival_wants_a() -> None:
            rival.execute(insert, {"email": "a@example.com"})  # waits for the batch: a deadlock
            rival_tx.commit()

        await asyncio.to_thread(rival_wants_a)
        outcomes = await asyncio.gather(*pair, return_exceptions=True)
        await writer.stop()
        holder.close()
        rival.close()
        return outcomes

    try:
        with ThreadPoolExecutor(1) as pool:  # a loop of its own: Playwright's may run on this thread
            outcomes = pool.submit(lambda: asyncio.run(scenario())).result(timeout=120)
    finally:
        other.dispose()
        store.dispose()
        admin.dispose()
    assert [type(outcome).__name__ for outcome in outcomes] == ["Saved", "Saved"], outcomes
    assert "rolled back (DeadlockDetected); trying again" in caplog.text  # the deadlock did happen
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = sorted(connection.execute(text("SELECT email, source FROM waitlist_signups")).all())
    engine.dispose()
    assert rows == [("a@example.com", "other"), ("b@example.com", "other"), ("c@example.com", "test")]
