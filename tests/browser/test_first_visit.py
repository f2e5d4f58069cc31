"""A first visit on a weak connection: the page downloads what shows it, and the scripts for its
content (the journal, printing, the waitlist form, offline use) wait for the reader's first
interaction (overrides/main.html, block scripts). These readers have not interacted yet:
`reader_interacts=False` (tests/conftest.py)."""

from __future__ import annotations

import re

import pytest

# Lighthouse's mobile emulation (bench/audit.py, `make audit`), whose figures the budget is kept in.
PHONE = {"width": 412, "height": 823}
SCALE = 1.75
BUDGET = 80 * 1024  # bytes transferred before the first interaction (issue 18), every page
LATER = re.compile(r"/assets/js/(?:journal/|print\.|waitlist\.|offline\.)|/search/search_index\.json|/workers/search\.")
TEXT = "What I noticed before the page had finished"


def arrive(browser, served: str, path: str, **options):  # type: ignore[no-untyped-def]
    """A reader who opens `path` and has not touched it yet; every request recorded with its size."""
    context = browser.new_context(**{"reader_interacts": False, "viewport": PHONE, "device_scale_factor": SCALE,
                                     "is_mobile": True, "has_touch": True, **options})
    requests: list = []
    context.on("requestfinished", lambda request: requests.append(request))
    page = context.new_page()
    page.goto(served + path)
    page.wait_for_function("() => document.documentElement.dataset.rtScripts === 'waiting'")
    page.wait_for_load_state("networkidle")
    return context, page, requests


def transferred(requests: list) -> int:
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total


# What Chrome fetches on a first visit and headless Chromium may not: the favicon, and to check
# the site can be installed, the web app manifest and its icon for the home screen (the
# smallest of 144 px or more that is not only maskable). Lighthouse counts them ("other" in
# bench/audit-report.md), so the budget does: each one the page did not fetch is fetched by the
# page itself and measured as the browser received it (headers and body).
INSTALL_CHECK = """async (fetched) => {
  const link = (rel) => document.querySelector(`link[rel="${rel}"]`).href;
  const manifest = await (await fetch(link("manifest"))).json();
  const icons = manifest.icons.filter((icon) => icon.purpose !== "maskable" && parseInt(icon.sizes) >= 144);
  const home = icons.sort((a, b) => parseInt(a.sizes) - parseInt(b.sizes))[0];
  const missing = [link("icon"), new URL(home.src, link("manifest")).href].filter((url) => !fetched.includes(url));
  if (!fetched.includes(link("manifest"))) missing.push(link("manifest"));
  for (const url of missing) if (url !== link("manifest")) await (await fetch(url)).arrayBuffer();
  return missing.reduce((sum, url) => sum + performance.getEntriesByName(url)[0].transferSize, 0);
}"""


@pytest.mark.parametrize("path", ["", "betrayal/", "worksheets/impact-map/", "journal/", "safety/"])
def test_a_first_visit_downloads_what_shows_the_page_and_nothing_else(browser, served: str, path: str) -> None:  # type: ignore[no-untyped-def]
    context, page, requests = arrive(browser, served, path)
    try:
        page.wait_for_timeout(500)
        urls = [request.url for request in requests]
        assert not [url for url in urls if LATER.search(url)], "content scripts or search fetched before the reader did anything"
        total = transferred(requests) + page.evaluate(INSTALL_CHECK, [request.url for request in requests])
        assert total <= BUDGET, f"{total / 1024:.1f} KiB before the first interaction (budget {BUDGET // 1024} KiB)"
        # The page is complete to read: its text, its header's buttons (Material's bundle and
        # navigation.js run), and its fields are there to type into.
        assert page.locator("h1").first.is_visible()
        assert page.evaluate("!!window.rtNavigation") and not page.evaluate("!!window.rtJournal")
    finally:
        context.close()


@pytest.mark.parametrize("interaction", ["scroll", "tap", "key"])
def test_the_first_interaction_brings_the_content_scripts(browser, served: str, interaction: str) -> None:  # type: ignore[no-untyped-def]
    context, page, requests = arrive(browser, served, "betrayal/", has_touch=True)
    try:
        if interaction == "scroll":
            page.mouse.wheel(0, 600)
        elif interaction == "tap":
            page.touchscreen.tap(180, 400)
        else:
            page.keyboard.press("ArrowDown")
        page.wait_for_function("() => document.documentElement.dataset.rtScripts === 'ready'")
        assert any("/assets/js/journal/main." in request.url for request in requests)
        assert page.evaluate("!!window.rtJournal")
        field = page.locator("textarea[data-rt-key^='prompt:']").first
        field.fill(TEXT)
        page.locator(".rt-reflection [data-rt-status]").filter(has_text="Saved on this device").first.wait_for()
    finally:
        context.close()


def test_what_the_reader_does_before_the_scripts_arrive_is_kept(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """On a slow connection the journal arrives after the reader has typed an answer, ticked
    nothing and pressed "Mark this chapter complete": all of it is kept and saved."""
    context, page, _ = arrive(browser, served, "betrayal/")
    held = []
    try:
        page.route(re.compile(r".*/assets/js/journal/main\.[0-9a-f]{8}\.js$"), lambda route: held.append(route))
        field = page.locator("textarea[data-rt-key^='prompt:']").first
        field.click()  # the first interaction: the content's scripts are asked for
        page.keyboard.type(TEXT)
        done = page.locator("[data-rt-complete]").first
        done.scroll_into_view_if_needed()
        done.click()
        page.wait_for_function("() => document.documentElement.dataset.rtScripts !== 'waiting'")
        assert len(held) == 1 and not page.evaluate("!!window.rtJournal")
        assert done.get_attribute("aria-pressed") == "false"  # held until the journal can do it
        assert field.input_value() == TEXT
        held[0].continue_()
        page.wait_for_function("() => document.documentElement.dataset.rtScripts === 'ready'")
        page.wait_for_function("b => b.getAttribute('aria-pressed') === 'true'", arg=done.element_handle())
        assert field.input_value() == TEXT and field.get_attribute("data-rt-early") is None
        page.locator(".rt-reflection [data-rt-status]").filter(has_text="Saved on this device").first.wait_for()
        # Kept in this browser: a reload shows them, and this time without waiting for the
        # reader (something is saved), the content's scripts run at once.
        page.unroute_all()
        page.reload()
        page.wait_for_function("() => document.documentElement.dataset.rtScripts === 'ready'")
        assert page.locator("textarea[data-rt-key^='prompt:']").first.input_value() == TEXT
        assert page.locator("[data-rt-complete]").first.get_attribute("aria-pressed") == "true"
        assert page.evaluate("document.documentElement.classList.contains('rt-saved')")
    finally:
        context.close()


def test_without_javascript_nothing_waits_and_the_page_is_a_document(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(reader_interacts=False, java_script_enabled=False, viewport=PHONE)
    requests: list = []
    context.on("request", lambda request: requests.append(request.url))
    try:
        page = context.new_page()
        page.goto(served + "betrayal/")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").first.is_visible()
        assert not [url for url in requests if LATER.search(url)]
    finally:
        context.close()
