"""Material's search, driven like a reader: type a phrase, pick the first result, land on the page."""

from __future__ import annotations

import pytest

from course.data import load_course
from tests.browser.helpers import search_and_open
from tests.conftest import ROOT

COURSE = load_course(ROOT / "data")


# Short words such as "in" or "of" prefix-match titles ("Introduction"), which Material boosts
# a thousandfold; readers search with the words that matter, and so do these tests.
@pytest.mark.parametrize(
    ("query", "chapter"),
    [
        ("tiny boring everyday acts reliability", "consistency/"),
        ("tired trapped anger", "forgiveness/"),
        ("playful exchange language renewal", "intimacy/"),
        # The second edition's new sections, in the words a reader would type. ("Partner" is
        # left out: worksheet section titles such as "Partner A's turn" carry the title boost.)
        ("sleep eating first days", "betrayal/"),
        ("won't engage", "forgiveness/"),
        ("only one of you is doing this", "forgiveness/"),
        ("trickle truth", "betrayal/"),  # disclosure moved to chapter 1 in the third edition
        ("choosing a therapist", "practices/"),
    ],
)
def test_phrases_from_chapters_find_their_chapter(page, served: str, query: str, chapter: str) -> None:  # type: ignore[no-untyped-def]
    assert search_and_open(page, served, query) == chapter


@pytest.mark.parametrize("worksheet_id", ["consistency-tracker", "weekly-check-in", "two-kinds-of-forgiveness"])
def test_worksheet_titles_find_their_pages(page, served: str, worksheet_id: str) -> None:  # type: ignore[no-untyped-def]
    title = COURSE.worksheets[worksheet_id].title
    assert search_and_open(page, served, title) == f"worksheets/{worksheet_id}/"


@pytest.mark.parametrize(("query", "worksheet_id"), [
    ("first week", "first-week"),
    ("questions", "questions-i-need-answered"),
    ("therapist", "questions-for-a-therapist"),
])
def test_the_third_editions_worksheets_are_found_by_plain_words(page, served: str, query: str, worksheet_id: str) -> None:  # type: ignore[no-untyped-def]
    """Among the results a reader sees for a plain word (issue 24)."""
    page.goto(served)
    box = page.locator("input[data-md-component=search-query]")
    box.click()
    box.press_sequentially(query, delay=10)
    page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
    page.wait_for_timeout(500)  # the worker catches up with the last key
    hrefs = page.locator(".md-search-result__item a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert any(f"worksheets/{worksheet_id}/" in href for href in hrefs), hrefs


# --- search on demand (overrides/assets/js/search.js) ------------------------------------------

SEARCH_FILES = ("/search/search_index.json", "/assets/javascripts/workers/search.")
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def search_requests(urls: list[str]) -> list[str]:
    return [url for url in urls if any(part in url for part in SEARCH_FILES)]


def opened_page(browser, base: str, path: str, viewport: dict):  # type: ignore[no-untyped-def]
    """A fresh reader on `path`, every request it sends recorded (the page's and its workers')."""
    context = browser.new_context(viewport=viewport)
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_selector("html[data-rt-scripts=ready]")
    return context, page, urls


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", ["", "betrayal/", "worksheets/impact-map/", "journal/"])
def test_nothing_of_search_is_fetched_until_the_reader_reaches_for_it(browser, served: str, path: str, viewport: dict) -> None:  # type: ignore[no-untyped-def]
    context, page, urls = opened_page(browser, served, path, viewport)
    try:
        page.wait_for_load_state("networkidle")
        # Reading: scrolling, typing an answer, on through the page by keyboard. (Tabbing
        # through the header reaches the search box on desktop: that is reaching for search.)
        page.mouse.wheel(0, 1500)
        field = page.locator("textarea[data-rt-key]").first
        if field.count():
            field.fill("Something I wrote")
        else:
            page.locator("main h1").first.click()
        for _ in range(3):
            page.keyboard.press("Tab")
        page.wait_for_timeout(300)
        assert search_requests(urls) == [], "search was fetched before the reader used it"
        assert page.evaluate("document.documentElement.dataset.rtSearch") == "idle"

        # Now the reader opens search: the worker and the index come, and a query is answered.
        if viewport is PHONE:
            page.locator("[data-rt-search-open]").click()
        box = page.locator("input[data-md-component=search-query]")
        box.click()
        box.press_sequentially("forgiveness", delay=10)
        page.locator(".md-search-result__item").first.wait_for()
        fetched = search_requests(urls)
        assert any("search_index.json" in url for url in fetched) and any("workers/search." in url for url in fetched)
        assert page.evaluate("document.documentElement.dataset.rtSearch") == "ready"
    finally:
        context.close()


def open_by_search_button(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-rt-search-open]").click()


def open_by_shortcut(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("body").press("/")  # Material's shortcut (also "s" and "f") focuses the box


def open_by_tab_into_the_box(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("input[data-md-component=search-query]").focus()


def open_by_keyboard_on_a_phone(page) -> None:  # type: ignore[no-untyped-def]
    """Tab to the header's search button: reaching it is not reaching for search; Enter is."""
    button = page.locator("[data-rt-search-open]")
    while not page.evaluate("document.activeElement.matches('[data-rt-search-open]')"):
        page.keyboard.press("Tab")
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.dataset.rtSearch") == "idle"
    assert button.is_visible()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.matches('input[data-md-component=search-query]')")


@pytest.mark.parametrize(("opening", "viewport"), [
    (open_by_search_button, PHONE), (open_by_keyboard_on_a_phone, PHONE), (open_by_shortcut, DESKTOP),
    (open_by_tab_into_the_box, DESKTOP)],
    ids=["phone-button", "phone-keyboard", "shortcut", "focus"])
def test_a_query_typed_while_search_loads_is_answered_when_it_is_ready(browser, served: str, opening, viewport: dict) -> None:  # type: ignore[no-untyped-def]
    context, page, urls = opened_page(browser, served, "consistency/", viewport)
    held = []
    try:
        page.route("**/search/search_index.json", lambda route: held.append(route))  # the index is slow to arrive
        opening(page)
        page.keyboard.type("trickle truth", delay=10)
        page.wait_for_function("() => document.documentElement.dataset.rtSearch === 'loading'")
        assert len(held) == 1
        # The reader sees that search is loading, and so does a screen reader (aria-busy).
        result = page.locator("[data-md-component=search-result]")
        assert result.get_attribute("aria-busy") == "true"
        assert page.locator(".md-search-result__meta").inner_text().strip() == "Initializing search"
        assert page.locator(".md-search-result__meta").is_visible()
        held[0].continue_()
        first = page.locator(".md-search-result__item > a:first-child:not(:has(.md-search-result__terms))").first
        first.wait_for()
        assert page.input_value("input[data-md-component=search-query]") == "trickle truth"
        assert "betrayal/" in first.get_attribute("href")
        assert result.get_attribute("aria-busy") is None
        assert len(search_requests(urls)) == 2  # the index once, the worker once
    finally:
        context.close()


def test_an_index_that_cannot_be_fetched_says_so_instead_of_loading_for_ever(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context, page, _ = opened_page(browser, served, "betrayal/", DESKTOP)
    try:
        page.route("**/search/search_index.json", lambda route: route.abort("internetdisconnected"))
        box = page.locator("input[data-md-component=search-query]")
        box.click()
        box.press_sequentially("anger", delay=10)
        page.wait_for_function("() => document.documentElement.dataset.rtSearch === 'failed'")
        assert "could not be loaded" in page.locator(".md-search-result__meta").inner_text()
        assert page.locator("[data-md-component=search-result]").get_attribute("aria-busy") is None
    finally:
        context.close()
