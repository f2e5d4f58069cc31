"""Search results and worksheets by keyboard (issue 28): a focus you can see on search results
(also in forced colours), search with results shown passes axe, "Skip to content" on every page
leading into <main>, a visible ring on the title after an instant navigation and after
unlocking, a wrong passphrase marked on its field, every kind of worksheet field saying it was
saved, and the site's navigation on the landing page at 1280 px."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.colours import contrast
from tests.browser.helpers import FOCUS, violations
from tests.conftest import page_paths

SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
QUERY = "forgiveness"  # several sections of one page: a result with "N more on this page"

# The focused element's ring: outline style, width and colour, and the colour behind it.
RING = """
() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  let bg = "rgba(0, 0, 0, 0)";
  for (let node = el; node && /rgba\\(0, 0, 0, 0\\)|transparent/.test(bg); node = node.parentElement) bg = getComputedStyle(node).backgroundColor;
  const parse = (v) => { const m = v.match(/[\\d.]+/g).map(Number); return m.slice(0, 3); };
  return {tag: el.tagName, cls: el.className, style: s.outlineStyle, width: parseFloat(s.outlineWidth),
          colour: parse(s.outlineColor), bg: parse(bg)};
}
"""


def ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")


def search(page, served: str, size: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(served + "betrayal/")
    ready(page)
    if size == "phone":
        page.locator("[data-rt-search-open]").click()
    else:
        page.locator("input[data-md-component=search-query]").click()
    page.keyboard.type(QUERY, delay=10)
    page.locator(".md-search-result__item").first.wait_for()
    page.locator(".md-search-result__more > summary").first.wait_for()


def assert_visible_ring(page, where: str) -> dict:  # type: ignore[no-untyped-def]
    ring = page.evaluate(RING)
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 2, (where, ring)
    assert contrast(ring["colour"], ring["bg"]) >= 3, (where, ring)
    return ring


@pytest.mark.parametrize("forced", [False, True], ids=["normal", "forced-colours"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_arrow_keys_move_through_results_with_a_visible_ring(browser, served: str, scheme: str, forced: bool) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES["desktop"], color_scheme=scheme,
                                  forced_colors="active" if forced else "none")
    page = context.new_page()
    search(page, served, "desktop")
    hint = page.locator("#rt-search-hint")
    assert hint.is_visible() and "arrow keys" in hint.inner_text()
    assert "rt-search-hint" in page.locator("input[data-md-component=search-query]").get_attribute("aria-describedby")
    seen = set()
    for _ in range(6):
        page.keyboard.press("ArrowDown")
        ring = assert_visible_ring(page, f"result {len(seen)}")
        seen.add(ring["tag"])
    assert {"A", "SUMMARY"} <= seen, seen  # a result and "N more on this page"
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES)
def test_search_with_results_shown_has_no_axe_violations(browser, served: str, size: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    search(page, served, size)
    assert not violations(page)
    page.keyboard.press("ArrowDown")  # a result focused: its colours on the focus ground
    assert not violations(page)
    context.close()


def skip_link_problem(html: str) -> str | None:
    """What is wrong with a built page's "Skip to content" link, or None: it must be the first
    link in <body>'s order but for "Leave this site", and lead to the <h1> in <main>, which can
    take focus (tabindex=-1)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    links = [a for a in soup.body.find_all("a", href=True) if "rt-quick-exit" not in " ".join(a.get("class", []))]
    if not links or "md-skip" not in links[0].get("class", []):
        return f"the first link is {links[0] if links else None}, not the skip link"
    target = soup.find(id=links[0]["href"].lstrip("#"))
    if target is None or target.name != "h1" or target.find_parent("main") is None:
        return f"the skip link leads to {target.name if target else 'nothing'}, not the <h1> in <main>"
    if target.get("tabindex") != "-1":
        return "the title cannot take focus (no tabindex=-1)"
    return None


def test_every_page_leads_with_a_skip_link_to_its_title(site: Path) -> None:
    """Every page, as built: the skip link first, to a title that takes focus. (What a browser
    does with it is tested on one page of each kind below: they share their templates.)"""
    paths = [*page_paths(site), "404.html"]
    assert sum(p.startswith("worksheets/") for p in paths) >= 16
    problems = {}
    for path in paths:
        html = (site / (path if path.endswith(".html") else path + "index.html")).read_text(encoding="utf-8")
        if problem := skip_link_problem(html):
            problems[path] = problem
    assert not problems, problems


def one_page_of_each_kind(site: Path) -> list[str]:
    """The landing page, a chapter, the worksheets' index, a worksheet, the journal, the other
    course pages' first, a waitlist page and 404.html: every template the site's pages use."""
    paths = page_paths(site)
    worksheets = [p for p in paths if p.startswith("worksheets/") and p != "worksheets/"]
    waitlist = [p for p in paths if p.startswith("waitlist/")]
    chapter = next(p for p in paths if 'data-rt-prompt="' in (site / p / "index.html").read_text(encoding="utf-8"))
    kinds = ["", chapter, "worksheets/", worksheets[0], "journal/", "safety/", waitlist[0], "404.html"]
    assert all(k in paths or k == "404.html" for k in kinds), kinds
    return kinds


@pytest.mark.parametrize("size", SIZES)
def test_the_skip_link_moves_focus_into_main_on_every_kind_of_page(browser, served: str, site: Path, size: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    for path in one_page_of_each_kind(site):
        page.goto(served + path)
        ready(page)
        stops = []
        for _ in range(2):
            page.keyboard.press("Tab")
            stops.append(page.evaluate("document.activeElement.matches('.md-skip')"))
            if stops[-1]:
                break
        assert stops[-1], f"/{path}: no skip link in the first two Tab stops"
        # The title that is there now is the one that takes focus: the skip link moves focus in
        # place. (Material's instant navigation, left to take the link, fetched the page again
        # and swapped it in, and on a busy machine the swap came after the focus, which fell to
        # <body>.)
        page.evaluate("document.querySelector('main h1').__rtBefore = true")
        fetched.clear()
        page.keyboard.press("Enter")
        try:
            page.wait_for_function("() => document.activeElement && document.activeElement.matches('main h1')", timeout=10_000)
        except PlaywrightTimeout:
            focused = page.evaluate("document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : null")
            raise AssertionError(f"/{path}: after the skip link, focus is on {focused}, not the title") from None
        assert page.evaluate("document.activeElement.__rtBefore === true"), f"/{path}: the page was swapped for another copy"
        assert fetched == [], f"/{path}: the skip link fetched {fetched}"
        title = page.evaluate(FOCUS)
        assert title["inside"] and title["uncovered"], f"/{path}: the title took focus out of sight: {title}"
    context.close()


def test_the_title_shows_its_ring_after_an_instant_navigation_and_after_unlocking(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    page.goto(served + "introduction/")
    ready(page)
    page.evaluate("window.__rtSamePage = 1")
    page.locator("article a[href$='betrayal/']").first.click()
    page.wait_for_url(re.compile(r"/betrayal/"))
    page.wait_for_function("() => document.activeElement && document.activeElement.matches('.md-content h1')")
    assert page.evaluate("window.__rtSamePage") == 1, "not an instant navigation"
    assert_visible_ring(page, "after instant navigation")

    # Lock the journal, reload, unlock: focus goes back to the title, with its ring.
    page.goto(served + "journal/")
    ready(page)
    page.locator('[data-rt-lock-open="set"]').click()
    page.locator("#rt-lock-set-new").fill("blue kettle morning rain")
    page.locator("#rt-lock-set-again").fill("blue kettle morning rain")
    page.locator('[data-rt-lock-form="set"] button[type="submit"]').click()
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    page.goto(served + "betrayal/")
    ready(page)
    page.locator("[data-rt-unlock-open]").click()
    field = page.locator("#rt-unlock-passphrase")

    # A wrong passphrase: the field is marked invalid and described by the alert.
    field.fill("not it")
    page.locator("[data-rt-unlock-form] button[type=submit]").click()
    page.wait_for_function("() => document.querySelector('#rt-unlock-passphrase').getAttribute('aria-invalid') === 'true'")
    described = field.get_attribute("aria-describedby").split()
    alert = page.locator("[data-rt-unlock-alert]")
    assert alert.get_attribute("id") in described and "rt-unlock-help" in described
    assert "does not open" in alert.inner_text()

    field.fill("blue kettle morning rain")
    page.locator("[data-rt-unlock-form] button[type=submit]").click()
    page.wait_for_function("() => document.activeElement && document.activeElement.matches('.md-content h1')")
    assert field.get_attribute("aria-invalid") is None
    assert_visible_ring(page, "after unlocking")
    context.close()


@pytest.mark.parametrize(("selector", "how"), [
    (".rt-field--table input.rt-input--cell", "type"),
    (".rt-field--date input[type=date]", "date"),
    (".rt-field--scale input[type=radio]", "check"),
    (".rt-field--checklist input[type=checkbox]", "check"),
])
def test_every_kind_of_field_says_and_announces_it_was_saved(browser, served: str, selector: str, how: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES["phone"])
    page = context.new_page()
    path = "worksheets/armor-and-openings/" if "checklist" in selector else "worksheets/consistency-tracker/"
    page.goto(served + path)
    ready(page)
    field = page.locator(selector).first
    if how == "type":
        field.fill("Home by six")
    elif how == "date":
        field.fill("2026-12-04")
    else:
        field.check()
    status = field.locator("xpath=ancestor::*[contains(@class, 'rt-field')][1]").locator("[data-rt-status]")
    assert status.get_attribute("aria-live") == "polite"
    page.wait_for_function("(el) => el.textContent.includes('Saved on this device')", arg=status.element_handle())
    context.close()


def test_the_landing_page_offers_the_sites_navigation_on_a_wide_screen(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    page.goto(served)
    ready(page)
    nav = page.locator(".md-sidebar--primary .md-nav--primary")
    links = nav.locator("a.md-nav__link:visible")
    assert links.count() >= 8
    assert links.first.inner_text().strip() == "Start here"
    context.close()


def test_in_forced_colours_the_search_field_and_the_header_keep_a_boundary(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES["desktop"], forced_colors="active")
    page = context.new_page()
    page.goto(served + "betrayal/")
    ready(page)
    borders = page.evaluate("""() => [".md-search__form", ".md-header"].map(sel => {
        const s = getComputedStyle(document.querySelector(sel));
        return [sel, s.borderBottomStyle, parseFloat(s.borderBottomWidth)]; })""")
    for selector, style, width in borders:
        assert style == "solid" and width >= 1, (selector, style, width)
    context.close()
