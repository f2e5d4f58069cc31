"""Pages show typographic apostrophes; readers type plain ones (and phones type typographic
ones): a search finds the page either way (publish/search.py, navigation.js)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publish.search import plain_quotes
from tests.browser.helpers import search_and_open


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_a_phrase_with_an_apostrophe_finds_its_chapter_however_it_is_typed(page, served: str, apostrophe: str) -> None:  # type: ignore[no-untyped-def]
    assert search_and_open(page, served, f"why it doesn{apostrophe}t land equally") == "betrayal/"


def test_the_page_keeps_its_typographic_apostrophe_and_the_index_a_plain_one(site: Path) -> None:
    assert "doesn\u2019t land equally" in (site / "betrayal" / "index.html").read_text(encoding="utf-8")
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not any("\u2019" in d["text"] or "\u2019" in d["title"] for d in index["docs"])


def test_plain_quotes_rewrites_titles_and_texts_only() -> None:
    index = {"config": {"separator": "\u2019"}, "docs": [{"location": "a\u2019", "title": "\u201cHi\u201d", "text": "don\u2019t"}]}
    assert plain_quotes(index) == {"config": {"separator": "\u2019"}, "docs": [{"location": "a\u2019", "title": '"Hi"', "text": "don't"}]}
