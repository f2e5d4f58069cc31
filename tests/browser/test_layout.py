"""Nothing moves once the page has painted. Scripts run after the first paint (main.html's
loader); whatever they set up must already have its place (html.rt-js and
[data-rt-needs-js] in rt.css). Checked with the browser's own layout-shift entries on every
page, on a phone and on a desktop screen (in tests/browser/test_accessibility.py's walk of every
page), and here on the journal with answers in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import MOST_SHIFT, RECORD_SHIFTS, chapter_with_prompt, settle, shifts, write_prompt
from tests.conftest import sitemap_paths

SCREENS = {
    "phone": {"viewport": {"width": 412, "height": 823}, "device_scale_factor": 1.75, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1350, "height": 940}},
}
@pytest.mark.parametrize("screen", SCREENS)
def test_the_journal_with_answers_does_not_shift(browser, served: str, site: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(**SCREENS[screen])
    context.add_init_script(RECORD_SHIFTS)
    page = context.new_page()
    chapter = next(p for p in sitemap_paths(site) if (site / p / "index.html").read_text(encoding="utf-8").count("data-rt-prompt=") > 1)
    page.goto(served + chapter)
    settle(page)
    boxes = page.locator("textarea[data-rt-key^='prompt:']")
    for i in range(2):
        boxes.nth(i).fill(f"An answer long enough to take a few lines in the journal, number {i}. " * 4)
    page.wait_for_timeout(700)  # saving is debounced
    page.goto(served + "journal/")
    settle(page)
    assert page.locator("[data-rt-journal-entry]").count() == 2
    total, entries = shifts(page)
    context.close()
    assert total < MOST_SHIFT, entries


def test_a_settled_journal_page_has_drawn_its_entries_even_when_its_outline_comes_late(  # type: ignore[no-untyped-def]
        browser, served: str, site: Path) -> None:
    """`settle` (tests/browser/helpers.py), which every page walk relies on, returns only once the
    journal page has drawn its entries, however late its outline comes: here a second late (the
    page's own fetch holds the answer back). (With a fixed wait, the stylesheet test once compared
    the journal drawn on one load with the journal still opening on the other.)"""
    context = browser.new_context(**SCREENS["desktop"])
    context.add_init_script(LATE_OUTLINE)
    page = context.new_page()
    chapter, prompt = chapter_with_prompt(site)
    page.goto(served + chapter)
    settle(page)
    write_prompt(page, prompt, "An answer the journal shows.")
    page.goto(served + "journal/")
    settle(page)
    entries = page.locator("[data-rt-journal-entry]").count()
    late = page.evaluate("window.__rtLateOutline === true")
    context.close()
    assert entries == 1, "settle returned before the journal drew its entries"
    assert late, "the outline did not come late: the test proves nothing"


# The journal's outline (journal/outline.<hash>.json), answered a second late to the page's fetch.
LATE_OUTLINE = """
const fetchNow = window.fetch;
window.fetch = (input, init) => fetchNow(input, init).then((response) =>
  /\\/journal\\/outline\\.[0-9a-f]{8}\\.json$/.test(response.url)
    ? new Promise((done) => setTimeout(() => { window.__rtLateOutline = true; done(response); }, 1000))
    : response);
"""
