"""The baseline of bench/waitlist_load.py: a waitlist service as one writes it in an hour.

Starlette and uvicorn with their defaults: a page served from memory, and a sign-up that
inserts an email into a table with a UNIQUE email and commits, once per sign-up, on the event
loop. SQLite in WAL mode with ``synchronous=FULL``, as the bundled service uses it, so that
each acknowledged sign-up is as durable on both sides. Plain ``uvicorn.run(app)``: uvicorn as
its documented install (``uvicorn[standard]``) runs it, so with uvloop and httptools installed
(they are requirements of the bundled service, requirements/runtime.txt) its "auto" loop and
parser are uvloop and httptools, as ours are. uvicorn's other defaults stay, its access log
among them.

The page: a small one by default; given the built site and a page's URL, that page's
``index.html`` read once into memory, sent as its ``.gz`` copy when the request accepts gzip,
with the security headers the site's ``_headers`` file gives for ``/*`` (read by
waitlist/headers.py), so that it sends the same bytes as the other servers the benchmark
compares (our service, nginx, servestatic) and only the serving differs.

It is a yardstick, not a dependency: nothing in waitlist/ imports it.

    .venv/bin/python bench/minimal_waitlist.py PORT DATABASE_PATH [SITE_DIR PAGE_URL]
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

PAGE = "<!doctype html><html lang=en><title>ok</title><p>Rebuilding Trust</p></html>\n"


def create_app(database: str, site: Path | None = None, url: str | None = None) -> Starlette:
    db = sqlite3.connect(database, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS waitlist_signups (id INTEGER PRIMARY KEY, "
        "email TEXT NOT NULL UNIQUE, created_at TEXT DEFAULT CURRENT_TIMESTAMP)"
    )
    db.commit()

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    routes = [Route("/", page), Route("/bench.html", page)]
    if site is not None and url is not None:
        from waitlist.headers import site_headers

        headers = site_headers(site)
        source = site / url.strip("/") / "index.html"
        plain, gzipped = source.read_bytes(), Path(f"{source}.gz").read_bytes()

        async def site_page(request: Request) -> Response:
            if "gzip" in request.headers.get("accept-encoding", ""):
                return Response(gzipped, media_type="text/html", headers={
                    **headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
            return Response(plain, media_type="text/html", headers={**headers, "Vary": "Accept-Encoding"})

        routes.append(Route(url, site_page))

    async def signup(request: Request) -> JSONResponse:
        data = await request.json()
        email = str(data.get("email", "")).strip().lower()
        if "@" not in email or data.get("consent") is not True:
            return JSONResponse({"ok": False}, status_code=422)
        db.execute("INSERT OR IGNORE INTO waitlist_signups (email) VALUES (?)", (email,))
        db.commit()
        return JSONResponse({"ok": True})

    return Starlette(routes=[*routes, Route("/api/waitlist", signup, methods=["POST"])])


if __name__ == "__main__":
    port, database = int(sys.argv[1]), sys.argv[2]
    site, url = (Path(sys.argv[3]), sys.argv[4]) if len(sys.argv) > 4 else (None, None)
    uvicorn.run(create_app(database, site, url), host="127.0.0.1", port=port)
