"""Issue 29 in the browser: on a phone the Safety page's first screen holds a tel: link, a large
one; the "If you are in danger now" box shows the reader's country only (chosen, or named by the
browser's language) and every country otherwise, on the Safety page and in Start here, and every
country on paper; its numbers are at least 44 px high; the full list's tables fit a 320 px
screen as cards and are tables on a desktop; the journal's entries come before "Manage your
journal"; and axe finds nothing on the three pages, in both schemes, on a phone and a desktop.
The HTML half: tests/test_urgent_help.py."""

from __future__ import annotations

import pytest
import yaml

from tests.browser.helpers import settle, violations
from tests.conftest import ROOT

HELPLINES = yaml.safe_load((ROOT / "data" / "helplines.yml").read_text(encoding="utf-8"))
CODES = list(dict.fromkeys(h["country_code"] for h in HELPLINES))
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}

SHOWN_COUNTRIES = """() => [...document.querySelectorAll("[data-rt-urgent] [data-rt-helpline-country]")]
  .filter((el) => el.offsetParent !== null).map((el) => el.dataset.rtHelplineCountry)"""
# Every link in the box the reader can see, with its box.
SHOWN_LINKS = """() => [...document.querySelectorAll("[data-rt-urgent] a[href]")]
  .filter((a) => a.offsetParent !== null)
  .map((a) => { const r = a.getBoundingClientRect(); return { href: a.getAttribute("href"), top: r.top, bottom: r.bottom, height: r.height, width: r.width }; })"""


def open_page(browser, served: str, path: str, **options):  # type: ignore[no-untyped-def]
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(served + path)
    settle(page)
    return context, page


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "de"])
def test_the_safety_pages_first_phone_screen_holds_a_large_tel_link(browser, served: str, locale: str) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, served, "safety/", locale=locale, **PHONE)
    assert page.evaluate("window.scrollY") == 0
    links = page.evaluate(SHOWN_LINKS)
    first = next(link for link in links if link["href"].startswith("tel:"))
    header = page.evaluate("document.querySelector('.md-header').getBoundingClientRect().bottom")
    assert header <= first["top"] and first["bottom"] <= 844, (first, header)
    assert first["height"] >= 44, first
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


@pytest.mark.parametrize("path", ["safety/", "start-here/"])
@pytest.mark.parametrize(("locale", "expected"), [("en-AU", ["au"]), ("en-IE", ["ie"]), ("de", CODES)])
def test_the_box_shows_the_country_the_browsers_language_names_or_every_country(  # type: ignore[no-untyped-def]
        browser, served: str, path: str, locale: str, expected: list[str]) -> None:
    context, page = open_page(browser, served, path, locale=locale)
    assert page.evaluate(SHOWN_COUNTRIES) == expected
    context.close()


def test_a_chosen_country_is_the_one_the_box_shows_everywhere_and_paper_shows_them_all(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, served, "safety/", locale="en-AU")
    page.select_option("select[data-rt-country-choice]", "uk")
    assert page.evaluate(SHOWN_COUNTRIES) == ["uk"]
    # Start here, with every script file blocked: only main.html's head script has run.
    page.route("**/*.js", lambda route: route.abort())
    page.goto(served + "start-here/")
    assert page.evaluate(SHOWN_COUNTRIES) == ["uk"]
    hrefs = [link["href"] for link in page.evaluate(SHOWN_LINKS)]
    assert "tel:999" in hrefs and "tel:116123" in hrefs and "tel:08082000247" in hrefs
    page.emulate_media(media="print")
    assert page.evaluate(SHOWN_COUNTRIES) == CODES
    context.close()


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_every_number_in_the_box_is_a_large_tap_target(browser, served: str, width: int) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, served, "safety/", locale="de", viewport={"width": width, "height": 800})
    links = [link for link in page.evaluate(SHOWN_LINKS) if link["href"].startswith(("tel:", "sms:", "https:"))
             and "safety/" not in link["href"]]
    assert len(links) >= 2 * len(CODES)
    small = [link for link in links if link["height"] < 44 or link["width"] < 44]
    assert small == []
    assert any(link["href"].startswith("sms:") for link in links)
    context.close()


def test_the_full_list_is_a_table_on_a_desktop_and_cards_on_a_phone(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    display = "() => getComputedStyle(document.querySelector('tr[data-rt-helpline]')).display"
    wide = "() => document.documentElement.scrollWidth"
    context, page = open_page(browser, served, "safety/", viewport={"width": 1280, "height": 800})
    assert page.evaluate(display) == "table-row"
    source = page.locator("[data-rt-helpline] .rt-helplines__source").first
    assert float(source.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 16  # 0.8rem and up
    context.close()
    context, page = open_page(browser, served, "safety/", viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    assert page.evaluate(display) == "block"
    assert page.evaluate(wide) <= 320
    select = page.locator("select[data-rt-country-choice]")
    assert select.is_visible() and select.bounding_box()["height"] >= 44
    context.close()


def test_the_journals_entries_come_before_its_tools(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(served + "betrayal/")
    settle(page)
    box = page.locator("textarea[data-rt-key^='prompt:']").first
    box.fill("Something I wrote.")
    page.wait_for_timeout(500)  # saving is debounced
    page.goto(served + "journal/")
    settle(page)
    entry = page.locator("[data-rt-journal-entry]").first
    entry.wait_for()
    manage = page.locator("h2#rt-journal-manage")
    assert entry.bounding_box()["y"] < manage.bounding_box()["y"]
    tops = page.evaluate("""() => [...document.querySelectorAll('[data-rt-journal-app] button')]
      .filter((b) => b.offsetParent !== null).map((b) => [b.closest('section.rt-journal__manage') !== null, b.getBoundingClientRect().top])""")
    assert tops and all(inside for inside, _ in tops)
    heading = manage.evaluate("h => [getComputedStyle(h).fontSize, getComputedStyle(h).fontWeight]")
    for group in page.locator(".rt-journal__group-title").all():
        size, weight = group.evaluate("h => [getComputedStyle(h).fontSize, getComputedStyle(h).fontWeight]")
        assert float(size[:-2]) < float(heading[0][:-2]) and int(weight) <= int(heading[1])
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_with_the_box_and_the_journal_have_no_axe_violations(  # type: ignore[no-untyped-def]
        browser, served: str, scheme: str, width: int) -> None:
    failures = {}
    # A reader in no listed country sees every country's numbers. One listed country's box (the
    # browser's default en-US: the United States) is in test_accessibility.py's every-page walk.
    for locale in ("de",):
        context = browser.new_context(color_scheme=scheme, locale=locale, viewport={"width": width, "height": 800},
                                      reduced_motion="reduce")
        page = context.new_page()
        for path in ("safety/", "start-here/", "journal/"):
            page.goto(served + path)
            settle(page)
            found = violations(page)
            if found:
                failures[f"{locale} {path}"] = found
        context.close()
    assert not failures, failures
