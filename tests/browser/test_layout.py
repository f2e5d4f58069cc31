"""Nothing moves once the page has painted. Scripts run after the first paint (main.html's
loader); whatever they set up must already have its place (html.rt-js and
[data-rt-needs-js] in rt.css). Checked with the browser's own layout-shift entries on every
page, on a phone and on a desktop screen (in tests/browser/test_accessibility.py's walk of every
page), and here on the journal with answers in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.helpers import MOST_SHIFT, RECORD_SHIFTS, settle, shifts
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
