"""How a page starts: the reader's colour scheme from the first paint (partials/palette.html,
partials/rt-palette.html), before any script file runs; the whole first screen in the first
paint; then the scripts, once the page is on screen, with nothing left for Material's bundle to
restyle when it starts (overrides/main.html)."""

from __future__ import annotations

import time

import pytest

BUNDLE = "**/assets/javascripts/bundle.*.min.js"
SCRIPTS = "**/*.js"
PAINTED_THEN_RAN = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const ran = performance.getEntriesByName("rt-scripts")[0];
  const bundle = performance.getEntriesByType("resource").find((r) => r.name.includes("/javascripts/bundle."));
  return { paint: paint && paint.startTime, ran: ran && ran.startTime, fetched: bundle && bundle.startTime };
}"""
# Nothing is painted until the test takes this sheet away.
HIDE_THE_PAGE = """(() => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync("html { display: none !important }");
  document.adoptedStyleSheets = [sheet];
  window.__rtShow = () => { document.adoptedStyleSheets = []; };
})()"""
# Timers of a second or more never fire (the loader's fallback is one).
HOLD_BACK_SLOW_TIMERS = (
    "(() => { const set = window.setTimeout;"
    " window.setTimeout = (fn, ms, ...rest) => (ms >= 1000 ? 0 : set(fn, ms, ...rest)); })()")


def test_scripts_run_after_the_first_paint_and_start_materials_bundle(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """Preloaded with the page, run once it is painted; Material's bundle still starts (its
    document$ emits: search is mounted) and so do ours, and instant navigation works."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The loader's last resort (a one-second timer, for a paint that never comes) is held back:
    # on a loaded machine the first paint can come later than that, and the order under test is
    # the one a paint sets.
    page.add_init_script(HOLD_BACK_SLOW_TIMERS)
    # As on a loaded machine (CI once saw the first paint at 2.5 s): nothing is painted until
    # well after the one-second timer would have fired.
    page.add_init_script(HIDE_THE_PAGE)
    page.goto(served + "introduction/", wait_until="domcontentloaded")
    time.sleep(1.5)
    page.evaluate("window.__rtShow()")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    times = page.evaluate(PAINTED_THEN_RAN)
    assert times["paint"] is not None and times["ran"] is not None and times["fetched"] is not None, times
    assert times["fetched"] < times["paint"] <= times["ran"], times  # fetched early, run after the paint
    assert page.evaluate("typeof window.document$ === 'object'")  # the bundle ran
    assert page.locator("[data-md-component=search-result] .md-search-result__meta").count() == 1  # mounted
    assert page.evaluate("typeof window.rtJournal === 'object' && window.__rtPrint === true")
    page.evaluate("window.__stayed = true")
    page.locator(".md-footer__link--next").click()
    page.wait_for_function("() => location.pathname.endsWith('/betrayal/')")
    page.locator("h1#understanding-betrayal").wait_for()
    assert page.evaluate("window.__stayed === true"), "expected an instant navigation"
    assert errors == []
    context.close()


def test_without_paint_timing_the_scripts_still_run(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """A browser that reports no paints (no PerformanceObserver) gets the scripts at once,
    not never: the loader does not wait for an entry that cannot come."""
    page = browser.new_page()
    page.add_init_script("delete window.PerformanceObserver")
    # The loader's last resort is a one-second timer. Timers of a second or more never fire
    # here, so the scripts become ready only if the loader runs them at once; a wall-clock
    # limit could not tell the two apart on a loaded machine.
    page.add_init_script(HOLD_BACK_SLOW_TIMERS)
    page.goto(served + "introduction/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert page.evaluate("typeof window.document$ === 'object' && typeof window.rtJournal === 'object'")
    page.close()


@pytest.mark.parametrize(("scheme", "expected", "meta", "toggle"), [
    ("dark", "slate", "dark", "Switch to light mode"),
    ("light", "default", "light", "Switch to dark mode"),
])
def test_a_first_visit_gets_the_systems_scheme_before_any_script_file_runs(  # type: ignore[no-untyped-def]
        browser, served: str, scheme: str, expected: str, meta: str, toggle: str) -> None:
    """A phone in dark mode at night gets the dark scheme from the first paint: with every
    script file blocked, only the inline palette script has run."""
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.route(SCRIPTS, lambda route: route.abort())
    page.goto(served + "introduction/")
    assert page.get_attribute("body", "data-md-color-scheme") == expected
    assert page.get_attribute('meta[name="color-scheme"]', "content") == meta
    visible = page.locator("[data-rt-palette] button:visible")
    assert visible.count() == 1 and visible.get_attribute("title") == toggle
    assert page.evaluate("typeof window.document$") == "undefined", "a script file ran"
    # Search already has its place (html.js from the head script), so the toggle beside it will not move
    # when the bundle shows it: the box on a wide screen, the button on a phone.
    assert page.locator(".md-search").is_visible()
    page.set_viewport_size({"width": 412, "height": 823})
    assert page.locator('.md-header__button[data-rt-search-open]').is_visible()
    context.close()


def test_the_toggle_switches_by_click_and_by_keyboard_and_the_choice_is_kept(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(served + "introduction/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert page.get_attribute("body", "data-md-color-scheme") == "slate"
    page.locator('[data-rt-palette] button[title="Switch to light mode"]').click()
    assert page.get_attribute("body", "data-md-color-scheme") == "default"
    assert page.get_attribute('meta[name="color-scheme"]', "content") == "light"
    assert page.get_attribute('meta[name="theme-color"]', "content") == "rgb(107, 44, 66)"  # the light header
    page.reload()  # the choice outlives the system's preference
    assert page.get_attribute("body", "data-md-color-scheme") == "default"
    assert page.locator("[data-rt-palette] button:visible").get_attribute("title") == "Switch to dark mode"
    page.locator('[data-rt-palette-option="0"]').focus()
    page.keyboard.press("Enter")
    assert page.get_attribute("body", "data-md-color-scheme") == "slate"
    # focus follows to the button now shown, which switches back
    assert page.evaluate("document.activeElement.getAttribute('data-rt-palette-option')") == "1"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Switch to light mode"
    assert page.get_attribute('meta[name="color-scheme"]', "content") == "dark"
    page.reload()
    assert page.get_attribute("body", "data-md-color-scheme") == "slate"
    assert page.evaluate("JSON.parse(localStorage.getItem(new URL('..', location).pathname + '.__palette')).index") == 1
    context.close()


# Material's test for a URL its instant navigation resolves (integrations/instant/index.ts).
UNRESOLVED = """() => [...document.querySelectorAll("[href],[src]")].flatMap(el => {
  for (const key of ["href", "src"]) {
    const value = el.getAttribute(key)
    if (value && !/^(?:[a-z]+:)?\\/\\//i.test(value))
      return String(el[key]) === value ? [] : [el.outerHTML.slice(0, 80)]
  }
  return []
})"""


@pytest.mark.parametrize("path", ["", "introduction/", "worksheets/", "worksheets/impact-map/", "journal/"])
def test_before_any_script_file_runs_the_page_is_set_as_materials_bundle_would_set_it(  # type: ignore[no-untyped-def]
        browser, served: str, path: str) -> None:
    """The inline scripts do, before anything is styled, what Material's bundle does first
    after the paint: html.js in place of html.no-js, and every relative URL made absolute."""
    page = browser.new_page()
    page.route(SCRIPTS, lambda route: route.abort())
    page.goto(served + path)
    assert page.evaluate("typeof window.document$") == "undefined", "a script file ran"
    classes = page.evaluate("[...document.documentElement.classList]")
    assert {"js", "js-focus-visible", "rt-js"} <= set(classes) and "no-js" not in classes
    assert page.evaluate(UNRESOLVED) == []
    # Absolute and the same address: the links, stylesheet and scripts still work.
    assert page.evaluate("document.querySelector('link[rel=stylesheet]').sheet.cssRules.length") > 100
    page.close()


# Recorded from the first byte: each change that gives a class of <html>, or an href or src
# anywhere, a new value, with the document's state when it was made.
WATCH_CHANGES = """
window.__rtChanges = []
new MutationObserver(records => {
  for (const r of records) {
    const now = r.target.getAttribute(r.attributeName)
    if (now !== r.oldValue && (r.attributeName !== "class" || r.target === document.documentElement))
      window.__rtChanges.push([document.readyState, r.attributeName, r.target.nodeName, now])
  }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["class", "href", "src"]})
"""


@pytest.mark.parametrize("path", ["", "empathy/", "worksheets/"])
def test_materials_bundle_starts_without_changing_the_page_it_would_restyle(  # type: ignore[no-untyped-def]
        browser, served: str, path: str) -> None:
    """A class change on <html> or a changed link restyles the whole page. Material's bundle
    makes both as it starts, after the first paint; here they were made while the page was
    parsed, so from then on (readyState past "loading") nothing of the kind changes."""
    page = browser.new_page()
    page.add_init_script(WATCH_CHANGES)
    page.goto(served + path)
    page.wait_for_function("() => typeof window.document$ !== 'undefined' && window.__rtPrint === true")
    page.wait_for_load_state("load")
    changes = page.evaluate("window.__rtChanges")
    assert any(state == "loading" for state, *_ in changes), "the recorder saw the inline scripts"
    assert [c for c in changes if c[0] != "loading"] == []
    page.close()


@pytest.mark.parametrize(("path", "viewport"), [
    ("", {"width": 412, "height": 823}),
    ("betrayal/", {"width": 412, "height": 823}),
    ("worksheets/", {"width": 412, "height": 823}),
    ("worksheets/", {"width": 1280, "height": 800}),
])
def test_the_first_paint_shows_the_whole_first_screen(  # type: ignore[no-untyped-def]
        browser, served: str, path: str, viewport: dict[str, int]) -> None:
    """The first paint waits for the page to be parsed (link rel=expect): the largest thing on
    the first screen is painted with the first text, not a frame after the header."""
    page = browser.new_page(viewport=viewport)
    page.add_init_script("""
      window.__rtPaints = {}
      new PerformanceObserver(list => { for (const e of list.getEntries())
        window.__rtPaints[e.entryType === "paint" ? e.name : "lcp"] = e.startTime
      }).observe({type: "paint", buffered: true})
      new PerformanceObserver(list => { for (const e of list.getEntries()) window.__rtPaints.lcp = e.startTime
      }).observe({type: "largest-contentful-paint", buffered: true})
    """)
    page.goto(served + path)
    page.wait_for_function("() => window.__rtPaints.lcp !== undefined && window.__rtPaints['first-contentful-paint'] !== undefined")
    page.wait_for_timeout(300)
    paints = page.evaluate("window.__rtPaints")
    assert paints["lcp"] == paints["first-contentful-paint"], paints
    page.close()
