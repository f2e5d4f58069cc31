"""Shared fixtures: a small built site, the real service started as a subprocess, and a
throwaway PostgreSQL cluster (`postgres_url`)."""

from __future__ import annotations

import email
import email.policy
import glob
import gzip
import html
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import brotli
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import free_port  # noqa: F401  (tests of the service import it from here)

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
SECRET = "test-secret-for-confirmation-links-0123456789"
# What the site's build step writes: hashes for Material's inline scripts.
SITE_CSP = (
    "default-src 'self'; script-src 'self' 'sha256-2qVtrB1Pc7qPhWMSk5bcSXMjE2ciy4RXpXyP2lXX3cE=' "
    "'sha256-aJjP6SpmbWjbpxHGS4bX5bN0xEr9HqgeeXoxCfYBpHY='; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'; frame-ancestors 'none'"
)
JS_ASSET = "assets/javascripts/bundle.f1a2b3c4.min.js"
CSS_ASSET = "assets/stylesheets/main.0123abcd.min.css"
STARTUP_TIMEOUT = 20.0
SITE_URL = "https://course.example.org"
SMTP_USER, SMTP_PASSWORD = "mailer", "p@ss:word/1"



def _page(title: str, body: str, depth: int) -> str:
    """A page shaped like Material's output (head, header, article, scripts)."""
    up = "../" * depth
    return f"""<!doctype html>
<html lang="en" class="no-js">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width,initial-scale=1">
    <title>{title} - Rebuilding Trust</title>
    <link rel="stylesheet" href="{up}{CSS_ASSET}">
    <script>__md_scope=new URL("{up or "."}",location)</script>
  </head>
  <body dir="ltr" data-md-color-scheme="default">
    <header class="md-header" data-md-component="header">
      <a href="{up or "."}" class="md-header__button md-logo">Rebuilding Trust</a>
    </header>
    <main class="md-main" data-md-component="main">
      <article class="md-content__inner md-typeset">
{body}
      </article>
    </main>
    <script src="{up}{JS_ASSET}"></script>
  </body>
</html>
"""


WAITLIST_FORM = """<form class="rt-waitlist" id="rt-waitlist-form" action="/api/waitlist"
 method="post" data-rt-waitlist data-rt-json
 data-rt-msg-success="Thank you. You&#39;re on the list.">
<p id="rt-waitlist-message" class="rt-waitlist__message" role="status" tabindex="-1"></p>
<div class="rt-waitlist__field">
<label class="rt-waitlist__label" for="rt-waitlist-email">Your email address</label>
<input class="rt-input rt-waitlist__email" id="rt-waitlist-email" type="email" name="email"
 autocomplete="email" required maxlength="254" aria-describedby="rt-waitlist-email-error">
<p class="rt-waitlist__error" id="rt-waitlist-email-error"></p>
</div>
<div class="rt-waitlist__consent">
<input class="rt-input--check" id="rt-waitlist-consent" type="checkbox" name="consent" required
 aria-describedby="rt-waitlist-consent-error">
<label for="rt-waitlist-consent">I agree that Wendo may email me about the app.</label>
<p class="rt-waitlist__error" id="rt-waitlist-consent-error"></p>
</div>
<div class="rt-waitlist__trap" aria-hidden="true"><label for="rt-waitlist-website">Leave this
 field empty</label><input id="rt-waitlist-website" type="text" name="website" tabindex="-1"
 autocomplete="off"></div>
<input type="hidden" name="source" value="landing">
<button class="md-button md-button--primary" type="submit">Join the waitlist</button>
</form>"""

def action_form(kind: str) -> str:
    """The form of a waitlist page (macros/templates/waitlist_action.html)."""
    if kind == "remove":
        field = ('<label for="rt-waitlist-email">Your email address</label>\n'
                 '<input id="rt-waitlist-email" type="email" name="email" required>')
    else:
        field = '<input type="hidden" id="rt-waitlist-token" name="token" value="">'
    return (f'<form class="rt-waitlist" id="rt-waitlist-action" action="/api/waitlist/{kind}"'
            f' method="post">\n<p id="rt-waitlist-message" class="rt-waitlist__message"'
            f' role="status" tabindex="-1"></p>\n{field}\n'
            f'<button type="submit">Go</button>\n</form>')


HEADERS_FILE = f"""# Written by the site build: headers for static hosts and the bundled service.
/*
  Content-Security-Policy: {SITE_CSP}
  X-Content-Type-Options: nosniff

/assets/*
  Cache-Control: public, max-age=31536000, immutable
"""


def make_site(root: Path, with_headers: bool = True) -> Path:
    """Write a small built site (the shape MkDocs + Material gives) into ``root``."""
    pages = {
        "index.html": _page(
            "Home", f"<h1>Rebuilding trust</h1>\n<p>{'A calm course. ' * 40}</p>\n"
            f"<h2 id=\"waitlist\">The app</h2>\n{WAITLIST_FORM}", 0
        ),
        "404.html": _page("Not found", "<h1>404 - Not found</h1>", 0),
        "introduction/index.html": _page("Introduction", "<h1>Introduction</h1>", 1),
        "waitlist/thanks/index.html": _page("Thank you", "<h1>Thank you</h1>", 2),
        "waitlist/confirmed/index.html": _page("Email confirmed", "<h1>Email confirmed</h1>", 2),
        "waitlist/error/index.html": _page(
            "Your sign-up needs another look",
            f"<h1 id=\"almost-there\">Almost there</h1>\n{WAITLIST_FORM}", 2
        ),
        "waitlist/confirm/index.html": _page(
            "Confirm your email address", f"<h1>Confirm</h1>\n{action_form('confirm')}", 2
        ),
        "waitlist/unsubscribe/index.html": _page(
            "Leave the waitlist", f"<h1>Leave</h1>\n{action_form('unsubscribe')}", 2
        ),
        "waitlist/remove/index.html": _page(
            "Remove your address", f"<h1>Remove</h1>\n{action_form('remove')}", 2
        ),
        "waitlist/removal-sent/index.html": _page("Check your inbox", "<h1>Check your inbox</h1>", 2),
        "waitlist/removed/index.html": _page("Removed", "<h1>Your address is removed</h1>", 2),
        "waitlist/check-inbox/index.html": _page("Check your inbox", "<h1>Check your inbox</h1>", 2),
        "search/search_index.json": '{"config":{"lang":["en"]},"docs":[]}',
        "sitemap.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<urlset></urlset>\n',
    }
    for name, text in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    javascript = ("function rt(){return document.querySelector('[data-md-component]')}\n" * 60)
    css = (".rt-waitlist__message{margin:0 0 1em}.md-typeset h1{font-weight:700}\n" * 60)
    (root / JS_ASSET).parent.mkdir(parents=True)
    (root / JS_ASSET).write_text(javascript)
    (root / f"{JS_ASSET}.br").write_bytes(brotli.compress(javascript.encode()))
    (root / f"{JS_ASSET}.gz").write_bytes(gzip.compress(javascript.encode(), mtime=0))
    (root / CSS_ASSET).parent.mkdir(parents=True)
    (root / CSS_ASSET).write_text(css)
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {});\n")  # a worker: the whole policy
    (root / "assets/images").mkdir(parents=True)
    (root / "assets/images/photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (root / "bench.html").write_text("<!doctype html><title>ok</title><p>ok</p>\n")
    if with_headers:
        (root / "_headers").write_text(HEADERS_FILE, encoding="utf-8")
    return root


@dataclass
class Service:
    """A running ``python -m waitlist serve`` and the files it uses."""

    process: subprocess.Popen[bytes]
    port: int
    db_path: Path
    env: dict[str, str]
    log_path: Path
    cwd: Path
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: object) -> httpx.Client:
        client = httpx.Client(base_url=self.base_url, timeout=10.0, **kwargs)  # type: ignore[arg-type]
        self._clients.append(client)
        return client

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        for client in self._clients:
            client.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def rows(self) -> list[tuple[str, str, str | None, str, str | None]]:
        """The sign-ups as the database file holds them (read beside the running service)."""
        with sqlite3.connect(self.db_path) as connection:
            return connection.execute(
                "SELECT email, consent_at, source, created_at, confirmed_at"
                " FROM waitlist_signups ORDER BY id"
            ).fetchall()

    def emails(self) -> list[str]:
        return [row[0] for row in self.rows()]

    def count(self) -> int:
        with sqlite3.connect(self.db_path) as connection:
            return connection.execute("SELECT count(*) FROM waitlist_signups").fetchone()[0]


def service_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(
        ("WAITLIST_", "SMTP_", "DATABASE_URL", "SITE_", "PORT")
    )}
    env["PYTHONPATH"] = str(REPO)
    env.update(overrides)
    return env


def start_service(
    workdir: Path, site_dir: Path, db_path: Path | None = None, fd_limit: int | None = None,
    **settings: str,
) -> Service:
    """Start the service on a free port and wait until it answers; ``fd_limit``: its
    RLIMIT_NOFILE (soft and hard, as ``ulimit -n`` sets them)."""
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = db_path or workdir / "waitlist.sqlite3"
    port = free_port()
    env = service_env(
        PORT=str(port),
        SITE_DIR=str(site_dir),
        DATABASE_URL=settings.pop("DATABASE_URL", f"sqlite:///{db_path}"),
        **settings,
    )
    log_path = workdir / f"service-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "waitlist", "serve"],
            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=None if fd_limit is None else lambda: resource.setrlimit(
                resource.RLIMIT_NOFILE, (fd_limit, fd_limit)
            ),
        )
    service = Service(process, port, db_path, env, log_path, workdir)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"service exited with {process.returncode}:\n{service.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return service
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"service did not start in {STARTUP_TIMEOUT}s:\n{service.log()}")


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory, site_dir: Path) -> Iterator[Service]:
    """The service most tests share: rate limit off, export enabled, no mail."""
    running = start_service(
        tmp_path_factory.mktemp("service"),
        site_dir,
        WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN,
        WAITLIST_RATE_LIMIT="0",
    )
    yield running
    running.stop(signal.SIGKILL)


@pytest.fixture
def client(service: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.base_url, timeout=10.0) as http:
        yield http


@pytest.fixture
def start(tmp_path: Path, site_dir: Path) -> Iterator[Callable[..., Service]]:
    """Start extra services with their own settings; all are stopped after the test."""
    started: list[Service] = []

    def _start(
        site: Path | None = None, db_path: Path | None = None, fd_limit: int | None = None,
        **settings: str,
    ) -> Service:
        running = start_service(tmp_path / f"run{len(started)}", site or site_dir, db_path,
                                fd_limit, **settings)
        started.append(running)
        return running

    yield _start
    for running in started:
        if running.process.poll() is None:
            running.stop(signal.SIGKILL)


def signup_json(client: httpx.Client, email: str, **extra: object) -> httpx.Response:
    payload = {"email": email, "consent": True, "website": "", "source": "landing", **extra}
    return client.post("/api/waitlist", json=payload)


# -- a real SMTP server for the double opt-in tests ------------------------------------------


@dataclass
class Inbox:
    """Collects what the SMTP server receives."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = envelope.content  # type: ignore[attr-defined]
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def authenticate(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            login = (data.login.decode(), data.password.decode())
            self.logins.append(login)
            return AuthResult(success=login == (SMTP_USER, SMTP_PASSWORD))
        return AuthResult(success=False)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, authenticator=box.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield box, port
    controller.stop()



def mail_link(message: EmailMessage, path: str) -> str:
    """The link to SITE_URL + ``path`` in a mail's text."""
    body = message.get_body(("plain",))
    assert body is not None
    match = re.search(rf"{re.escape(SITE_URL + path)}\?token=\S+", body.get_content())
    assert match, body.get_content()
    return match.group(0)


def confirm_link(message: EmailMessage) -> str:
    return mail_link(message, "/waitlist/confirm/")


def unsubscribe_link(message: EmailMessage) -> str:
    return mail_link(message, "/waitlist/unsubscribe/")


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def confirm(client: httpx.Client, link: str) -> httpx.Response:
    """What a person does: open the link (a page), press its button (a POST of the token)."""
    page = client.get(local(link))
    assert page.status_code == 200
    token = re.search(r'<input[^>]*id="rt-waitlist-token"[^>]*value="([^"]*)"', page.text)
    assert token, page.text
    return client.post("/api/waitlist/confirm", data={"token": html.unescape(token.group(1))})


def local(link: str) -> str:
    """The path and query of a link made with SITE_URL, to ask the local service."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


# -- PostgreSQL: a throwaway cluster, one per test module that asks for it -------------------
# Needs Debian's ``postgresql`` package (initdb, pg_ctl) and psycopg; run as root, the cluster
# runs as the ``postgres`` user through ``runuser`` (tests/waitlist/test_postgres.py).


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

