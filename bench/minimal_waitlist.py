"""The baseline of bench/waitlist_load.py: a waitlist service as one writes it in an hour.

Starlette and uvicorn with their defaults: a page served from memory, and a sign-up that
inserts an email into a table with a UNIQUE email and commits, once per sign-up, on the event
loop. SQLite in WAL mode with ``synchronous=FULL``, as the bundled service uses it, so that
each acknowledged sign-up is as durable on both sides. Plain ``uvicorn.run(app)``, except
that the loop and the parser are named: ``loop="asyncio", http="h11"``. With uvloop and
httptools installed (they are requirements of the bundled service), uvicorn's "auto" would
pick them, and this is the service without the extras, as the issue measured it. uvicorn's
other defaults stay, its access log among them.

It is a yardstick, not a dependency: nothing in waitlist/ imports it.

    .venv/bin/python bench/minimal_waitlist.py PORT DATABASE_PATH
"""

from __future__ import annotations

import sqlite3
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

PAGE = "<!doctype html><html lang=en><title>ok</title><p>Rebuilding Trust</p></html>\n"


def create_app(database: str) -> Starlette:
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

    async def signup(request: Request) -> JSONResponse:
        data = await request.json()
        email = str(data.get("email", "")).strip().lower()
        if "@" not in email or data.get("consent") is not True:
            return JSONResponse({"ok": False}, status_code=422)
        db.execute("INSERT OR IGNORE INTO waitlist_signups (email) VALUES (?)", (email,))
        db.commit()
        return JSONResponse({"ok": True})

    return Starlette(routes=[
        Route("/", page), Route("/bench.html", page),
        Route("/api/waitlist", signup, methods=["POST"]),
    ])


if __name__ == "__main__":
    port, database = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(create_app(database), host="127.0.0.1", port=port, loop="asyncio", http="h11")
