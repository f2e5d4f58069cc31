"""Help where the reader is. Before any choice, the safety note shows every listed country's
crisis and abuse lines, or only the country the browser's language names (en-GB, en-AU; read
by main.html's head script, no request). The reader can choose their country once, on the Safety
page: it stays on this device, and the note on every page shows that country's lines from the
first paint (before any script file runs); "delete everything" forgets it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

HELPLINES = yaml.safe_load((ROOT / "data" / "helplines.yml").read_text(encoding="utf-8"))
SCRIPTS = "**/assets/{javascripts,js}/*.js"


def note_text(page) -> str:  # type: ignore[no-untyped-def]
    """What a reader sees of the last safety note on the page (hidden parts are left out)."""
    return page.locator("article [data-rt-safety-note]").last.inner_text()


def shown_countries(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The countries whose lines the reader can see in the page's last safety note."""
    return page.locator("article [data-rt-safety-note]").last.locator("[data-rt-helpline-country]").evaluate_all(
        "items => items.filter(i => i.offsetParent !== null).map(i => i.dataset.rtHelplineCountry)")


def phone(code: str, kind: str) -> str:
    return next(h["phone"] for h in HELPLINES if h["country_code"] == code and h["kind"] == kind)


@pytest.mark.parametrize(("locale", "code"), [("en-GB", "uk"), ("en-AU", "au"), ("en-CA", "ca"), ("en-IE", "ie")])
def test_the_browsers_language_region_picks_the_country_before_any_choice(browser, served: str, locale: str, code: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale=locale)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(served + "betrayal/")
    assert shown_countries(page) == [code]
    note = note_text(page)
    assert phone(code, "crisis") in note
    assert phone("us", "crisis") not in note or code == "ca"  # Canada's 9-8-8 is 988 too
    assert all(url.startswith(served) for url in requests)
    context.close()


def test_without_a_region_or_a_choice_every_country_is_shown(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="de")
    page = context.new_page()
    page.goto(served + "worksheets/impact-map/")
    countries = list(dict.fromkeys(h["country_code"] for h in HELPLINES))
    assert shown_countries(page) == countries
    note = note_text(page)
    for code in countries[:-1]:
        assert phone(code, "crisis") in note
    context.close()


def test_a_chosen_country_shows_its_lines_in_every_note(browser, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(served + "betrayal/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert shown_countries(page) == ["us"]  # the browser's region until the reader chooses

    page.goto(served + "safety/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    page.select_option("select[data-rt-country-choice]", "uk")
    assert "United Kingdom" in page.locator("[data-rt-country-status]").text_content()

    # Another page, with every script file blocked: only main.html's head script has run.
    page.route(SCRIPTS, lambda route: route.abort())
    page.goto(served + "betrayal/")
    assert shown_countries(page) == ["uk"]
    note = note_text(page)
    assert phone("uk", "crisis") in note and "0800 027 1234" in note and "emergency 999" in note
    page.unroute(SCRIPTS)

    # A worksheet page too; and the choice survives a reload of the Safety page.
    page.goto(served + "worksheets/impact-map/")
    assert shown_countries(page) == ["uk"]
    page.goto(served + "safety/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert page.locator("select[data-rt-country-choice]").input_value() == "uk"

    # Delete everything forgets it: the browser's region again.
    page.goto(served + "journal/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    page.locator("[data-rt-delete]").click()
    page.locator("[data-rt-delete-yes]").click()
    page.goto(served + "betrayal/")
    assert shown_countries(page) == ["us"]
    context.close()
