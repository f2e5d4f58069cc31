"""The built site (one `mkdocs build --strict` per session): course structure, the article's
survival, the editorial repairs, worksheets and prompts in the HTML, and no third-party origin."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup

from course.data import load_course
from tests.article import survival
from tests.conftest import ROOT

COURSE = load_course(ROOT / "data")
CHAPTERS = [c.id for c in COURSE.chapters]


def html(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "lxml")


def article_text(site: Path, path: str) -> str:
    return " ".join(html(site, path).select_one("article").get_text(" ").split())


def test_chapter_urls_follow_the_course_order_in_the_navigation(site: Path) -> None:
    assert CHAPTERS == ["betrayal", "consistency", "empathy", "forgiveness", "intimacy", "practices"]
    nav = html(site, "").select(".md-nav--primary a.md-nav__link[href]")
    hrefs = [re.sub(r"^(\./|\.\./)+", "", a["href"]).rstrip("/") for a in nav]
    wanted = ["introduction", *CHAPTERS, "closing", "safety", "sources"]
    positions = [hrefs.index(name) for name in wanted]
    assert positions == sorted(positions), hrefs
    for name in wanted:
        assert (site / name / "index.html").exists()


def test_at_least_95_percent_of_the_article_survives(site: Path) -> None:
    share, lost = survival(site)
    assert share >= 0.95, f"{share:.1%} survive; lost: {lost}"


def test_each_chapter_has_its_parts(site: Path) -> None:
    for index, chapter in enumerate(CHAPTERS):
        doc = html(site, chapter)
        article = doc.select_one("article")
        text = article.get_text(" ")
        assert "What you'll take from this chapter" in text.replace("\u2019", "'"), chapter
        assert len(article.select("h2")) >= 3, chapter
        assert re.search(r"Reading time:\s*\d+ min", text), chapter
        assert "Key takeaways" in text, chapter
        following = CHAPTERS[index + 1] if index + 1 < len(CHAPTERS) else "closing"
        assert article.select(f'a[href$="{following}/"]'), f"{chapter} does not link to {following}"
        assert article.select('aside.rt-safety-note a[href$="safety/#where-to-get-help"]'), chapter


def test_the_safety_page_says_what_the_course_is_not(site: Path) -> None:
    text = article_text(site, "safety")
    for phrase in ("not therapy", "coercive control", "1-800-799-7233", "emergency"):
        assert phrase in text
    assert html(site, "").select('article a[href*="safety/"]')


def test_sources_are_listed_and_the_stories_are_composites(site: Path) -> None:
    text = article_text(site, "sources")
    for source in ("The State of Affairs", "The Science of Trust", "Rising Strong", "Mating in Captivity",
                   "What Makes Love Last", "Eisenberger", "Kross"):
        assert source in text
    assert "composite" in text


def list_after(doc: BeautifulSoup, pattern: str) -> list[str]:
    """The items of the first list that follows a paragraph or heading matching `pattern`."""
    for element in doc.select("article p, article h2, article h3, article h4"):
        if re.search(pattern, element.get_text(" ")):
            following = element.find_next(["ul", "ol"])
            return [li.get_text(" ", strip=True) for li in following.find_all("li", recursive=False)]
    raise AssertionError(f"nothing matches {pattern!r}")


def test_the_lost_lists_are_repaired(site: Path) -> None:
    forgiveness = article_text(site, "forgiveness").lower()
    assert "inner forgiveness" in forgiveness and "reconciliation" in forgiveness
    practices = html(site, "practices")
    assert len(list_after(practices, r"Questions to guide")) >= 3
    assert len(list_after(practices, r"(20 minutes|twenty minutes).*\bAsk\b|\bAsk:")) >= 3
    headings = " ".join(h.get_text(" ") for h in practices.select("article h2, article h3")).lower()
    for label in ("structured conversation", "check-in", "transparency", "growth", "new"):
        assert label in headings, label
    assert "self-trust" in " ".join(h.get_text(" ") for h in html(site, "forgiveness").select("h2, h3")).lower()


MISATTRIBUTIONS = [
    r"Brown[^.]*sliding door",
    r"Glass[^.]*(off the hook)",
    r"Betrayal is the root cause of most relationship failures",
    r"the brain reacts similarly to betrayal as it does to a physical attack",
    r"heal faster",
    r"Desire requires freedom, but betrayal takes it away",
    r"Perel[^.]*[\"\u201c]Trust grows not in declarations",
    r"Perel[^.]*[\"\u201c]When trust is broken",
    r"Perel[^.]*[\"\u201c]After infidelity, there are two relationships",
    r"Perel[^.]*[\"\u201c]Even when a couple",
    r"Perel[^.]*[\"\u201c]Every day in a relationship",
    r"Perel[^.]*[\"\u201c]When a relationship breaks",
    r"[\"\u201c]the old marriage is over",
    r"Couples who can laugh again recover faster",
]


@pytest.mark.parametrize("pattern", MISATTRIBUTIONS)
def test_misattributions_are_gone(site: Path, pattern: str) -> None:
    for page in ["introduction", *CHAPTERS, "closing"]:
        assert not re.search(pattern, article_text(site, page)), f"{pattern!r} still in {page}"


def test_verified_quotations_carry_their_source(site: Path) -> None:
    text = " ".join(article_text(site, page) for page in CHAPTERS)
    assert "the courage to show up and be seen when we have no control over the outcome" in text
    assert "Rising Strong" in text and "The Science of Trust" in text


SAME_ORIGIN_ATTRS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src",
                     "video": "src", "audio": "src", "embed": "src", "object": "data", "image": "href"}


def test_nothing_is_loaded_from_another_origin(site: Path) -> None:
    offenders = []
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        doc = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        for tag, attr in SAME_ORIGIN_ATTRS.items():
            for element in doc.find_all(tag):
                url = element.get(attr) or ""
                if tag == "link" and not set(element.get("rel", [])) & {"stylesheet", "preload", "icon", "modulepreload", "prefetch", "manifest"}:
                    continue
                if urlparse(url).netloc or url.startswith("//"):
                    offenders.append(f"{page.relative_to(site)}: <{tag} {attr}={url}>")
        for style in doc.find_all("style"):
            offenders += [f"{page.relative_to(site)}: {u}" for u in re.findall(r"url\(['\"]?(?:https?:)?//[^)]+\)", style.text)]
    for css in site.rglob("*.css"):
        imports = re.findall(r"@import\s+url\(['\"]?(?:https?:)?//[^)]+\)|url\(['\"]?https?://[^)]+\)", css.read_text(encoding="utf-8"))
        offenders += [f"{css.relative_to(site)}: {u}" for u in imports]
    assert not offenders, offenders


# --- worksheets and prompts -----------------------------------------------------------------


def test_twelve_or_more_worksheet_pages(site: Path) -> None:
    moved = {old for w in COURSE.worksheets.values() for old in w.formerly}  # pages that only redirect
    pages = [p for p in (site / "worksheets").glob("*/index.html") if p.parent.name not in moved]
    assert len(pages) >= 12 and len(pages) == len(COURSE.worksheets)
    for worksheet in COURSE.worksheets.values():
        doc = html(site, f"worksheets/{worksheet.id}")
        assert doc.select_one(f'div.rt-worksheet[data-rt-worksheet="{worksheet.id}"] h1').get_text() == worksheet.title
        assert worksheet.title in doc.title.get_text()


def test_every_chapter_has_three_or_more_prompts_and_worksheets(site: Path) -> None:
    for chapter in CHAPTERS:
        doc = html(site, chapter)
        prompts = doc.select("div.rt-reflection[data-rt-prompt]")
        assert len(prompts) >= 3, chapter
        assert {p["data-rt-role"] for p in prompts} <= {"hurt", "broke-trust", "both"}
        assert len(prompts) == len(COURSE.prompts_of(chapter))
        assert COURSE.worksheets_of(chapter), f"{chapter} has no worksheet"
        for worksheet in COURSE.worksheets_of(chapter):
            assert doc.select(f'article a[href="../worksheets/{worksheet.id}/"]'), f"{chapter} does not link {worksheet.id}"


def test_the_five_practices_and_the_tracker_have_worksheets() -> None:
    for needed in ("structured-conversation", "weekly-check-in", "transparency-plan", "individual-growth",
                   "new-shared-experiences", "consistency-tracker"):
        assert needed in COURSE.worksheets
    tracker = COURSE.worksheets["consistency-tracker"]
    tables = [f for f in tracker.fields if f.type == "table"]
    assert tables and len(tables[0].row_names) == 7


def test_every_field_on_every_page_has_a_label(site: Path) -> None:
    checked = 0
    for page in site.rglob("*.html"):
        doc = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        labelled = {label.get("for") for label in doc.find_all("label")}
        for field in doc.select("article input, article textarea, article select"):
            if field.get("type") in {"hidden", "submit", "button"}:
                continue
            checked += 1
            ok = field.get("id") in labelled or field.get("aria-label") or field.get("aria-labelledby") or field.find_parent("label")
            assert ok, f"{page.relative_to(site)}: unlabelled {field}"
    assert checked > 100


def test_the_worksheet_index_lists_them_all_grouped_by_chapter(site: Path) -> None:
    doc = html(site, "worksheets")
    links = {a["href"].strip("./").removeprefix("worksheets/").strip("/") for a in doc.select("article a.rt-card__title")}
    assert links == set(COURSE.worksheets)
    groups = [h.get("id") for h in doc.select("article h2[id^=chapter-]")]
    assert groups == [f"chapter-{c}" for c in CHAPTERS if COURSE.worksheets_of(c)]


def test_worksheets_are_in_the_navigation(site: Path) -> None:
    hrefs = " ".join(a["href"] for a in html(site, "").select(".md-nav--primary a.md-nav__link[href]"))
    for worksheet_id in COURSE.worksheets:
        assert f"worksheets/{worksheet_id}/" in hrefs


def test_worksheet_and_prompt_text_is_in_the_search_index(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = " ".join(doc["title"] + " " + doc["text"] for doc in index["docs"])
    plain = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")  # the index holds plain quotes (publish/search.py)
    for worksheet in COURSE.worksheets.values():
        assert worksheet.title.translate(plain) in text
    for prompt in COURSE.prompts.values():
        assert " ".join(prompt.question.translate(plain).split()[:6]) in text
