"""The same service on PostgreSQL: a throwaway cluster started by the test itself.

Needs Debian's ``postgresql`` package (initdb, pg_ctl) and psycopg; run as root, the cluster
runs as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.waitlist.conftest import (
    ADMIN_TOKEN,
    SECRET,
    SITE_URL,
    Inbox,
    Service,
    confirm_link,
    free_port,
    local,
    signup_json,
)


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("initdb not found: install Debian's postgresql package")
    return Path(initdb).parent


def _as_cluster_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    bindir = _postgres_bin()
    workdir = Path(tempfile.mkdtemp(prefix="waitlist-pg-"))
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
    data, port = workdir / "data", free_port()
    run = lambda *args: subprocess.run(  # noqa: E731
        _as_cluster_owner([str(bindir / args[0]), *args[1:]]),
        check=True, capture_output=True, timeout=60,
    )
    run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(workdir / "log"), "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


def _export(service: Service) -> str:
    with service.client() as client:
        response = client.get("/api/waitlist/export",
                              headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    response.raise_for_status()
    return response.text


def test_signups_duplicates_confirmation_and_export_on_postgresql(
    start: Callable[..., Service], postgres_url: str, inbox: tuple[Inbox, int]
) -> None:
    box, smtp_port = inbox
    running = start(
        DATABASE_URL=postgres_url, WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN, WAITLIST_RATE_LIMIT="0",
        SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", WAITLIST_SECRET=SECRET, SITE_URL=SITE_URL,
    )
    with running.client() as client:
        replies = [signup_json(client, email) for email in
                   ("Pat@Example.com ", "pat@example.com", "sam@example.com")]
        assert {reply.status_code for reply in replies} == {200}
        assert len({reply.content for reply in replies}) == 1
        form = client.post("/api/waitlist", data={"email": "form@example.com", "consent": "on"})
        assert form.headers["location"] == "/waitlist/thanks/"
        bad = client.post("/api/waitlist", json={"email": "nope", "consent": True})
        assert bad.status_code == 422

    def sign_up(n: int) -> int:
        with httpx.Client(base_url=running.base_url, timeout=10) as http:
            return signup_json(http, f"group-{n}@example.com").status_code

    with ThreadPoolExecutor(20) as pool:  # concurrent: batches through the group commit
        assert set(pool.map(sign_up, range(60))) == {200}

    messages_in = box.wait_for(3)
    [pat_mail] = [message for message in messages_in if message["To"] == "pat@example.com"]
    with running.client() as client:
        assert client.get(local(confirm_link(pat_mail))).headers["location"] == \
            "/waitlist/confirmed/"

    text = _export(running)
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(text))}
    assert len(rows) == 3 + 60
    assert rows["pat@example.com"]["confirmed_at"].endswith("Z")
    assert rows["sam@example.com"]["confirmed_at"] == ""
    assert rows["sam@example.com"]["source"] == "landing"
    printed = subprocess.run(
        [sys.executable, "-m", "waitlist", "export"], env=running.env, cwd=running.cwd,
        capture_output=True, check=True, timeout=30,
    )
    assert printed.stdout.decode() == text
