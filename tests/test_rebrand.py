"""Rebranding is configuration only (README.md, "Rebranding"): a copy of the project whose
mkdocs.yml gives another name, tagline, app name and landing title and description
(tests/rebrand.py), built with `make build PRODUCTION=1`, holds the old brand nowhere: not in
any built file (every page, script, stylesheet, JSON, XML, text and manifest, and their
compressed copies), not in its PDFs' text or metadata, not in the text its link-preview
images are drawn from, not in the journal's exports. The new brand is where the old one was.

What may stay, each exempted by its exact string and only in the files that hold it:
- a book's title on the Sources page (docs/sources.md), in that page and the search index;
- the journal's format identifiers (JOURNAL.md: files exported and vaults sealed before a
  rebrand must still open after it), in its two modules that read and write them, in the
  journal page's outline for them, and in the `format` field of an export.

"The old brand" is the name as a name ("Rebuilding Trust", in title case or capitals) and its
slug in any case ("rebuilding-trust", "rebuilding_trust"). The course is about rebuilding
trust, so the words in a sentence ("Rebuilding trust is not only something you do as a
couple") are its subject, not its brand, and stay.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from bs4 import BeautifulSoup
from PIL import Image, ImageChops
from pypdf import PdfReader

from course.data import load_course
from publish import social
from tests import rebrand
from tests.conftest import ROOT, free_port, serving

SEP = r"(?:\s|&nbsp;|&#160;|\\u00a0|%20)+"
OLD = re.compile(rf"Rebuilding{SEP}Trust|REBUILDING{SEP}TRUST|(?i:rebuilding[-_.]?trust)")
BOOK = "Rebuilding Trust and Recovering Your Sanity After Infidelity"
FORMATS = ("rebuilding-trust-journal-encrypted", "rebuilding-trust-journal", "rebuilding-trust-vault",
           "rebuilding-trust journal export", "rebuilding-trust journal vault ")
EXEMPT = {
    re.compile(r"sources/index\.html|search/search_index\.json"): (BOOK,),
    re.compile(r"assets/js/journal/(exchange|store)\.[0-9a-f]+\.js"): FORMATS,
    re.compile(r"journal/outline\.[0-9a-f]+\.json"): ('"format": "rebuilding-trust-journal"',),  # the outline (macros/journal.py, publish/outline.py)
}


def leftovers(path: str, text: str) -> list[str]:
    """Every mention of the old brand in `text` (the file `path` of the site), with its context,
    once the strings exempted for that file are taken out."""
    for pattern, allowed in EXEMPT.items():
        if pattern.fullmatch(path):
            for string in allowed:
                text = text.replace(string, "")
    return [f"{path}: …{text[max(0, m.start() - 60):m.end() + 40]}…" for m in OLD.finditer(text)]


def test_the_pattern_finds_the_brand_and_not_the_subject() -> None:
    for text in ("Safety - Rebuilding Trust", "REBUILDING TRUST", "rebuilding-trust-workbook-a4.pdf",
                 "Rebuilding&nbsp;Trust", "Rebuilding\nTrust", "Rebuilding_Trust", '"Rebuilding Trust"'):
        assert OLD.search(text), text
    for text in ("Rebuilding trust is not only something you do", "the work of “rebuilding trust”"):
        assert not OLD.search(text), text
    assert leftovers("sources/index.html", f"<em>Not “Just Friends”: {BOOK}</em>") == []
    assert leftovers("index.html", BOOK) != []  # exempt only where the book is cited


def site_texts(site: Path) -> Iterator[tuple[str, str]]:
    """(path, text) of every built file but the images and PDFs (checked below); a compressed
    copy is read decompressed, under its original's path."""
    for file in sorted(site.rglob("*")):
        if not file.is_file() or file.suffix in {".png", ".pdf"}:
            continue
        data, path = file.read_bytes(), file.relative_to(site).as_posix()
        if file.suffix == ".gz":
            data, path = gzip.decompress(data), path.removesuffix(".gz")
        elif file.suffix == ".br":
            data, path = brotli.decompress(data), path.removesuffix(".br")
        if path.endswith((".png", ".pdf", ".ico")):
            continue
        yield path, data.decode("utf-8")  # every other file is text: one that is not fails here


def test_the_old_brand_is_in_no_built_file(rebranded: rebrand.Rebranded) -> None:
    found, kinds = [], set()
    for path, text in site_texts(rebranded.site):
        kinds.add(Path(path).suffix or path)
        found += leftovers(path, text)
    assert not found, "\n".join(found[:20])
    assert {".html", ".js", ".css", ".json", ".xml", ".txt", ".webmanifest", "_headers"} <= kinds, kinds
    # Each exemption is used where it is meant to be (so the list stays exact).
    assert BOOK not in (rebranded.site / "sources/index.html").read_text(encoding="utf-8")  # no longer cited (third edition)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_pdfs_hold_the_new_brand_in_their_text_and_metadata(rebranded: rebrand.Rebranded) -> None:
    pdfs = sorted(rebranded.site.rglob("*.pdf"))
    course = load_course(ROOT / "data")
    # per size: each sheet blank and fillable, the workbook, the therapist's pack (named from the slug)
    assert len(pdfs) == 4 * len(course.worksheets) + 4
    assert {p.name for p in pdfs if "therapists-pack" in p.name} == {
        f"{rebrand.SLUG}-therapists-pack-{size}.pdf" for size in ("a4", "letter")}
    for pdf in pdfs:
        text = pdf_text(pdf)
        reader = PdfReader(pdf)
        metadata = {key: str(value) for key, value in (reader.metadata or {}).items()}
        mentions = leftovers(pdf.name, text) + leftovers(pdf.name, json.dumps(metadata, ensure_ascii=False))
        assert not mentions, mentions
        assert metadata["/Author"] == rebrand.NAME, metadata
        assert rebrand.NAME in metadata["/Title"], metadata
        # Every sheet's safety note gives the public Safety page's full address (issue 24).
        assert "harbour.example/safety/" in "".join(text.split()), pdf.name
    # So does a page printed from the browser (print.css shows it; the screen does not).
    chapter = page(rebranded.site, "betrayal/index.html")
    assert [a.get_text() for a in chapter.select(".rt-safety-note__address")] == [", harbour.example/safety/"]
    for size in ("a4", "letter"):
        workbook = rebranded.site / "worksheets" / f"{rebrand.SLUG}-workbook-{size}.pdf"
        cover = " ".join(PdfReader(workbook).pages[0].extract_text().split())
        assert cover.startswith(rebrand.NAME.upper()) and rebrand.TAGLINE in cover, cover  # the kicker is in capitals


def page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")


def meta(doc: BeautifulSoup, key: str) -> str:
    tag = doc.select_one(f'meta[property="{key}"]') or doc.select_one(f'meta[name="{key}"]')
    assert tag is not None, key
    return tag["content"]


def test_every_page_names_the_new_brand(rebranded: rebrand.Rebranded) -> None:
    site = rebranded.site
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert "404.html" in pages and "503.html" in pages
    for path in pages:
        doc = page(site, path)
        assert doc.title.get_text().endswith(rebrand.NAME), (path, doc.title)
        if path == "503.html" or doc.select_one('meta[http-equiv="refresh"]'):
            continue  # the offline page and a moved address's page: a title and a message, no header
        logo = doc.select_one(".md-header .md-logo")
        assert logo["aria-label"] == logo["title"] == rebrand.NAME, path
        assert rebrand.NAME in doc.select_one(".md-header__topic").get_text(), path
        assert meta(doc, "og:site_name") == rebrand.NAME, path
    # The escaped name in the markup: `&` as `&amp;` (Material prints site_name unescaped).
    raw = (site / "safety/index.html").read_text(encoding="utf-8")
    assert "<title>Safety - Harbour &amp; Hearth</title>" in raw and "Harbour & Hearth" not in raw


def test_the_landing_page_takes_its_title_and_description_from_the_configuration(rebranded: rebrand.Rebranded) -> None:
    doc = page(rebranded.site, "index.html")
    assert doc.title.get_text() == f"{rebrand.LANDING_TITLE} - {rebrand.NAME}"
    assert meta(doc, "og:title") == meta(doc, "twitter:title") == rebrand.LANDING_TITLE  # not "Home"
    assert meta(doc, "description") == meta(doc, "og:description") == rebrand.LANDING_DESCRIPTION
    course = json.loads(doc.select_one('script[type="application/ld+json"]').string)
    assert course["name"] == course["provider"]["name"] == rebrand.NAME
    assert course["description"] == rebrand.TAGLINE
    assert rebrand.APP in doc.select_one("#rt-waitlist-consent").find_parent().get_text()
    assert rebrand.OLD_APP not in doc.get_text()
    assert meta(page(rebranded.site, "404.html"), "description") == rebrand.TAGLINE
    manifest = json.loads((rebranded.site / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["name"] == manifest["short_name"] == rebrand.NAME and manifest["description"] == rebrand.TAGLINE


def test_the_workbook_is_named_after_the_brand_everywhere_it_is_linked(rebranded: rebrand.Rebranded) -> None:
    site = rebranded.site
    links = [a["href"] for a in page(site, "worksheets/index.html").select(".rt-workbook-links a")]
    assert links == [f"{rebrand.SLUG}-workbook-a4.pdf", f"{rebrand.SLUG}-workbook-letter.pdf"]
    for link in links:
        assert (site / "worksheets" / link).is_file()
    # The offline worker keeps the PDFs the build wrote (publish/offline.py), the workbooks included.
    worker = (site / "sw.js").read_text(encoding="utf-8")
    for link in links:
        assert f'"worksheets/{link}"' in worker


def test_the_preview_images_are_drawn_with_the_new_brand(rebranded: rebrand.Rebranded) -> None:
    """Pillow draws the cards from text (publish/social.py): each built card is, pixel for pixel,
    the card drawn from its title and kicker with the new name, and differs from the one drawn
    with the old name; so the old name was not drawn."""
    course = load_course(ROOT / "data")
    import yaml

    config = yaml.load((rebranded.project / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    cards = {"home": (config["extra"]["landing"]["promise"], "A free course")}
    cards.update({c.id: (c.title, f"Chapter {n}") for n, c in enumerate(course.chapters, 1)})
    built = sorted(p.stem for p in (rebranded.site / "assets" / "social").glob("*.png"))
    assert built == sorted(cards)
    for slug, (title, kicker) in cards.items():
        with Image.open(rebranded.site / "assets" / "social" / f"{slug}.png") as image:
            drawn = image.convert("RGB")
        assert ImageChops.difference(drawn, social.card(title, kicker, rebrand.NAME)).getbbox() is None, slug
        assert ImageChops.difference(drawn, social.card(title, kicker, rebrand.OLD_NAME)).getbbox() is not None, slug


# --- the journal's exports, in Chromium -----------------------------------------------------


@pytest.fixture(scope="module")
def rebranded_served(rebranded: rebrand.Rebranded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The rebranded site served as `make serve` serves it (tests/conftest.py's `served`)."""
    with serving(rebranded.site, free_port(), tmp_path_factory.mktemp("db") / "waitlist.sqlite3") as url:
        yield url


def test_the_journals_exports_carry_the_new_brand(browser, rebranded_served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(accept_downloads=True)
    tab = context.new_page()
    try:
        tab.goto(rebranded_served + "journal/")
        tab.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
        name = re.compile(rf"{rebrand.SLUG}-journal-\d{{4}}-\d{{2}}-\d{{2}}")
        with tab.expect_download() as download:
            tab.locator('[data-rt-export="json"]').click()
        assert re.fullmatch(rf"{name.pattern}\.json", download.value.suggested_filename)
        text = Path(download.value.path()).read_text(encoding="utf-8")
        data = json.loads(text)
        assert data["site"] == rebrand.NAME and data["format"] == "rebuilding-trust-journal"
        assert not OLD.search(text.replace('"format": "rebuilding-trust-journal"', "")), text
        with tab.expect_download() as download:
            tab.locator('[data-rt-export="markdown"]').click()
        assert re.fullmatch(rf"{name.pattern}\.md", download.value.suggested_filename)
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        assert markdown.startswith(f"# My journal — {rebrand.NAME}\n") and not OLD.search(markdown), markdown
        # The encrypted export needs a lock to be offered; its name comes from the same function.
        encrypted = tab.evaluate("""async () => {
            const link = document.querySelector('link[rel=modulepreload][href*="/journal/journal-page."]');
            return (await import(link.href)).fileName(".encrypted.json");
        }""")
        assert re.fullmatch(rf"{name.pattern}\.encrypted\.json", encrypted)
    finally:
        context.close()


# --- the brand's settings (course/brand.py, checked by sitebuild/plugin.py) -----------------------


def test_the_services_emails_name_the_new_course_and_app(rebranded: rebrand.Rebranded) -> None:
    wording = json.loads((rebranded.site / "_mail.json").read_text(encoding="utf-8"))
    assert rebrand.APP in wording["confirm_subject"] and rebrand.NAME in wording["confirm_intro"]
    assert rebrand.APP in wording["removal_subject"] and rebrand.NAME in wording["removal_intro"]


def test_the_privacy_note_names_the_owners_organisation_not_the_placeholder(rebranded: rebrand.Rebranded) -> None:
    text = " ".join(BeautifulSoup((rebranded.site / "privacy" / "index.html").read_text(encoding="utf-8"),
                                  "html.parser").main.get_text(" ").split())
    assert rebrand.ORGANISATION[0] in text and rebrand.ORGANISATION[1] in text
    assert not [old for old in rebrand.OLD_ORGANISATION if old in text]


def test_slugs() -> None:
    from course.brand import slugify

    assert slugify("Rebuilding Trust") == "rebuilding-trust"
    assert slugify(rebrand.NAME) == rebrand.SLUG
    assert slugify("  Café Été — 2 ") == "cafe-ete-2"
    assert slugify("Доверие") == ""


def test_the_brands_settings_are_checked_naming_each_field() -> None:
    from course.brand import BrandError, brand_settings, landing_settings

    extra = {"brand": {"tagline": "  A course.  ", "app_name": "Lantern"}}
    brand = brand_settings(rebrand.NAME, extra)
    assert brand == {"name": rebrand.NAME, "tagline": "A course.", "app_name": "Lantern", "short_name": rebrand.NAME,
                     "slug": rebrand.SLUG}
    assert brand_settings(rebrand.NAME, {"brand": {**extra["brand"], "name": rebrand.NAME}}) == brand
    assert landing_settings({}, brand) == {"title": None, "description": "A course."}
    cases = [
        ("", extra, "mkdocs.yml: site_name: found ''"),
        ("New", {"brand": {**extra["brand"], "name": "Old"}}, "extra.brand.name: found 'Old', but site_name is 'New'"),
        ("New", {"brand": {"app_name": "Lantern"}}, "extra.brand.tagline: found None"),
        ("New", {"brand": {**extra["brand"], "tagine": "x"}}, "extra.brand.tagine: not a setting"),
        ("New", {"brand": {**extra["brand"], "slug": "My Course"}}, "extra.brand.slug: found 'My Course'"),
        ("Доверие", extra, "extra.brand.slug: missing, and site_name 'Доверие' has no Latin letter"),
    ]
    for name, settings, message in cases:
        with pytest.raises(BrandError, match=re.escape(message)):
            brand_settings(name, settings)
    assert brand_settings("Доверие", {"brand": {**extra["brand"], "slug": "doverie"}})["slug"] == "doverie"
    with pytest.raises(BrandError, match=re.escape("extra.landing.title: found ''")):
        landing_settings({"landing": {"title": ""}}, brand)
