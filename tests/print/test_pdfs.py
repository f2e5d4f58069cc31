"""The PDFs the build writes (sitebuild/plugin.py -> printing/pdf.py, WeasyPrint), read back with pypdf."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup

from printing.pdf import PAGE_SIZES
from tests.print.helpers import SIZES, WORKSHEETS, chrome_in, fonts_of, missing_words, normal, pdf_reader, pdf_text


def page_doc(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def linked_pdfs(site: Path, path: str) -> list[Path]:
    """The PDF files a page links to, resolved against the page's own address."""
    base = f"http://site/{path}"
    hrefs = [a["href"] for a in page_doc(site, path).select("article a[href$='.pdf']")]
    return [site / urljoin(base, href).removeprefix("http://site/") for href in hrefs]


def poppler_pages(path: Path) -> list[str]:
    """Each page's text as poppler's pdftotext reads it (pages end with a form feed)."""
    import subprocess

    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [normal(page) for page in text.split("\f")[:-1]]


def check_pdf(path: Path, size: str, title: str) -> object:
    assert path.is_file(), f"missing {path}"
    reader = pdf_reader(path.read_bytes())
    for page in reader.pages:
        width, height = SIZES[size]
        assert abs(float(page.mediabox.width) - width) <= 1 and abs(float(page.mediabox.height) - height) <= 1
    fonts = fonts_of(reader)
    assert fonts and all(fonts.values()), f"{path.name}: fonts not embedded: {fonts}"
    assert reader.metadata is not None and title in (reader.metadata.title or ""), f"{path.name}: metadata title"
    assert title in pdf_text(reader), f"{path.name}: title not in the text"
    return reader


@pytest.mark.parametrize("worksheet", WORKSHEETS, ids=[w.id for w in WORKSHEETS])
def test_every_worksheet_page_links_its_pdfs_in_a4_and_letter(site: Path, worksheet) -> None:  # type: ignore[no-untyped-def]
    """The blank PDFs, then the fillable ones (tests/print/test_fillable_pdfs.py): the same sheet."""
    links = linked_pdfs(site, f"worksheets/{worksheet.id}/")
    sizes = [*PAGE_SIZES, *PAGE_SIZES]
    expected = [site / "worksheets" / worksheet.id / f"{worksheet.id}-{size}{'-fillable' if n >= len(PAGE_SIZES) else ''}.pdf"
                for n, size in enumerate(sizes)]
    assert links == expected
    for size, path in zip(sizes, links, strict=True):
        reader = check_pdf(path, size, worksheet.title)
        text = pdf_text(reader)
        assert 1 <= len(reader.pages) <= 2, f"{path.name}: {len(reader.pages)} pages"
        assert not missing_words(worksheet, text), f"{path.name}: not on paper: {missing_words(worksheet, text)}"
        assert not chrome_in(worksheet, text)


@pytest.mark.parametrize("size", list(PAGE_SIZES))
def test_the_workbook_has_a_cover_contents_and_every_worksheet_on_its_own_pages(site: Path, size: str) -> None:
    workbook = site / "worksheets" / f"rebuilding-trust-workbook-{size}.pdf"  # the brand's slug (mkdocs.yml)
    assert workbook in linked_pdfs(site, "worksheets/")
    reader = check_pdf(workbook, size, "Rebuilding Trust")
    pages = poppler_pages(workbook)
    assert len(pages) == len(reader.pages) and "workbook" in pages[0].lower()
    contents = pages[1]
    assert contents.startswith("Contents")
    start = 3  # cover, contents, then the worksheets in course order
    for worksheet in WORKSHEETS:
        assert re.search(rf"{re.escape(worksheet.title)}[ .]+{start}\b", contents), f"contents: {worksheet.title} on {start}"
        # The sheet's own pages, as its own PDF prints them ("Page 1 of 2" and all): the workbook
        # joins the layouts its sheets' PDFs were written from.
        own = poppler_pages(site / "worksheets" / worksheet.id / f"{worksheet.id}-{size}.pdf")
        assert pages[start - 1:start - 1 + len(own)] == own, worksheet.id
        assert f"Page 1 of {len(own)}" in pages[start - 1]
        start += len(own)
    assert len(pages) == start - 1
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    assert [w.title for w in WORKSHEETS] == [t for t in outline if t != "Contents"]


# The shipped families (printing/fonts/) as WeasyPrint names their faces in a PDF ("Roboto-Bold",
# "Noto-Sans-Hebrew-Oblique"): Roboto, and Noto Sans for Hebrew and Arabic.
SHIPPED = re.compile(r"(Roboto|Noto-Sans-Hebrew|Noto-Sans-Arabic)(-Bold)?(-Italic|-Oblique)?")


def test_every_pdf_is_set_in_the_shipped_roboto_and_nothing_else(site: Path) -> None:
    """Issue 29: the PDFs share the site's family (Roboto, the face its stack gives Android and
    ChromeOS), from the files the project ships (printing/fonts/), on every build machine: no
    face from whatever the machine has installed (DejaVu, Liberation) stands in anywhere, the
    running header and the fields included. Read by poppler's pdffonts."""
    import subprocess

    pdfs = sorted((site / "worksheets").rglob("*.pdf"))
    assert len(pdfs) > 80
    for pdf in pdfs:
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        names = {line.split()[0].split("+", 1)[-1] for line in listing.splitlines()[2:]}
        assert names and all(SHIPPED.fullmatch(name) for name in names), (pdf.name, names)
