"""Hostile text in every kind of data field (issue 15): a scratch copy of the project, whose
data holds markup, attribute breakers, Jinja, `&`, `<` and right-to-left text in a worksheet's
every field, a chapter's title and summary and a prompt's question and hint, is built once for
real, for the address the session's site is built for, after it (PDFs included: the unchanged
ones come from the project's caches, keyed by their bytes, the address included). Each text must appear
literally, as text, wherever it lands: page body, navigation, header, `<title>`, meta and
link-preview tags, the search index and the worksheet's PDF; no script is added, and the
content security policy holds the same hashes as the real site's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from publish.csp import CspError, site_hashes
from publish.search import plain_quotes
from tests.conftest import ROOT
from tests.hostile import BODY_FIELDS, make_hostile_site, shown
from tests.shared import once

pytestmark = pytest.mark.build  # scratch copies of the project, built whole (tests/conftest.py)


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory, base_url: str) -> Path:
    """The scratch project with hostile data (tests/hostile.py), built once per run for every
    worker (tests/shared.py; a whole-suite run starts it in the background, tests/prebuild.py);
    its site folder."""
    return Path(once(tmp_path_factory, "hostile", lambda folder: make_hostile_site(folder, base_url)))


def soup(site: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((site / page / "index.html").read_text(encoding="utf-8"), "html.parser")


def text_of(doc: BeautifulSoup) -> str:
    return " ".join(doc.get_text(" ").split())


def meta(doc: BeautifulSoup, key: str) -> str:
    tag = doc.find("meta", attrs={"property": key}) or doc.find("meta", attrs={"name": key})
    return tag["content"]


PAGES = ["", "betrayal/", "worksheets/", "worksheets/hostile/"]


@pytest.mark.parametrize("page", PAGES)
def test_no_markup_from_data_becomes_an_element(hostile_site: Path, page: str) -> None:
    """No <script> holding the alert, no onfocus attribute, no evaluated Jinja ("49")."""
    doc = soup(hostile_site, page)
    assert not [s for s in doc.find_all("script") if "alert(1)" in (s.string or "")]
    assert not doc.find_all(attrs={"onfocus": True})
    assert " 49 " not in text_of(doc)


@pytest.mark.parametrize("page", PAGES)
def test_the_title_is_literal_in_every_pages_navigation(hostile_site: Path, page: str) -> None:
    doc = soup(hostile_site, page)
    links = [a for a in doc.select("nav.md-nav a.md-nav__link") if urljoin(f"https://x/{page}", a["href"]) == "https://x/worksheets/hostile/"]
    assert links and {text_of(a) for a in links} == {shown("Title")}


def test_the_worksheet_page_shows_every_field_literally(hostile_site: Path) -> None:
    doc = soup(hostile_site, "worksheets/hostile/")
    body = text_of(doc.select_one("article"))
    for field in BODY_FIELDS:
        assert shown(field) in body, field
    assert shown("Chapter") in body  # the chapter's link
    assert text_of(doc.select_one("h1")) == shown("Title")
    assert text_of(doc.select_one("[data-md-component=header-topic]")) == shown("Title")
    cell = doc.select_one("input.rt-input--cell")
    assert cell["aria-label"] == f"{shown('Row')}: {shown('Column')}"


def test_the_worksheet_pages_head_holds_its_title_and_summary_as_text(hostile_site: Path) -> None:
    doc = soup(hostile_site, "worksheets/hostile/")
    assert doc.title.string == f"{shown('Title')} - Rebuilding Trust"
    for key in ("og:title", "twitter:title", "og:image:alt"):
        assert meta(doc, key) == shown("Title"), key
    for key in ("description", "og:description", "twitter:description"):
        assert meta(doc, key) == shown("Summary"), key


def test_the_chapter_and_prompt_texts_are_literal(hostile_site: Path) -> None:
    chapter = text_of(soup(hostile_site, "betrayal/").select_one("article"))
    assert shown("Question") in chapter and shown("Hint") in chapter
    cards = text_of(soup(hostile_site, "worksheets/").select_one("article"))
    assert shown("Chapter") in cards and shown("Title") in cards and shown("Summary") in cards


def test_the_search_index_holds_the_texts_as_escaped_html(hostile_site: Path) -> None:
    """Material's search index holds HTML: each text must come back literally once parsed (with
    plain quotes: publish/search.py), and the table's cell names must not run into its text."""
    docs = json.loads((hostile_site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]

    def shown(field: str) -> str:
        return plain_quotes({"docs": [{"title": globals()["shown"](field)}]})["docs"][0]["title"]

    entries = [d for d in docs if d["location"].startswith("worksheets/hostile/")]
    assert entries
    title = BeautifulSoup(entries[0]["title"], "html.parser").get_text()
    assert " ".join(title.split()) == shown("Title")
    text = " ".join(BeautifulSoup(" ".join(e["title"] + " " + e["text"] for e in entries), "html.parser").get_text(" ").split())
    for field in BODY_FIELDS:
        assert shown(field) in text, field
    assert f"{shown('Row')}: {shown('Column')}" not in text
    assert "<script>" not in " ".join(e["title"] + e["text"] for e in entries)
    chapter = " ".join(d["text"] for d in docs if d["location"].startswith("betrayal/"))
    assert shown("Question") in " ".join(BeautifulSoup(chapter, "html.parser").get_text(" ").split())


def test_the_worksheets_pdf_holds_the_texts(hostile_site: Path) -> None:
    """Compared without white space: a narrow table column wraps its heading anywhere."""
    pdf = PdfReader(hostile_site / "worksheets" / "hostile" / "hostile-a4.pdf")
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in pdf.pages))
    # The two right-to-left words are one run, read right to left: a PDF may hold them in the
    # order they are read (logical) or seen (visual: the second word leftmost, as here, where each
    # comes from its own face, Noto Sans Hebrew and Arabic). Either is the text: read as logical.
    text = text.replace("عربيשלום", "שלוםعربي")
    for field in [*BODY_FIELDS, "Summary", "Chapter"]:
        assert re.sub(r"\s+", "", shown(field)) in text, field
    assert "49" not in text
    # The cell's name ("<row>: <column>") is not running text: the column's heading shows once.
    assert text.count(re.sub(r"\s+", "", shown("Column"))) == 1
    # Hebrew and Arabic drawn by the shipped Noto faces Roboto falls back to (printing/fonts/),
    # not by whatever the machine has: poppler's pdffonts lists what the PDF embeds.
    listing = subprocess.run(["pdffonts", str(hostile_site / "worksheets" / "hostile" / "hostile-a4.pdf")],
                             capture_output=True, text=True, check=True).stdout
    embedded = {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:]}
    assert {"Roboto", "Noto-Sans-Hebrew", "Noto-Sans-Arabic"} <= embedded, embedded


def real_script_src(site: Path) -> set[str]:
    headers = (site / "_headers").read_text(encoding="utf-8")
    csp = re.search(r"Content-Security-Policy: (.*)", headers).group(1)
    return set(next(d for d in csp.split(";") if d.strip().startswith("script-src")).split())


def test_the_policy_holds_exactly_the_real_sites_hashes(hostile_site: Path, site: Path) -> None:
    assert real_script_src(hostile_site) == real_script_src(site)


def test_an_injected_script_or_handler_fails_the_csp_step_naming_the_page(hostile_site: Path, tmp_path: Path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(hostile_site, copy, ignore=lambda _folder, names: [n for n in names if n.endswith((".pdf", ".br", ".gz", ".png"))])
    templates = [ROOT / "overrides", Path(__import__("material").__file__).parent / "templates"]
    assert site_hashes(copy, templates)
    page = copy / "worksheets" / "hostile" / "index.html"
    clean = page.read_text(encoding="utf-8")
    for injected in ("<script>alert(1)</script>", '<a href="#" onclick="alert(1)">x</a>'):
        page.write_text(clean.replace("</article>", injected + "</article>", 1), encoding="utf-8")
        with pytest.raises(CspError, match=r"^worksheets/hostile/index.html: "):
            site_hashes(copy, templates)


def test_the_browsers_print_header_holds_the_title_as_text(hostile_site: Path) -> None:
    """page.title is escaped HTML; the print header's CSS string wants the text (sitebuild/plugin.py)."""
    style = soup(hostile_site, "worksheets/hostile/").select_one("style[data-rt-print-header]").string
    assert "\\26 lt;" not in style and "\\26 amp;" not in style
    assert "Title \\3c script\\3e alert(1)" in style


def test_a_page_with_an_inline_handler_fails_the_build_naming_it(hostile_site: Path) -> None:
    """The same project with one Markdown page holding an inline event handler and a script of
    its own: the build fails, and says which page and what (PDFs off: they are not the point)."""
    project = hostile_site.parent
    page = project / "docs" / "sources.md"
    clean = page.read_text(encoding="utf-8")
    page.write_text(clean + '\n<button type="button" onclick="alert(1)">Go</button>\n\n<script>alert(2)</script>\n', encoding="utf-8")
    try:
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "RT_PDF": "0"}
        result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site-bad"],
                                cwd=project, env=env, capture_output=True, text=True)
    finally:
        page.write_text(clean, encoding="utf-8")
    assert result.returncode != 0
    assert "Content security policy: sources/index.html: inline event handler <button onclick=…>" in result.stderr
    assert "inline script not in any template: <script>alert(2)</script>" in result.stderr
    assert "Traceback" not in result.stderr
