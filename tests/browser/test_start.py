"""How a page starts: the reader's colour scheme from the first paint (partials/palette.html,
partials/rt-palette.html), before any script file runs."""

from __future__ import annotations

import pytest

SCRIPTS = "**/*.js"


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
    # Search already has its place (rt.css, html.rt-js), so the toggle beside it will not move
    # when the bundle shows it: the box on a wide screen, the button on a phone.
    assert page.locator(".md-search").is_visible()
    page.set_viewport_size({"width": 412, "height": 823})
    assert page.locator('.md-header__button[for="__search"]').is_visible()
    context.close()


def test_the_toggle_switches_by_click_and_by_keyboard_and_the_choice_is_kept(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(served + "introduction/")
    page.wait_for_function("() => typeof window.document$ !== 'undefined' && window.__rtPrint === true")
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
