"""Every page, in the light and the dark scheme, on a phone (390 px) and on a desktop screen
(1280 px), in one walk per scheme and screen (each page loaded once for all three checks):

- axe-core (WCAG 2.0, 2.1 and 2.2 A and AA, and best practice): zero violations;
- nothing moves once the page has painted (the browser's layout-shift entries: under 0.01 in
  all, a tenth of what Google calls good; the journal with answers: tests/browser/test_layout.py);
- the title leads (issue 29): the page's one `h1` is its largest heading, weight 600 or more,
  contrast 7:1 or more with what is behind it, and nothing in the content column above it.

And axe again in the states a reader gets pages into (the journal's lock among them): the role
question answered with prompts folded, the role panel open, the journal holding answers, the
waitlist form showing errors, the navigation drawer open on a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.colours import contrast
from tests.browser.helpers import MOST_SHIFT, RECORD_SHIFTS, TITLE, rgba, shifts, violations
from tests.conftest import page_paths, sitemap_paths

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def settle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def title_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    title = page.evaluate(TITLE)
    problems = []
    if title["h1s"] != 1:
        problems.append(f"{title['h1s']} h1 elements")
    if title["size"] < title["largest"]:
        problems.append(f"the h1 ({title['size']} px) is smaller than a heading ({title['largest']} px)")
    if title["weight"] < 600:
        problems.append(f"the h1's weight is {title['weight']}")
    ratio = contrast(rgba(page, title["color"]), rgba(page, title["bg"]))
    if ratio < 7:
        problems.append(f"the h1's contrast is {ratio:.2f}:1")
    if title["before"]:
        problems.append(f"shown above the h1: {title['before']}")
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe_keeps_its_place_and_its_title_leads(  # type: ignore[no-untyped-def]
        browser, served: str, site: Path, scheme: str, width: str) -> None:
    context = browser.new_context(color_scheme=scheme, viewport=WIDTHS[width])
    context.add_init_script(RECORD_SHIFTS)
    page = context.new_page()
    failures: dict[str, object] = {}
    paths = page_paths(site)
    assert len(paths) > 20
    for path in paths:
        page.goto(served + path)
        settle(page)
        expected = "slate" if scheme == "dark" else "default"
        assert page.get_attribute("body", "data-md-color-scheme") == expected
        problems = title_problems(page)
        if problems:
            failures[f"{path} title"] = problems
        found = violations(page)
        if found:
            failures[f"{path} axe"] = found
        total, entries = shifts(page)  # after axe's run: a late shift has had time to happen
        if total >= MOST_SHIFT:
            failures[f"{path} layout shift"] = (round(total, 4), entries)
    context.close()
    assert not failures, failures


def chapter_with_both_roles(site: Path) -> str:
    for path in sitemap_paths(site):
        html = (site / path / "index.html").read_text(encoding="utf-8")
        if 'data-rt-role="hurt"' in html and 'data-rt-role="broke-trust"' in html:
            return path
    raise AssertionError("no chapter has prompts for both partners")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_in_the_states_readers_bring_them_to_have_no_axe_violations(  # type: ignore[no-untyped-def]
        browser, served: str, site: Path, scheme: str, width: str) -> None:
    # Reduced motion: axe reads colours as they are at that instant, and a change of state starts
    # Material's header-title cross-fade, whose half-faded text is no colour anyone reads.
    context = browser.new_context(color_scheme=scheme, viewport=WIDTHS[width], reduced_motion="reduce")
    page = context.new_page()
    chapter = chapter_with_both_roles(site)
    failures = {}

    def check(state: str) -> None:
        found = violations(page)
        if found:
            failures[state] = found

    page.goto(served + chapter)
    settle(page)
    assert page.locator("[data-rt-role-ask]").is_visible()
    check("the role question, unanswered")
    page.locator("[data-rt-role-ask]").get_by_label("the partner who was hurt").check()
    assert page.locator(".rt-reflection--folded").count() > 0
    check("the role question answered, prompts folded")
    page.locator("[data-rt-role-details] summary").click()
    check("the role panel open")
    page.locator("textarea[data-rt-key^='prompt:']:visible").first.fill("An answer to keep.")
    page.wait_for_timeout(500)  # saving is debounced

    held: list = []  # the journal's outline on a slow connection: the page says it is opening
    outline = re.compile(r".*/journal/outline\.[0-9a-f]{8}\.json$")
    page.route(outline, lambda route: held.append(route))
    page.goto(served + "journal/")
    settle(page)
    page.locator("[data-rt-journal-opening]").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"]
    check("the journal opening, its outline on the way")
    for route in held:
        route.continue_()
    page.unroute(outline)
    page.goto(served + "journal/")
    settle(page)
    assert page.locator("[data-rt-journal-entry]").count() >= 1
    check("the journal holding answers")
    page.locator('[data-rt-lock-open="set"]').click()
    check("the journal's lock form open")
    page.fill("#rt-lock-set-new", "blue kettle morning rain")
    page.fill("#rt-lock-set-again", "blue kettle morning rain")
    page.click('[data-rt-lock-form="set"] button[type=submit]')
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    page.locator('[data-rt-export="encrypted"]').click()
    page.locator('[data-rt-lock-open="change"]').click()
    check("the journal locked and open, asking for the passphrase to export and to change it")
    page.locator("[data-rt-lock-now]").click()
    page.wait_for_function("() => document.documentElement.classList.contains('rt-locked')")
    check("the journal locked")
    page.goto(served + chapter)
    settle(page)
    page.locator("[data-rt-unlock-open]").click()
    page.fill("#rt-unlock-passphrase", "not it")
    page.click("[data-rt-unlock-form] button[type=submit]")
    page.locator("[data-rt-unlock-alert]").filter(has_text="does not open").wait_for()
    check("a chapter with the journal locked, after a wrong passphrase")
    page.fill("#rt-unlock-passphrase", "blue kettle morning rain")
    page.click("[data-rt-unlock-form] button[type=submit]")
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    page.goto(served + "journal/")
    settle(page)
    page.locator("[data-rt-lock-open]").first.wait_for(state="attached")
    page.locator("[data-rt-delete]").click()
    # Opening the confirmation scrolls it into view, which leaves whichever buttons happen to be
    # at that height partly under the sticky header, and axe counts a target's visible part only.
    # Measured from the top of the page, so the result does not depend on that height.
    page.evaluate("window.scrollTo(0, 0)")
    check("the journal asking to delete everything")

    page.goto(served)
    settle(page)
    page.fill("#rt-waitlist-email", "not-an-email")
    page.click("#rt-waitlist-form button[type=submit]")
    page.locator("#rt-waitlist-email[aria-invalid=true]").wait_for()
    check("the waitlist form showing an error")

    if width == "phone":
        page.locator("[data-rt-drawer-open]").click()
        page.wait_for_timeout(400)
        check("the navigation drawer open")
        page.keyboard.press("Escape")
        page.locator("[data-rt-search-open]").click()
        page.wait_for_timeout(400)
        check("search open")
    context.close()
    assert not failures, failures
