"""The worksheets of the third edition (issue 24): four new sheets readers asked for, who is who
on every sheet for two, time told per sitting and span, a linked way to the Safety page on every
sheet, and a renamed sheet whose old address still leads to it (the build's `_redirects`, a page
at the old address, the bundled service's 301s)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from course.data import load_course
from course.model import PARTNER_MENTION, Partners, Worksheet
from tests.conftest import ROOT

COURSE = load_course(ROOT / "data")
NEW_SHEETS = ("first-week", "questions-i-need-answered", "is-repair-happening", "questions-for-a-therapist")


def page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "lxml")


def words(node) -> str:  # type: ignore[no-untyped-def]
    return " ".join(node.get_text(" ").split())


@pytest.mark.parametrize("worksheet_id", NEW_SHEETS)
def test_the_new_worksheets_have_pages_and_print_on_at_most_two_pages(site: Path, worksheet_id: str) -> None:
    worksheet = COURSE.worksheets[worksheet_id]
    doc = page(site, f"worksheets/{worksheet_id}")
    assert words(doc.select_one("article h1")) == worksheet.title
    for size in ("a4", "letter"):
        pdf = site / "worksheets" / worksheet_id / f"{worksheet_id}-{size}.pdf"
        assert 1 <= len(PdfReader(pdf).pages) <= 2, (worksheet_id, size)


def test_every_sheet_that_names_partner_a_or_b_says_which_role_each_is(site: Path) -> None:
    two = [w for w in COURSE.worksheets.values()
           if any(PARTNER_MENTION.search(t) for t in [s.title for s in w.sections] + [f.label for f in w.fields])]
    assert len(two) >= 8
    for worksheet in two:
        assert worksheet.partners, worksheet.id
        key = words(page(site, f"worksheets/{worksheet.id}").select_one("[data-rt-partners]"))
        assert "Partner A—the partner who was hurt" in key or "Partner A—the partner who broke trust" in key, worksheet.id
        assert "Partner B—the partner" in key, worksheet.id
        pdf = site / "worksheets" / worksheet.id / f"{worksheet.id}-a4.pdf"
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
        assert worksheet.partners.label("a") in text and worksheet.partners.label("b") in text, worksheet.id


def test_a_sheet_naming_partners_without_saying_who_is_who_is_refused() -> None:
    sample = COURSE.worksheets["structured-conversation"].model_dump()
    sample["partners"] = None
    with pytest.raises(ValueError, match=r"expected `partners:` to say which role each is"):
        Worksheet.model_validate(sample)
    with pytest.raises(ValueError, match=r"got `hurt` for both a and b"):
        Partners(a="hurt", b="hurt")


def test_a_sheet_of_several_sittings_tells_the_time_of_one_and_the_span(site: Path) -> None:
    tracker = COURSE.worksheets["consistency-tracker"]
    assert tracker.span and tracker.minutes <= 10
    expected = f"about {tracker.minutes} minutes, {tracker.span}"
    assert expected in words(page(site, "worksheets/consistency-tracker").select_one(".rt-worksheet__meta"))
    assert expected in words(page(site, "worksheets").select_one('[data-rt-worksheet-card="consistency-tracker"]'))
    assert "about 10 minutes" not in words(page(site, "worksheets/consistency-tracker").select_one("article"))


def test_every_worksheet_links_the_safety_page_and_says_see_it_nowhere_as_plain_text(site: Path) -> None:
    for worksheet in COURSE.worksheets.values():
        instructions = page(site, f"worksheets/{worksheet.id}").select_one(".rt-worksheet__instructions")
        assert instructions.select_one('a[href="../../safety/"]'), worksheet.id
        assert not re.search(r"see the Safety page", worksheet.instructions, re.I), worksheet.id


# --- the renamed sheet ------------------------------------------------------------------------

OLD, NEW = "armour-and-openings", "armor-and-openings"


def test_the_renamed_sheet_keeps_its_old_address(site: Path, base_url: str) -> None:
    assert COURSE.worksheets[NEW].formerly == [OLD]
    assert OLD not in COURSE.worksheets
    rules = (site / "_redirects").read_text(encoding="utf-8").splitlines()
    assert f"/worksheets/{OLD}/ /worksheets/{NEW}/ 301" in rules
    assert f"/worksheets/{OLD}/{OLD}-a4.pdf /worksheets/{NEW}/{NEW}-a4.pdf 301" in rules
    assert f"/worksheets/{OLD}/{OLD}-a4-fillable.pdf /worksheets/{NEW}/{NEW}-a4-fillable.pdf 301" in rules
    assert rules.index(f"/worksheets/{OLD}/{OLD}-a4.pdf /worksheets/{NEW}/{NEW}-a4.pdf 301") < \
        rules.index(f"/worksheets/{OLD}/* /worksheets/{NEW}/:splat 301")  # the first rule that matches wins
    old_page = page(site, f"worksheets/{OLD}")
    assert old_page.select_one('meta[http-equiv="refresh"]')["content"] == f"0; url=../../worksheets/{NEW}/"
    assert old_page.select_one("main a")["href"] == f"../../worksheets/{NEW}/"
    assert old_page.select_one('link[rel="canonical"]')["href"] == f"{base_url}worksheets/{NEW}/"
    assert f"worksheets/{OLD}/" not in (site / "sitemap.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("path", "target"), [
    (f"/worksheets/{OLD}/", f"/worksheets/{NEW}/"),
    (f"/worksheets/{OLD}/{OLD}-letter.pdf", f"/worksheets/{NEW}/{NEW}-letter.pdf"),
])
def test_the_bundled_service_redirects_the_old_address(served: str, path: str, target: str) -> None:
    response = httpx.get(served.rstrip("/") + path, follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == target
    assert httpx.get(served.rstrip("/") + target).status_code == 200
