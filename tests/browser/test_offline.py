"""The course offline and installable, in Chromium against the real service: the worker installs
after the first visit; offline, every kind of page, the search and the journal work and a page
that is not cached gets the offline page; a new build replaces exactly the page that changed,
never a mix of two; Chromium finds the site installable; the PDFs are kept on request; the
waitlist form says it needs a connection and keeps what was typed.

Other browser tests block service workers (tests/conftest.py); these allow them.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest

from publish import offline
from tests.conftest import ROOT, chromium_path, free_port, serving

RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const seen = JSON.parse(sessionStorage.getItem("__csp") || "[]");
  seen.push(`${event.violatedDirective} ${event.blockedURI}`);
  sessionStorage.setItem("__csp", JSON.stringify(seen));
});
"""


# --- helpers --------------------------------------------------------------------------------


def built_manifest(site: Path) -> dict:
    return offline.read_manifest((site / "sw.js").read_text(encoding="utf-8"))


def install(page, url: str) -> dict:  # type: ignore[no-untyped-def]
    """Open `url` and wait until the worker controls the page; its status. (The page registers
    the worker once the reader has started to use it: a key pressed, as READER_HERE does in the
    suite's own contexts, tests/conftest.py.)"""
    page.goto(url)
    page.keyboard.press("Shift")
    page.wait_for_function("() => window.rtOffline && window.rtOffline.ready")
    status = page.evaluate("rtOffline.ready")
    assert status, "no service worker took control"
    return status


def cached_search(page) -> int:  # type: ignore[no-untyped-def]
    """How many of the search files (index, worker) the current build's cache holds."""
    return page.evaluate(r"""async () => {
      const names = (await caches.keys()).filter((name) => name.includes(":build:"));
      if (names.length !== 1) return -1;
      const cache = await caches.open(names[0]);
      return (await cache.keys()).filter((r) => /search_index\.json|workers\/search\./.test(r.url)).length;
    }""")


def search_once(page) -> None:  # type: ignore[no-untyped-def]
    """Search as a reader would, until the worker has kept both search files."""
    box = page.locator("input[data-md-component=search-query]")
    box.click()
    box.press_sequentially("anger", delay=10)
    page.locator(".md-search-result__item").first.wait_for()
    deadline = time.monotonic() + 10
    while cached_search(page) != 2:
        assert time.monotonic() < deadline, "the worker did not keep search"
        page.wait_for_timeout(100)


def worker_build(page) -> str | None:  # type: ignore[no-untyped-def]
    return page.evaluate("rtOffline.status().then(s => s && s.build)")


def wait_for_build(page, build: str, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while worker_build(page) != build:
        assert time.monotonic() < deadline, f"the worker did not move to build {build}"
        page.wait_for_timeout(100)


def settle_update(page) -> None:  # type: ignore[no-untyped-def]
    """Ask for an update check now and wait until it has finished, installed or failed."""
    page.evaluate("""async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      await registration.update().catch(() => null);
      while (registration.installing || registration.waiting) await new Promise(r => setTimeout(r, 50));
    }""")


def compress_like_the_build(path: Path) -> None:
    """What publish/compress.py does for one file: its .br and .gz copies."""
    data = path.read_bytes()
    path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=5))
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, mtime=0))


def rebuild_worker(site: Path) -> str:
    """The build's offline step on a site whose files changed: sw.js (and its compressed
    copies) written again from the files' hashes. Returns the new build id."""
    built = offline.manifest(site)
    (site / "sw.js").write_text(offline.worker_script(built), encoding="utf-8")
    compress_like_the_build(site / "sw.js")
    return built.build


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(service_workers="allow")
    context.add_init_script(RECORD_VIOLATIONS)
    yield context
    context.close()


@pytest.fixture
def own_site(site: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A copy of the built site served by its own service on another port (its own origin, so
    its own worker): the tests may change its files as a new deploy would."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    with serving(copy, free_port(), tmp_path / "waitlist.sqlite3") as url:
        yield copy, url


# --- offline ----------------------------------------------------------------------------------


def test_offline_a_chapter_a_worksheet_the_journal_and_search_work(context, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e} @ {page.url}"))
    status = install(page, served)
    assert status["build"] == built_manifest(site)["build"]
    assert status["files"] == len(built_manifest(site)["files"])
    # Search is kept once the reader has used it online (it is not fetched at install).
    search_once(page)
    context.set_offline(True)
    assert page.evaluate("navigator.onLine") is False

    response = page.goto(served + "betrayal/")
    assert response.ok and response.from_service_worker
    csp = response.headers["content-security-policy"]  # the policy the page was cached with
    assert "sha256-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.locator("h1").first.inner_text()
    page.wait_for_selector("html[data-rt-scripts=ready]")
    reflection = page.locator(".rt-reflection").first
    reflection.locator("textarea[data-rt-key^='prompt:']").fill("Written without a connection")
    reflection.locator("[data-rt-status]").filter(has_text="Saved on this device").wait_for()

    response = page.goto(served + "worksheets/impact-map/")
    assert response.ok and response.from_service_worker
    page.locator("[data-rt-worksheet] [data-rt-key]").first.wait_for()

    response = page.goto(served + "journal/index.html")  # x/index.html is x/
    assert response.ok and response.from_service_worker
    page.locator("[data-rt-journal-entries]").filter(has_text="Written without a connection").wait_for()

    box = page.locator("input[data-md-component=search-query]")
    box.click()
    box.press_sequentially("forgiveness", delay=10)
    page.locator(".md-search-result__item").first.wait_for()

    # Instant navigation still works offline (the sitemap is cached): a window marker survives.
    page.goto(served + "introduction/")
    page.wait_for_selector("html[data-rt-scripts=ready]")
    page.evaluate("window.__rtMarker = 1")
    page.locator(f'.md-nav--primary a.md-nav__link[href="{served}betrayal/"]').first.click()
    page.wait_for_url(served + "betrayal/")
    page.locator("textarea[data-rt-key^='prompt:']").first.wait_for()
    assert page.evaluate("window.__rtMarker") == 1

    # A page the worker does not hold: the offline page, not the browser's error.
    response = page.goto(served + "waitlist/thanks/")
    assert response.status == 503
    assert "You’re offline" in page.locator("h1").inner_text()
    assert page.evaluate("JSON.parse(sessionStorage.getItem('__csp') || '[]')") == []
    assert problems == []


def test_after_a_first_visit_search_works_offline_though_the_reader_never_searched(context, served: str) -> None:  # type: ignore[no-untyped-def]
    """The install keeps search's worker and index with the course (issue 27): a reader who
    visited once and never searched finds a chapter by search offline."""
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url) if request.service_worker else None)
    page = context.new_page()
    status = install(page, served)
    assert status["files"] > 30
    assert any(u.endswith("/betrayal/") for u in urls)  # the worker did fetch the course
    assert [u for u in urls if "search_index.json" in u] and [u for u in urls if "/workers/search." in u]
    assert cached_search(page) == 2
    context.set_offline(True)
    page.goto(served + "safety/")
    page.wait_for_selector("html[data-rt-scripts=ready]")
    box = page.locator("input[data-md-component=search-query]")
    box.click()
    box.press_sequentially("forgiveness", delay=10)
    page.locator(".md-search-result__item").first.wait_for()
    found = page.locator(".md-search-result__link").evaluate_all("links => links.map(l => l.getAttribute('href'))")
    assert any("forgiveness/" in href for href in found), found
    assert page.evaluate("document.documentElement.dataset.rtSearch") != "failed"


def test_a_new_build_replaces_exactly_the_changed_page_and_never_a_mix(context, own_site) -> None:  # type: ignore[no-untyped-def]
    copy, url = own_site
    fetched: list[str] = []  # by the worker
    context.on("request", lambda request: fetched.append(request.url) if request.service_worker else None)
    page = context.new_page()
    first = install(page, url)["build"]
    search_once(page)  # kept by the worker when fetched; a new build carries it over unchanged
    chapter = copy / "betrayal" / "index.html"
    old = chapter.read_text(encoding="utf-8")
    new = old.replace("</h1>", '</h1>\n<p id="rt-new-build">A sentence from the new build.</p>', 1)
    assert new != old

    # A half-deployed server: the new page and worker, but the old compressed copies of the
    # page (which the service prefers). The new worker finds bytes that are not its build's and
    # fails to install; the old one stays, with its whole cache.
    chapter.write_text(new, encoding="utf-8")
    second = rebuild_worker(copy)
    assert second != first
    fetched.clear()
    settle_update(page)
    assert url + "betrayal/" in fetched  # the new worker tried, and gave up
    assert worker_build(page) == first
    assert page.evaluate("caches.keys()") == [f"rt-offline:/:build:{first}"]
    context.set_offline(True)
    page.goto(url + "betrayal/")
    assert page.locator("#rt-new-build").count() == 0
    context.set_offline(False)

    # The deploy completes. One online visit: the new worker installs, fetching only the page
    # that changed (everything else is copied from the old cache), and takes over.
    compress_like_the_build(chapter)
    os.utime(chapter)
    fetched.clear()
    page.goto(url + "consistency/")
    page.wait_for_selector("html[data-rt-scripts=ready]")
    page.wait_for_function("() => window.rtOffline && window.rtOffline.ready")
    page.evaluate("window.__rtMarker = 1")
    settle_update(page)
    wait_for_build(page, second)
    assert [u for u in fetched if not u.endswith("/sw.js")] == [url + "betrayal/"]
    page.wait_for_function("() => navigator.serviceWorker.controller.state === 'activated'")  # old caches gone
    names = page.evaluate("caches.keys()")
    assert names == [f"rt-offline:/:build:{second}"], names
    assert cached_search(page) == 2  # copied from the old cache: the fetched list above has no search

    # The page was loaded under the old build: its next navigation is a full load.
    page.wait_for_selector("html[data-rt-offline-updated]")
    page.locator(f'.md-nav--primary a.md-nav__link[href="{url}betrayal/"]').first.click()
    page.wait_for_url(url + "betrayal/")
    page.locator("#rt-new-build").wait_for()
    assert page.evaluate("window.__rtMarker") is None

    context.set_offline(True)
    page.goto(url + "introduction/")
    page.goto(url + "betrayal/")
    assert page.locator("#rt-new-build").inner_text() == "A sentence from the new build."


def test_a_worker_left_on_the_address_of_mkdocs_serve_removes_itself(context, own_site) -> None:  # type: ignore[no-untyped-def]
    """`make serve` then `make dev` on the same port: the preview's sw.js (publish/sw-serve.js)
    replaces the built site's worker, deletes its caches and unregisters; the preview's pages
    (no data-rt-worker on the manifest link) register nothing."""
    copy, url = own_site
    page = context.new_page()
    install(page, url)
    (copy / "sw.js").write_text((ROOT / "publish" / "sw-serve.js").read_text(encoding="utf-8"), encoding="utf-8")
    compress_like_the_build(copy / "sw.js")
    intro = copy / "introduction" / "index.html"
    preview = intro.read_text(encoding="utf-8").replace(" data-rt-worker>", ">").replace("</h1>", '</h1><p id="rt-preview">Fresh</p>', 1)
    intro.write_text(preview, encoding="utf-8")
    compress_like_the_build(intro)

    page.goto(url + "introduction/")  # still the built page, from the cache; the update check follows
    assert page.locator("#rt-preview").count() == 0
    deadline = time.monotonic() + 20
    while page.evaluate("""async () => (await navigator.serviceWorker.getRegistrations()).length
                                       + (await caches.keys()).length"""):
        assert time.monotonic() < deadline, "the built site's worker is still there"
        page.wait_for_timeout(100)
    response = page.goto(url + "introduction/")
    assert not response.from_service_worker
    page.locator("#rt-preview").wait_for()
    page.wait_for_selector("html[data-rt-scripts=ready]")
    page.wait_for_timeout(500)
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0


def test_nothing_typed_is_in_any_request_the_worker_included(context, served: str) -> None:  # type: ignore[no-untyped-def]
    """The journal's privacy test (tests/browser/test_journal.py), with the worker installed:
    typing makes no request at all, and no request, the worker's included, carries the text."""
    marker = "ZQXJ-OFFLINE-5521"
    seen: list[tuple[str, str]] = []
    context.on("request", lambda r: seen.append((r.url, r.post_data or "")))
    page = context.new_page()
    install(page, served + "betrayal/")
    page.wait_for_selector("html[data-rt-scripts=ready]")
    page.wait_for_timeout(300)
    quiet_from = len(seen)
    reflection = page.locator(".rt-reflection").first
    reflection.locator("textarea[data-rt-key^='prompt:']").fill(f"{marker} one")
    reflection.locator("[data-rt-status]").filter(has_text="Saved on this device").wait_for()
    page.wait_for_timeout(300)
    # (The browser fetches the tab's icon on its own schedule, through the worker: not the page's doing.)
    assert [u for u, _ in seen[quiet_from:] if not u.endswith("/favicon.svg")] == []
    page.goto(served + "journal/")
    page.locator("[data-rt-journal-entries]").filter(has_text=marker).wait_for()
    assert [u for u, body in seen if marker in u or marker in body] == []
    assert all(u.startswith(served) for u, _ in seen), [u for u, _ in seen]


# --- installing -------------------------------------------------------------------------------


def test_chromium_finds_the_site_installable(browser, served: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Lighthouse 12 has no PWA category: Chromium's own checks. Browser contexts are incognito,
    where nothing installs, so this one runs in a profile of its own."""
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=chromium_path(), headless=True, service_workers="allow")
    try:
        page = context.new_page()
        install(page, served)
        cdp = page.context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == served + "manifest.webmanifest"
        assert manifest["errors"] == []
        assert '"display": "standalone"' in manifest["data"]
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_toolbar_colour_is_the_headers_in_each_scheme(browser, served: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.goto(served + "betrayal/")
    colour = page.evaluate(f"""() => {{
      const meta = document.querySelector('meta[name=theme-color][media="(prefers-color-scheme: {scheme})"]');
      const probe = document.createElement("i");
      probe.style.color = meta.content;
      document.body.append(probe);
      return [getComputedStyle(probe).color, getComputedStyle(document.querySelector(".md-header")).backgroundColor];
    }}""")
    context.close()
    assert colour[0] == colour[1]


# --- the PDFs, on request -----------------------------------------------------------------------


def test_the_pdfs_are_kept_on_request_by_keyboard_and_open_offline(context, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    install(page, served + "worksheets/")
    button = page.get_by_role("button", name="Keep worksheets PDFs offline")
    button.wait_for()
    assert page.locator("[data-rt-offline-pdfs] [role=status]").inner_text() == ""
    button.focus()
    page.keyboard.press("Enter")
    status = page.locator("[data-rt-offline-pdfs] [role=status]")
    status.filter(has_text="Saved on this device").wait_for()
    pdfs = built_manifest(site)["pdfs"]
    assert f"the {len(pdfs)} PDFs" in status.inner_text()
    assert page.evaluate("document.activeElement.textContent") == "Keep worksheets PDFs offline"

    # A forced reload (Shift+reload) bypasses the worker: the page still finds it, and says so.
    with page.expect_navigation():
        context.new_cdp_session(page).send("Page.reload", {"ignoreCache": True})
    assert page.evaluate("navigator.serviceWorker.controller") is None
    status.filter(has_text="Saved on this device").wait_for()

    context.set_offline(True)
    workbook = next(p for p in pdfs if "workbook" in p)
    size = page.evaluate("url => fetch(url).then(r => r.ok ? r.arrayBuffer() : null).then(b => b && b.byteLength)",
                         served + workbook)
    assert size == (site / workbook).stat().st_size
    page.reload()
    page.locator("[data-rt-offline-pdfs] [role=status]").filter(has_text="Saved on this device").wait_for()


def test_the_pdf_button_is_hidden_without_a_service_worker(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    for options in ({"java_script_enabled": False}, {"service_workers": "block"}):
        context = browser.new_context(**options)
        page = context.new_page()
        page.goto(served + "worksheets/")
        if options.get("java_script_enabled") is not False:
            page.wait_for_selector("html[data-rt-scripts=ready]")
            page.wait_for_function("() => window.rtOffline && window.rtOffline.ready")
            page.evaluate("rtOffline.ready")
        assert page.locator("[data-rt-offline-pdfs]").is_hidden()
        context.close()


# --- the waitlist form ------------------------------------------------------------------------


def test_the_waitlist_form_offline_says_it_needs_a_connection_and_keeps_what_was_typed(page, served: str, database: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    email = f"offline-{uuid.uuid4().hex[:8]}@example.com"
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(served)
    page.wait_for_selector("html[data-rt-scripts=ready]")
    page.fill("#rt-waitlist-email", email)
    page.check("#rt-waitlist-consent")
    page.context.set_offline(True)
    page.click("#rt-waitlist-form button[type=submit]")
    message = page.locator("#rt-waitlist-message")
    assert re.search(r"You’re offline\. Signing up needs a connection; what you typed is still here", message.inner_text())
    assert page.input_value("#rt-waitlist-email") == email and page.is_checked("#rt-waitlist-consent")
    assert posts == []

    page.context.set_offline(False)
    page.click("#rt-waitlist-form button[type=submit]")
    page.locator(".rt-waitlist__message--success").wait_for()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM waitlist_signups WHERE email = ?", (email,)).fetchone()[0] == 1
