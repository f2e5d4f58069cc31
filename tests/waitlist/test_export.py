"""GET /api/waitlist/export and ``python -m waitlist export``: owner only, same CSV."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.waitlist.conftest import ADMIN_TOKEN, Service, signup_json

HEADER = "email,consent_at,source,created_at,confirmed_at"


def export(client: httpx.Client, token: str | None = ADMIN_TOKEN) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/api/waitlist/export", headers=headers)


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong-token-0123456789abcdef"},
     {"authorization": f"Basic {ADMIN_TOKEN}"}, {"authorization": f"Bearer {ADMIN_TOKEN}x"},
     {"authorization": "Bearer"}, {"authorization": "Bearer tökén".encode()}],
)
def test_export_refuses_without_the_right_token(
    client: httpx.Client, headers: dict[str, str]
) -> None:
    response = client.get("/api/waitlist/export", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["cache-control"] == "no-store"
    assert "@" not in response.text


def test_export_gives_csv_of_every_signup(client: httpx.Client, service: Service) -> None:
    email = f"export-{uuid.uuid4().hex[:10]}@example.com"
    assert signup_json(client, email, source="landing").status_code == 200
    response = export(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    assert response.text.startswith(HEADER + "\r\n")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["email"] for row in rows] == service.emails()
    [mine] = [row for row in rows if row["email"] == email]
    assert mine["source"] == "landing" and mine["confirmed_at"] == ""
    for stamp in (mine["consent_at"], mine["created_at"]):
        assert stamp.endswith("Z") and "T" in stamp


def test_cli_export_prints_the_same_csv(client: httpx.Client, service: Service) -> None:
    signup_json(client, f"cli-{uuid.uuid4().hex[:10]}@example.com")
    http_csv = export(client).content
    printed = subprocess.run(
        [sys.executable, "-m", "waitlist", "export"],
        env=service.env, cwd=service.cwd, capture_output=True, check=True, timeout=30,
    )
    assert printed.stdout == http_csv


def test_export_is_disabled_without_a_token(start: Callable[..., Service]) -> None:
    running = start(WAITLIST_RATE_LIMIT="0")
    with running.client() as client:
        signup_json(client, "someone@example.com")
        assert export(client).status_code == 404
        assert export(client, token=None).status_code == 404


def test_cli_export_of_an_empty_database_prints_the_header(tmp_path: object) -> None:
    """No sign-ups yet (the service has made its tables): the header alone. A missing database
    or table is an error instead: tests/waitlist/test_backup.py."""
    from tests.waitlist.conftest import service_env
    from waitlist.store import Store

    url = f"sqlite:///{tmp_path}/new.sqlite3"
    store = Store.from_url(url)
    store.create_schema()
    store.dispose()
    env = service_env(DATABASE_URL=url)
    printed = subprocess.run(
        [sys.executable, "-m", "waitlist", "export"], env=env, cwd=str(tmp_path),
        capture_output=True, check=True, timeout=30,
    )
    assert printed.stdout == (HEADER + "\r\n").encode()


def test_short_admin_token_is_refused_at_start(tmp_path: object, site_dir: object) -> None:
    from tests.waitlist.conftest import service_env

    env = service_env(WAITLIST_ADMIN_TOKEN="short", SITE_DIR=str(site_dir))
    result = subprocess.run(
        [sys.executable, "-m", "waitlist", "serve"], env=env, cwd=str(tmp_path),
        capture_output=True, timeout=30,
    )
    assert result.returncode == 2
    assert b"WAITLIST_ADMIN_TOKEN" in result.stderr
