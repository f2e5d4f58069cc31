"""The therapist's pack (issue 26, printing/pack.py), read back from the session's built site:
both sizes, named from the brand's slug; an outline (bookmarks) whose entries are the contents
page's, at the pages the contents give; every worksheet's title and every listed country's
crisis line in its text; every worksheet's fields, each named after its worksheet and the data's
id; the guide's index page offering it. The expected names, titles and lines come from the data
(`load_course`), not from the code under test."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from course.helplines import countries
from printing.pdf import PAGE_SIZES
from tests.print.helpers import COURSE, SIZES, WORKSHEETS, expected_fields, normal

SLUG = "rebuilding-trust"  # mkdocs.yml's brand (tests/test_rebrand.py builds another)
# A contents line: its title, a leader of dots, its page.
ENTRY = re.compile(r"^(?P<title>\S.*?)\s*(?:\.\s*){3,}(?P<page>\d+)$")


def pack(site: Path, size: str) -> Path:
    return site / "worksheets" / f"{SLUG}-therapists-pack-{size}.pdf"


def text_of(path: Path, first: int | None = None, last: int | None = None) -> str:
    """pdftotext's text (poppler: not the library that wrote the PDF), page by page ("\f")."""
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *pages, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def contents(path: Path) -> list[tuple[str, int]]:
    """(title, page) of every entry on the contents pages: from page 2 to the page before the
    one the first entry names."""
    entries: list[tuple[str, int]] = []
    for number, page in enumerate(text_of(path, 2, 6).split("\f"), 2):
        if entries and number >= entries[0][1]:
            break
        lines = [normal(line) for line in page.splitlines() if line.strip()]
        entries += [(m["title"], int(m["page"])) for m in map(ENTRY.match, lines) if m]
    return entries


def outline(reader: PdfReader) -> list[tuple[str, int]]:
    """(title, page counted from 1) of the outline's top level."""
    return [(normal(item.title), reader.get_destination_page_number(item) + 1)
            for item in reader.outline if not isinstance(item, list)]


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_the_pack_is_built_in_both_sizes_named_from_the_brands_slug(site: Path, size: str) -> None:
    reader = PdfReader(pack(site, size))
    sheet_pages = sum(len(PdfReader(site / "worksheets" / w.id / f"{w.id}-{size}-fillable.pdf").pages)
                      for w in WORKSHEETS)
    assert len(reader.pages) > sheet_pages + 4  # a cover, contents, the lines and the guide besides
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == SIZES[size]
    assert reader.metadata and "therapist" in str(reader.metadata.title)


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_its_outline_is_its_contents_page_at_the_same_pages(site: Path, size: str) -> None:
    reader = PdfReader(pack(site, size))
    listed = contents(pack(site, size))
    bookmarks = [entry for entry in outline(reader) if entry[0] != "Contents"]
    assert len(listed) == 1 + 7 + len(WORKSHEETS)  # the lines, the guide's 7 pages, every worksheet
    assert bookmarks == listed
    # and each entry's page starts with what it names: the contents' numbers are the pack's pages
    pages = text_of(pack(site, size)).split("\f")
    for title, page in listed:
        assert "".join(title.split()) in "".join(normal(pages[page - 1]).split()), f"{title!r} not on page {page}"


def test_it_holds_every_worksheets_title_and_every_listed_countrys_crisis_lines(site: Path) -> None:
    words = "".join(normal(text_of(pack(site, "a4"))).split())
    missing = [w.title for w in WORKSHEETS if "".join(normal(w.title).split()) not in words]
    assert not missing, missing
    for country in countries(COURSE.helplines):
        for line in country["lines"]:
            for shown in (line.service, line.phone):
                if shown:
                    assert "".join(normal(shown).split()) in words, f"{country['name']}: {shown}"
        for number in country["emergency_numbers"]:
            assert number in words, f"{country['name']}: emergency {number}"


@pytest.mark.parametrize("size", PAGE_SIZES)
def test_every_worksheets_fields_are_in_it_named_after_the_worksheet_and_the_datas_ids(site: Path,
                                                                                       size: str) -> None:
    fields = PdfReader(pack(site, size)).get_fields() or {}
    expected = {f"{w.id}:{name}": want for w in WORKSHEETS for name, want in expected_fields(w).items()}
    assert sorted(fields) == sorted(expected)
    wrong = [name for name, want in expected.items() if fields[name].get("/TU") != want.tooltip]
    assert not wrong, wrong


def test_the_guide_offers_the_pack_in_both_sizes(site: Path) -> None:
    page = BeautifulSoup((site / "therapists" / "index.html").read_text(encoding="utf-8"), "html.parser")
    links = sorted(a["href"] for a in page.select("a[download]") if "therapists-pack" in a["href"])
    assert links == [f"../worksheets/{SLUG}-therapists-pack-{size}.pdf" for size in sorted(PAGE_SIZES)]
    for href in links:
        assert (site / "therapists" / href).resolve().is_file()


def test_its_numbered_pages_say_their_number_and_the_worksheets_keep_their_own(site: Path) -> None:
    path = pack(site, "a4")
    pages = text_of(path).split("\f")
    first_sheet = dict(contents(path))[WORKSHEETS[0].title]
    body = [n for n in range(1, first_sheet) if "Page " in pages[n - 1]]
    assert body and all(re.search(rf"\bPage {n}\b", pages[n - 1]) for n in body), body
    assert re.search(r"\bPage 1 of [12]\b", pages[first_sheet - 1])
