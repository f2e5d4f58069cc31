"""Material's search, driven like a reader: type a phrase, pick the first result, land on the page."""

from __future__ import annotations

import pytest

from macros.data import load_course
from tests.conftest import ROOT

COURSE = load_course(ROOT / "data")


def search_and_open(page, base: str, query: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(base)
    page.click("label[for=__search]")  # the search button in the header
    box = page.locator("input[data-md-component=search-query]")
    box.fill(query)
    first = page.locator(".md-search-result__item a").first
    first.wait_for(timeout=10_000)
    first.click()
    page.wait_for_load_state()
    return page.url.removeprefix(base).split("#")[0].split("?")[0]


@pytest.mark.parametrize(
    ("query", "chapter"),
    [
        ("tiny boring everyday acts of reliability", "consistency/"),
        ("taking your heart off the hook", "forgiveness/"),
        ("play is the language of renewal", "intimacy/"),
    ],
)
def test_phrases_from_chapters_find_their_chapter(page, served: str, query: str, chapter: str) -> None:  # type: ignore[no-untyped-def]
    assert search_and_open(page, served, query) == chapter


@pytest.mark.parametrize("worksheet_id", ["consistency-tracker", "weekly-check-in", "two-kinds-of-forgiveness"])
def test_worksheet_titles_find_their_pages(page, served: str, worksheet_id: str) -> None:  # type: ignore[no-untyped-def]
    title = COURSE.worksheets[worksheet_id].title
    assert search_and_open(page, served, title) == f"worksheets/{worksheet_id}/"
