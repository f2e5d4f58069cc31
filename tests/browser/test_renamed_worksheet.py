"""A renamed worksheet keeps the reader's answers (issue 24: armour-and-openings became
armor-and-openings). Answers saved under the old id move to the new one at the next page's
set-up (journal/store.js moveRenamed, fed by main.html's data-rt-renamed), and the old address,
followed from a bookmark, lands on the new page."""

from __future__ import annotations

import json

OLD, NEW = "armour-and-openings", "armor-and-openings"


def test_answers_saved_under_the_old_id_show_on_the_renamed_sheet(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + "journal/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    scope = page.evaluate("__md_scope.pathname")
    field = page.evaluate("document.querySelector('script[data-rt-renamed]').dataset.rtRenamed")
    assert f"{OLD}={NEW}" in field.split()
    answer = {"v": "What I wrote before the rename", "t": 1}
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"{scope}rt:v1:a:ws:{OLD}:armour-words", json.dumps(answer)])

    page.goto(served + f"worksheets/{OLD}/")  # an old bookmark: the service redirects
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert page.url == served + f"worksheets/{NEW}/"
    box = page.locator(f"[data-rt-key='ws:{NEW}:armour-words']")
    assert box.input_value() == answer["v"]
    keys = page.evaluate("Object.keys(localStorage)")
    assert f"{scope}rt:v1:a:ws:{NEW}:armour-words" in keys
    assert f"{scope}rt:v1:a:ws:{OLD}:armour-words" not in keys
    context.close()
