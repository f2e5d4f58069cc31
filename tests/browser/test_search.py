"""Material's search, driven like a reader: type a phrase, pick the first result, land on the page."""

from __future__ import annotations

import pytest

from macros.data import load_course
from tests.conftest import ROOT

COURSE = load_course(ROOT / "data")


def search_and_open(page, base: str, query: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(base)
    box = page.locator("input[data-md-component=search-query]")
    box.click()  # the search box in the header (desktop layout)
    box.press_sequentially(query, delay=10)  # Material searches on key events, as a reader types
    # Results update as the worker catches up with the typing: take the best result that
    # matches every word of the query (Material lists partial matches' missing terms).
    best = page.locator(".md-search-result__item > a:first-child:not(:has(.md-search-result__terms))").first
    best.wait_for(timeout=10_000)
    best.click()
    page.wait_for_load_state()
    return page.url.removeprefix(base).split("#")[0].split("?")[0]


# Short words such as "in" or "of" prefix-match titles ("Introduction"), which Material boosts
# a thousandfold; readers search with the words that matter, and so do these tests.
@pytest.mark.parametrize(
    ("query", "chapter"),
    [
        ("tiny boring everyday acts reliability", "consistency/"),
        ("tired trapped anger", "forgiveness/"),
        ("playful exchange language renewal", "intimacy/"),
        # The second edition's new sections, in the words a reader would type. ("Partner" is
        # left out: worksheet section titles such as "Partner A's turn" carry the title boost.)
        ("sleep eating first days", "betrayal/"),
        ("won't engage", "forgiveness/"),
        ("doing this alone", "forgiveness/"),
        ("trickle truth", "empathy/"),
        ("choosing a therapist", "practices/"),
    ],
)
def test_phrases_from_chapters_find_their_chapter(page, served: str, query: str, chapter: str) -> None:  # type: ignore[no-untyped-def]
    assert search_and_open(page, served, query) == chapter


@pytest.mark.parametrize("worksheet_id", ["consistency-tracker", "weekly-check-in", "two-kinds-of-forgiveness"])
def test_worksheet_titles_find_their_pages(page, served: str, worksheet_id: str) -> None:  # type: ignore[no-untyped-def]
    title = COURSE.worksheets[worksheet_id].title
    assert search_and_open(page, served, title) == f"worksheets/{worksheet_id}/"
