"""The facilitator's guide for therapists (docs/therapists/): one session plan per chapter, kept
in step with the course's data, marked for professionals, out of the reader's path, found by
search.

From the sources (no build):
- A session plan for every chapter of data/chapters.yml, each linked from the guide's index.
- Each page says "For professionals" first; each plan has its sections (aims, a 50-minute
  session, prompts and worksheets, what to watch for, the research) and the chapter's page.
- The 50-minute outline's rows run from 0 to 50 minutes without a gap or an overlap.
- Every prompt id a plan names is a prompt of its chapter, every worksheet it links is one of
  its chapter's; a renamed prompt or a moved worksheet fails here.
- The guide's index covers when not to use the course (abuse or coercive control, an affair
  still going on, acute risk), screening and confidentiality.

From the built site:
- No chapter's Next or Previous link leads into the guide, and no guide page carries the
  chapter sequence's Next/Previous links.
- Search finds it: "session plan" and "therapist" are in the index on the guide's pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from course.data import load_course
from tests.conftest import ROOT

GUIDE = ROOT / "docs" / "therapists"
COURSE = load_course(ROOT / "data")
PLAN_SECTIONS = ("Aims", "A 50-minute session", "Prompts and worksheets", "What to watch for",
                 "Research behind this chapter")
ROW = re.compile(r"^\|\s*(\d+)\s*[–-]\s*(\d+)\s*min\s*\|", re.MULTILINE)


def plan(chapter_id: str) -> str:
    return (GUIDE / f"{chapter_id}.md").read_text(encoding="utf-8")


def headings(text: str, level: int) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+?)\s*$", text, re.MULTILINE)


def test_every_chapter_has_a_session_plan_linked_from_the_guide() -> None:
    index = (GUIDE / "index.md").read_text(encoding="utf-8")
    for chapter in COURSE.chapters:
        assert (GUIDE / f"{chapter.id}.md").exists(), f"docs/therapists/{chapter.id}.md: no session plan for {chapter.id}"
        assert f"({chapter.id}.md)" in index, f"docs/therapists/index.md does not link the plan for {chapter.id}"
    extra = {p.stem for p in GUIDE.glob("*.md")} - {c.id for c in COURSE.chapters} - {"index"}
    assert not extra, f"session plans for no chapter: {sorted(extra)}"


@pytest.mark.parametrize("page", ["index", *(c.id for c in COURSE.chapters)])
def test_each_page_says_first_that_it_is_for_professionals(page: str) -> None:
    body = re.sub(r"\A---\n.*?\n---\n", "", (GUIDE / f"{page}.md").read_text(encoding="utf-8"), flags=re.S)
    first_paragraph = body.strip().split("\n\n")[1]  # after the title
    assert first_paragraph.startswith("**For professionals.**"), f"docs/therapists/{page}.md: {first_paragraph[:80]!r}"


@pytest.mark.parametrize("chapter_id", [c.id for c in COURSE.chapters])
def test_a_session_plan_has_its_sections_and_a_50_minute_outline_without_gaps(chapter_id: str) -> None:
    text = plan(chapter_id)
    assert headings(text, 2) == list(PLAN_SECTIONS), f"docs/therapists/{chapter_id}.md: sections {headings(text, 2)}"
    assert f"(../{chapter_id}.md)" in text, f"docs/therapists/{chapter_id}.md does not link its chapter"
    rows = [(int(start), int(end)) for start, end in ROW.findall(text)]
    assert rows and rows[0][0] == 0 and rows[-1][1] == 50, f"docs/therapists/{chapter_id}.md: outline {rows}"
    for (_, end), (start, _) in zip(rows, rows[1:], strict=False):
        assert end == start, f"docs/therapists/{chapter_id}.md: the outline jumps from {end} to {start} min"
    assert all(start < end for start, end in rows)


@pytest.mark.parametrize("chapter_id", [c.id for c in COURSE.chapters])
def test_a_plan_names_only_its_chapters_prompts_and_worksheets(chapter_id: str) -> None:
    text = plan(chapter_id)
    named = set(re.findall(r"`([a-z0-9-]+)`", text))
    prompts = {p.id for p in COURSE.prompts_of(chapter_id)}
    assert named, f"docs/therapists/{chapter_id}.md names no prompt"
    assert named <= prompts, (f"docs/therapists/{chapter_id}.md names {sorted(named - prompts)}, which are not "
                              f"prompts of {chapter_id} (data/prompts.yml): renamed or moved?")
    linked = set(re.findall(r"\(\.\./worksheets/([a-z0-9-]+)\.md\)", text))
    sheets = {w.id for w in COURSE.worksheets_of(chapter_id)}
    assert linked, f"docs/therapists/{chapter_id}.md links no worksheet"
    assert linked <= sheets, f"docs/therapists/{chapter_id}.md links {sorted(linked - sheets)}, not worksheets of {chapter_id}"


def test_the_guide_says_when_not_to_use_the_course_how_to_screen_and_what_stays_private() -> None:
    index = (GUIDE / "index.md").read_text(encoding="utf-8")
    sections = headings(index, 2) + headings(index, 3)
    for wanted in ("With a couple", "With one partner", "Between sessions", "When not to use it", "How to screen",
                   "Confidentiality"):
        assert any(heading.startswith(wanted) for heading in sections), f"the guide has no section {wanted!r}: {sections}"
    lowered = index.lower()
    for topic in ("coercive control", "affair still going on", "acute risk", "suicide"):
        assert topic in lowered, topic
    assert "(../privacy.md" in index and "(../safety.md" in index


def test_the_chapter_sequence_never_leads_into_the_guide(site: Path) -> None:
    for chapter in COURSE.chapters:
        page = BeautifulSoup((site / chapter.id / "index.html").read_text(encoding="utf-8"), "html.parser")
        footer = page.select("nav.md-footer__inner a")
        assert footer, f"{chapter.id}: no Previous/Next links"
        assert not [a["href"] for a in footer if "therapists" in a["href"]]
    for page_path in sorted((site / "therapists").rglob("index.html")):
        page = BeautifulSoup(page_path.read_text(encoding="utf-8"), "html.parser")
        assert not page.select("nav.md-footer__inner a"), f"{page_path.relative_to(site)} is in the chapter sequence"


def test_search_finds_the_guide(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    guide = [doc for doc in index["docs"] if doc["location"].startswith("therapists/")]
    text = " ".join(f"{doc['title']} {doc['text']}" for doc in guide).lower()
    assert "session plan" in text and "therapist" in text
    assert {doc["location"].split("/")[1] for doc in guide if doc["location"].count("/") >= 2} >= {c.id for c in COURSE.chapters}
