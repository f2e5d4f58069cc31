"""How a page starts: the reader's colour scheme from the first paint, then the scripts, once
the page is on screen (overrides/main.html, partials/palette.html, partials/rt-palette.html)."""

from __future__ import annotations

import pytest

BUNDLE = "**/assets/javascripts/bundle.*.min.js"
SCRIPTS = "**/*.js"
PAINTED_THEN_RAN = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const ran = performance.getEntriesByName("rt-scripts")[0];
  const bundle = performance.getEntriesByType("resource").find((r) => r.name.includes("/javascripts/bundle."));
  return { paint: paint && paint.startTime, ran: ran && ran.startTime, fetched: bundle && bundle.startTime };
}"""


def test_scripts_run_after_the_first_paint_and_start_materials_bundle(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """Preloaded with the page, run once it is painted; Material's bundle still starts (its
    document$ emits: search is mounted) and so do ours, and instant navigation works."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(served + "introduction/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    times = page.evaluate(PAINTED_THEN_RAN)
    assert times["paint"] is not None and times["ran"] is not None and times["fetched"] is not None, times
    assert times["fetched"] < times["paint"] <= times["ran"], times  # fetched early, run after the paint
    assert page.evaluate("document.documentElement.classList.contains('js')")  # the bundle ran
    assert page.locator("[data-md-component=search-result] .md-search-result__meta").count() == 1  # mounted
    assert page.evaluate("typeof window.rtJournal === 'object' && window.__rtPrint === true")
    page.evaluate("window.__stayed = true")
    page.locator(".md-footer__link--next").click()
    page.wait_for_function("() => location.pathname.endsWith('/betrayal/')")
    page.locator("h1#understanding-betrayal").wait_for()
    assert page.evaluate("window.__stayed === true"), "expected an instant navigation"
    assert errors == []
    context.close()


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
    visible = page.locator("form[data-rt-palette] label:visible")
    assert visible.count() == 1 and visible.get_attribute("title") == toggle
    assert not page.evaluate("document.documentElement.classList.contains('js')"), "a script file ran"
    context.close()


def test_the_toggle_switches_by_click_and_by_keyboard_and_the_choice_is_kept(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(served + "introduction/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert page.get_attribute("body", "data-md-color-scheme") == "slate"
    page.locator('form[data-rt-palette] label[title="Switch to light mode"]').click()
    assert page.get_attribute("body", "data-md-color-scheme") == "default"
    assert page.get_attribute('meta[name="color-scheme"]', "content") == "light"
    assert page.get_attribute('meta[name="theme-color"]', "content") == "rgb(107, 44, 66)"  # the light header
    page.reload()  # the choice outlives the system's preference
    assert page.get_attribute("body", "data-md-color-scheme") == "default"
    assert page.locator("form[data-rt-palette] label:visible").get_attribute("title") == "Switch to dark mode"
    page.locator("#__palette_0").focus()
    page.keyboard.press("Enter")
    assert page.get_attribute("body", "data-md-color-scheme") == "slate"
    assert page.evaluate("document.activeElement.id") == "__palette_1"
    assert page.get_attribute('meta[name="color-scheme"]', "content") == "dark"
    page.reload()
    assert page.get_attribute("body", "data-md-color-scheme") == "slate"
    assert page.evaluate("JSON.parse(localStorage.getItem(new URL('..', location).pathname + '.__palette')).index") == 1
    context.close()
