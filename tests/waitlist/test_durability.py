"""Acknowledged sign-ups survive SIGKILL; SIGTERM stops cleanly with everything committed."""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.waitlist.conftest import ADMIN_TOKEN, Service

CLIENTS = 20


async def _sign_up_until_stopped(
    base_url: str, worker: int, acknowledged: list[str], stop_at: float
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
        n = 0
        while time.monotonic() < stop_at:
            email = f"load-{worker}-{n}@example.com"
            n += 1
            try:
                response = await client.post(
                    "/api/waitlist", json={"email": email, "consent": True}
                )
            except httpx.TransportError:
                return  # the service is gone
            if response.is_success:
                acknowledged.append(email)


def _load(base_url: str, acknowledged: list[str], seconds: float) -> None:
    async def main() -> None:
        stop_at = time.monotonic() + seconds
        await asyncio.gather(*(
            _sign_up_until_stopped(base_url, worker, acknowledged, stop_at)
            for worker in range(CLIENTS)
        ))

    asyncio.run(main())


def _export_emails(service: Service) -> list[str]:
    with service.client() as client:
        response = client.get(
            "/api/waitlist/export", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    response.raise_for_status()
    return [row["email"] for row in csv.DictReader(io.StringIO(response.text))]


def _run_load_and_signal(service: Service, sig: int) -> tuple[list[str], int, float]:
    """Sign up from 20 clients, send ``sig`` mid-way; (acknowledged, exit code, stop time)."""
    acknowledged: list[str] = []
    loader = threading.Thread(target=_load, args=(service.base_url, acknowledged, 15.0))
    loader.start()
    deadline = time.monotonic() + 10.0
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    signalled = time.monotonic()
    code = service.stop(sig)
    stop_seconds = time.monotonic() - signalled
    loader.join(20)
    assert not loader.is_alive()
    return list(acknowledged), code, stop_seconds


def test_every_acknowledged_signup_survives_sigkill(
    start: Callable[..., Service], tmp_path: Path
) -> None:
    db_path = tmp_path / "durable.sqlite3"
    settings = {"WAITLIST_RATE_LIMIT": "0", "WAITLIST_ADMIN_TOKEN": ADMIN_TOKEN}
    first = start(db_path=db_path, **settings)
    acknowledged, code, _ = _run_load_and_signal(first, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert len(acknowledged) >= 20  # killed mid-way through a real load
    restarted = start(db_path=db_path, **settings)
    exported = _export_emails(restarted)
    assert len(exported) == len(set(exported))
    missing = set(acknowledged) - set(exported)
    assert not missing, f"{len(missing)} acknowledged sign-ups lost"


def test_sigterm_exits_zero_promptly_with_pending_signups_committed(
    start: Callable[..., Service],
) -> None:
    running = start(WAITLIST_RATE_LIMIT="0", WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN)
    acknowledged, code, stop_seconds = _run_load_and_signal(running, signal.SIGTERM)
    assert code == 0, running.log()
    assert stop_seconds < 12  # the graceful shutdown allows in-flight requests 10 s
    assert "every acknowledged sign-up is committed" in running.log()
    stored = set(running.emails())
    assert set(acknowledged) <= stored


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_requested_stop_when_idle_exits_zero(start: Callable[..., Service], sig: int) -> None:
    running = start()
    with running.client() as client:
        assert client.get("/").status_code == 200
    begun = time.monotonic()
    assert running.stop(sig) == 0, running.log()
    assert "Traceback" not in running.log()
    assert time.monotonic() - begun < 5
