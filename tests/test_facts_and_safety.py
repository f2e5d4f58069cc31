"""Issue 14, the parts that are facts rather than prose: every figure the site states about
itself equals what the built content says; the default configuration claims no count nobody
made; "Next" links name their page as the navigation does; and safety is where the reader is:
the landing page, every chapter, every worksheet page and every PDF name the emergency number
and a helpline number, and the Safety page lists every entry of data/helplines.yml."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from course.data import load_course
from course.facts import in_words
from tests.conftest import ROOT, sitemap_paths
from tests.helpers import LINE, doc, problems, text

NUMBER_WORDS = {in_words(n): n for n in range(100)}


def chapters(site: Path) -> list[str]:
    return [p for p in sitemap_paths(site) if doc(site, p).select_one(".rt-reading-time")]


def worksheet_pages(site: Path) -> list[str]:
    return [p for p in sitemap_paths(site) if re.fullmatch(r"worksheets/[a-z0-9-]+/", p)]


def number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


# --- figures --------------------------------------------------------------------------------


def test_every_figure_on_the_landing_page_is_what_the_content_says(site: Path) -> None:
    """Read back from the built pages, not from the code that wrote the figures."""
    shown = {p: int(re.search(r"(\d+) min", text(doc(site, p).select_one(".rt-reading-time"))).group(1))
             for p in chapters(site)}
    assert len(shown) >= 6
    prompts = sum(len(doc(site, p).select("[data-rt-prompt]")) for p in chapters(site))
    landing = text(doc(site, "").select_one("article"))

    count, total = re.search(r"(\w+) chapters, about (\d+) minutes of reading in all", landing).groups()
    assert number(count) == len(shown)
    assert int(total) == sum(shown.values())
    low, high = re.search(r"Each chapter takes (\w+) to (\w+) minutes", landing).groups()
    assert (number(low), number(high)) == (min(shown.values()), max(shown.values()))
    sheets, reflections = re.search(r"([\w-]+) worksheets and ([\w-]+) reflection prompts", landing).groups()
    assert number(sheets) == len(worksheet_pages(site))
    assert number(reflections) == prompts
    # Each chapter's card on the landing page shows the chapter's own reading time.
    for card in doc(site, "").select("[data-rt-chapter-card]"):
        path = card["data-rt-chapter-card"] + "/"
        assert f"{shown[path]} min read" in text(card), path
    # The introduction counts the chapters too.
    introduction = text(doc(site, "introduction/").select_one("article"))
    assert number(re.search(r"The course has (\w+) chapters", introduction).group(1)) == len(shown)
    workload = re.search(r'"courseWorkload": "PT(\d+)M"', (site / "index.html").read_text(encoding="utf-8"))
    assert workload and int(workload.group(1)) == sum(shown.values())


def test_numbers_in_words() -> None:
    assert [in_words(n) for n in (6, 16, 20, 24, 40, 100)] == ["six", "sixteen", "twenty", "twenty-four", "forty", "100"]


COUNT_CLAIM = re.compile(r"\b(thousands|millions|hundreds|dozens)\b|\b\d[\d,.]*\+?\s*(couples|people|readers|users|members)\b", re.I)


def test_the_default_configuration_claims_no_count_nobody_made(site: Path) -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    copy = " ".join(str(v) for v in [*config["extra"]["brand"].values(), *config["extra"]["landing"].values()])
    assert not COUNT_CLAIM.search(copy), COUNT_CLAIM.search(copy)
    assert not COUNT_CLAIM.search(text(doc(site, "").select_one("article")))
    assert COUNT_CLAIM.search("Join thousands of couples") and COUNT_CLAIM.search("2,000 couples")


def test_next_links_name_their_page_as_the_navigation_does(site: Path) -> None:
    nav = {}
    for link in doc(site, "").select(".md-sidebar--primary a.md-nav__link[href]"):
        nav[link["href"].rstrip("/").rsplit("/", 1)[-1] or "index"] = text(link)
    checked = 0
    for path in sitemap_paths(site):
        for link in doc(site, path).select("article a[href]"):
            label = text(link)
            if label.startswith("Next: "):
                target = link["href"].rstrip("/").rsplit("/", 1)[-1]
                assert label.removeprefix("Next: ") == nav[target], (path, label, nav[target])
                checked += 1
    assert checked >= 6


# --- safety where the reader is --------------------------------------------------------------

HELPLINES = yaml.safe_load((ROOT / "data" / "helplines.yml").read_text(encoding="utf-8"))
COUNTRIES = list(dict.fromkeys(h["country_code"] for h in HELPLINES))
LISTED = [code for code in COUNTRIES if code != "other"]  # "Anywhere else" is not a country


def lines_of(code: str, kinds: tuple[str, ...]) -> list[dict]:
    return [h for h in HELPLINES if h["country_code"] == code and h["kind"] in kinds]


def note_numbers(code: str) -> list[str]:
    """The numbers the safety note gives for a country: its crisis line, and its abuse lines
    (one per region where it has regional lines, else its first)."""
    crisis = lines_of(code, ("crisis",))[:1]
    abuse = lines_of(code, ("abuse", "directory"))
    regional = [h for h in abuse if h.get("region")]
    return [h.get("phone") or h["chat"].removeprefix("https://").removeprefix("www.").rstrip("/")
            for h in crisis + (regional or abuse[:1])]


def test_every_listed_country_has_a_crisis_line_and_an_abuse_line() -> None:
    assert {"us", "uk", "ie", "au", "nz", "ca"} <= set(LISTED)
    for code in LISTED:
        assert lines_of(code, ("crisis",)), f"{code}: no suicide and crisis line"
        assert lines_of(code, ("abuse", "directory")), f"{code}: no line for abuse"
    for line in HELPLINES:
        assert line["source"].startswith("https://") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", line["checked"]), line["id"]


def test_the_safety_note_on_every_page_names_every_countrys_crisis_and_abuse_lines(site: Path) -> None:
    pages = ["", *chapters(site), *worksheet_pages(site)]
    assert len(pages) > 20
    for path in pages:
        notes = doc(site, path).select("article [data-rt-safety-note]")
        assert notes, f"no safety note on /{path}"
        note = notes[-1]
        words = text(note)
        assert "not therapy" in words and "coercive control" in words and "crisis line" in words, path
        assert [li["data-rt-helpline-country"] for li in note.select("[data-rt-helpline-country]")] == COUNTRIES, path
        for code in LISTED:
            entry = note.select_one(f'[data-rt-helpline-country="{code}"]')
            entry_text = text(entry)
            crisis = lines_of(code, ("crisis",))[0]
            assert f"crisis: {crisis['service']}" in entry_text, (path, code)
            assert entry.select_one(f'a[href="tel:{re.sub(r"[^0-9]", "", crisis["phone"])}"]'), (path, code)
            for number in note_numbers(code):
                assert number in entry_text, (path, code, number)
        assert note.select_one('a[href$="safety/#where-to-get-help"]'), path


def pdf_words(pdf: Path) -> str:
    """The PDF's words as poppler's pdftotext reads them (a reader independent of the one that
    wrote it, and fast over the site's forty-odd PDFs), ligatures split, on one line."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(unicodedata.normalize("NFKC", result.stdout).split())


def test_every_pdf_carries_every_countrys_crisis_and_abuse_lines(site: Path) -> None:
    """The session's site is built for 127.0.0.1, which paper never names (macros/address.py):
    its PDFs carry every line and no address; the next test prints a public one."""
    pdfs = sorted(site.glob("worksheets/**/*.pdf"))
    assert len(pdfs) >= 2 * len(worksheet_pages(site))
    for pdf in pdfs:
        words = pdf_words(pdf)
        squeezed = words.replace(" ", "")  # a long address may wrap anywhere
        assert "not therapy" in words and "emergency number" in words, pdf.name
        for code in LISTED:
            for number in note_numbers(code):
                assert number.replace(" ", "") in squeezed, (pdf.name, code, number)
        assert "127.0.0.1" not in squeezed, pdf.name


@pytest.mark.parametrize("size", ["a4", "letter"])
def test_a_pdf_of_a_public_site_prints_the_safety_pages_full_address(size: str) -> None:
    from io import BytesIO

    from printing.pdf import PdfMaker, Site

    course = load_course(ROOT / "data")
    maker = PdfMaker(course, Site("Rebuilding Trust", "https://course.example.org/trust/"))
    pdf = maker.worksheet("first-week", size)  # laid out: on paper
    squeezed = re.sub(r"\s+", "", " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf.data)).pages))
    assert "course.example.org/trust/safety/" in squeezed
    # The workbook's sheets are these very layouts, joined (tests/print/test_pdfs.py compares
    # their pages); its front's note names the address too.
    assert "course.example.org/trust/safety/" in re.sub(r"\s+", "", maker.workbook_html(size))


def test_the_safety_page_lists_every_helpline(site: Path) -> None:
    page = doc(site, "safety/")
    listed = [li["data-rt-helpline"] for li in page.select("[data-rt-helpline]")]
    assert listed == [h["id"] for h in HELPLINES]
    for line in HELPLINES:
        entry = text(page.select_one(f'[data-rt-helpline="{line["id"]}"]'))
        assert line["service"] in entry
        assert line.get("phone", "") in entry
        assert line["checked"] in entry
        assert page.select_one(f'[data-rt-helpline="{line["id"]}"] a[href="{line["source"]}"]')
    assert page.select_one("select[data-rt-country-choice]")
    options = [o["value"] for o in page.select("select[data-rt-country-choice] option")]
    assert options[1:] == list(dict.fromkeys(h["country_code"] for h in HELPLINES))


# --- the helplines file is checked like the rest of the data --------------------------------


def test_a_good_helpline_file_loads(tmp_path: Path) -> None:
    assert problems(tmp_path, LINE) == []


@pytest.mark.parametrize(("change", "expected"), [
    (('checked: "2026-11-30"', "checked: 2026-11-30"),
     'data/helplines.yml:9: helpline \'xx-line\', checked: got the date 2026-11-30 unquoted; expected it in quotes, like "2026-11-30"'),
    (('phone: "0800 000 000"', "phone: 112"),
     'data/helplines.yml:7: helpline \'xx-line\', phone: got the number 112 unquoted; expected it in quotes, like "112"'),
    (('phone: "0800 000 000"', 'chat_label: nothing to reach'),
     "data/helplines.yml:1: helpline 'xx-line': expected a way to reach the service: a phone number (phone) or a web address (chat)"),
    (("source: https://example.org/", "source: example.org"),
     "data/helplines.yml:8: helpline 'xx-line', source: got 'example.org'; expected a web address starting with https://, like 'https://example.org/'"),
    (('country_code: xx', 'country_code: UK'),
     "data/helplines.yml:3: helpline 'xx-line', country_code: got 'UK'; expected a two-letter country code in lowercase, like 'uk', or 'other'"),
    (("  kind: crisis", "  kind: abuse"),
     "data/helplines.yml: kind: Testland has no suicide and crisis line; expected an entry for it with kind: crisis"),
    (("  kind: abuse", "  kind: crisis"),
     "data/helplines.yml: kind: Testland has no line for abuse; expected an entry for it with kind: abuse (or kind: directory where the country has no national line)"),
])
def test_helpline_mistakes_are_named(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    assert problems(tmp_path, LINE.replace(*change, 1)) == [expected]  # in the first entry
