"""Shared fixtures: one build of the real site per test session, served on 127.0.0.1,
and the system Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def site_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def base_url(site_port: int) -> str:
    return f"http://127.0.0.1:{site_port}/"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, base_url: str) -> Path:
    """The site, built once with `mkdocs build --strict` for the address the tests serve it on."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "SITE_URL": base_url, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def rebranded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A copy of the project with another brand, built once by `make build PRODUCTION=1` with
    SITE_URL from an environment file (tests/rebrand.py)."""
    from tests.rebrand import build

    return build(tmp_path_factory.mktemp("rebranded"))


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file the served site's waitlist writes to."""
    return tmp_path_factory.mktemp("db") / "waitlist.sqlite3"


@contextmanager
def serving(site: Path, port: int, database: Path, quiet: bool = False) -> Iterator[str]:
    """`site` as `make serve` serves it: the waitlist service on 127.0.0.1:`port` with its
    headers (CSP, compression), a real SQLite file at `database`, no mail, no admin token and
    no rate limit (whatever this shell's environment says). Yields the base URL; stops it after."""
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SMTP_", "DATABASE_URL", "SITE_"))}
    env.update(PORT=str(port), SITE_DIR=str(site), SITE_URL=url, DATABASE_URL=f"sqlite:///{database}",
               WAITLIST_RATE_LIMIT="0")
    output = subprocess.DEVNULL if quiet else None
    service = subprocess.Popen([sys.executable, "-m", "waitlist", "serve"], cwd=ROOT, env=env,
                               stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urlopen(url, timeout=2).read()
                break
            except OSError:
                assert service.poll() is None and time.monotonic() < deadline, "the waitlist service did not start"
                time.sleep(0.1)
        yield url
    finally:
        service.terminate()
        service.wait(timeout=30)


@pytest.fixture(scope="session")
def served(site: Path, site_port: int, base_url: str, database: Path) -> Iterator[str]:
    """The built site as `make serve` serves it (`serving`). Yields the base URL."""
    with serving(site, site_port, database) as url:
        assert url == base_url
        yield url


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), f"Chromium not found at {path}: install Debian's chromium or set $CHROMIUM"
    return path


# A reader who has started to use the page: a key pressed (Shift, which does nothing) as soon
# as it is parsed. The content's scripts (the journal, printing, the waitlist form, offline use)
# wait for a first interaction (overrides/main.html); most tests are about what they do, not
# about that wait, and a test that waited for them before touching the page would wait for
# ever. tests/browser/test_first_visit.py tests the wait itself, with `reader_interacts=False`.
READER_HERE = """document.addEventListener("DOMContentLoaded", () => {
  document.dispatchEvent(new KeyboardEvent("keydown", { key: "Shift", bubbles: true }));
}, { once: true });"""


class WorkerlessBrowser:
    """The session's browser, whose new contexts block service workers unless a test asks for
    them (`service_workers="allow"`). Every page registers the offline worker once idle, which
    then downloads the whole course (publish/offline.py): in each of the suite's many contexts
    that would cost time, and its requests and its taking over pages would interleave with what
    the tests measure (requests while typing, instant navigations). tests/browser/test_offline.py
    tests the worker, with the privacy and network checks that matter for it; test_csp.py visits
    every page with it. Its pages behave as a reader who has started to use them (READER_HERE)
    unless a test asks otherwise (`reader_interacts=False`)."""

    def __init__(self, browser) -> None:  # type: ignore[no-untyped-def]
        self._browser = browser

    def new_context(self, reader_interacts: bool = True, **options):  # type: ignore[no-untyped-def]
        options.setdefault("service_workers", "block")
        context = self._browser.new_context(**options)
        if reader_interacts:
            context.add_init_script(READER_HERE)
        return context

    def new_page(self, reader_interacts: bool = True, **options):  # type: ignore[no-untyped-def]
        return self.new_context(reader_interacts, **options).new_page()

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        yield WorkerlessBrowser(browser)
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def page_paths(site: Path) -> list[str]:
    """Every page a reader can reach: the sitemap's, and the waitlist's pages, which the sitemap
    leaves out (transactional pages: `sitemap: false`, overrides/sitemap.xml) but which are
    pages all the same, with the same checks to pass."""
    waitlist = sorted(f"waitlist/{p.parent.name}/" for p in (site / "waitlist").glob("*/index.html"))
    return sitemap_paths(site) + [p for p in waitlist if p not in sitemap_paths(site)]


def sitemap_paths(site: Path) -> list[str]:
    """Every page of the sitemap, as a path relative to the site root."""
    import re

    xml = (site / "sitemap.xml").read_text(encoding="utf-8")
    urls = re.findall(r"<loc>(.*?)</loc>", xml)
    return [re.sub(r"^https?://[^/]+/", "", url) for url in urls]
