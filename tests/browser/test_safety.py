"""The reader chooses their country once, on the Safety page: it stays on this device, and the
safety note on every page shows that country's emergency number and helpline from the first
paint (before any script file runs); "delete everything" forgets it."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import ROOT

HELPLINES = yaml.safe_load((ROOT / "data" / "helplines.yml").read_text(encoding="utf-8"))
SCRIPTS = "**/assets/{javascripts,js}/*.js"


def note_text(page) -> str:  # type: ignore[no-untyped-def]
    """What a reader sees of the last safety note on the page (hidden parts are left out)."""
    return page.locator("article [data-rt-safety-note]").last.inner_text()


def test_a_chosen_country_shows_its_helpline_in_every_note(browser, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    default = next(h for h in HELPLINES if h.get("default"))
    chosen = next(h for h in HELPLINES if h["country_code"] == "uk" and h["kind"] == "abuse")
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + "betrayal/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert default["phone"] in note_text(page) and chosen["phone"] not in note_text(page)

    page.goto(served + "safety/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    page.select_option("select[data-rt-country-choice]", "uk")
    assert "United Kingdom" in page.locator("[data-rt-country-status]").text_content()

    # Another page, with every script file blocked: only main.html's head script has run.
    page.route(SCRIPTS, lambda route: route.abort())
    page.goto(served + "betrayal/")
    note = note_text(page)
    assert chosen["phone"] in note and f"({chosen['emergency']} in the United Kingdom)" in note
    assert default["phone"] not in note
    page.unroute(SCRIPTS)

    # A worksheet page too; and the choice survives a reload of the Safety page.
    page.goto(served + "worksheets/impact-map/")
    assert chosen["phone"] in note_text(page)
    page.goto(served + "safety/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert page.locator("select[data-rt-country-choice]").input_value() == "uk"

    # Delete everything forgets it.
    page.goto(served + "journal/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    page.locator("[data-rt-delete]").click()
    page.locator("[data-rt-delete-yes]").click()
    page.goto(served + "betrayal/")
    assert default["phone"] in note_text(page) and chosen["phone"] not in note_text(page)
    context.close()
