"""The fillable worksheet PDFs (printing/forms.py), read back from the session's built site with
pypdf, and filled in the way a reader's PDF app would: every answer place an AcroForm field named
from the data's ids, with its visible label as its tooltip, on the blank sheet's own pages.

The expected names are worked out here from the data (`load_course`), not by the code under
test, so a renamed id in data/worksheets/ must rename its field; the expected tooltips from the
data and from the built page's HTML (what a screen reader announces there)."""

from __future__ import annotations

import io
import re
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject

from course.data import load_course
from course.model import PARTNER_ROLE_LABELS, Worksheet
from printing.pdf import MAX_PAGES, PAGE_SIZES
from tests.conftest import ROOT
from tests.print.helpers import expected_fields, normal, pdf_reader, roles

COURSE = load_course(ROOT / "data")
WORKSHEETS = [w for c in COURSE.chapters for w in COURSE.worksheets_of(c.id)]
CASES = [(w, size) for w in WORKSHEETS for size in PAGE_SIZES]
CASE_IDS = [f"{w.id}-{size}" for w, size in CASES]
MULTILINE = 1 << 12  # /Ff bit 13
RADIO = 1 << 15  # /Ff bit 16
NO_TOGGLE_TO_OFF = 1 << 14  # /Ff bit 15


def fillable(site: Path, worksheet: Worksheet, size: str) -> Path:
    return site / "worksheets" / worksheet.id / f"{worksheet.id}-{size}-fillable.pdf"


def blank(site: Path, worksheet: Worksheet, size: str) -> Path:
    return site / "worksheets" / worksheet.id / f"{worksheet.id}-{size}.pdf"


def widgets(reader: PdfReader) -> list[tuple[int, DictionaryObject]]:
    """Every widget annotation: (page index, annotation)."""
    found = []
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Widget":
                found.append((number, annotation))
    return found


def field_of(widget: DictionaryObject) -> DictionaryObject:
    """The field a widget belongs to: itself, or its radio group."""
    return widget if "/T" in widget else widget["/Parent"].get_object()


def accessible_names(site: Path, worksheet: Worksheet) -> dict[str, str]:
    """What a screen reader announces for each answer control on the worksheet's web page,
    by the field name the control's storage key gives: a label's text, a cell's aria-label, a
    checklist's legend and item, a scale's legend."""
    doc = BeautifulSoup((site / "worksheets" / worksheet.id / "index.html").read_text(encoding="utf-8"), "html.parser")
    prefix = f"ws:{worksheet.id}:"
    names: dict[str, str] = {}

    def text(tag: Tag | None) -> str:
        assert tag is not None
        return " ".join(tag.get_text(" ").split())

    for control in doc.select("article [data-rt-key]"):
        name = str(control["data-rt-key"]).removeprefix(prefix)
        if control.has_attr("aria-label"):
            names[name] = str(control["aria-label"])
        elif control.get("type") == "radio":
            names[name] = text(control.find_parent("fieldset").find("legend"))  # type: ignore[union-attr]
        elif control.get("type") == "checkbox":
            legend = text(control.find_parent("fieldset").find("legend"))  # type: ignore[union-attr]
            names[name] = f"{legend}: {text(doc.find('label', attrs={'for': control['id']}))}"
        else:
            names[name] = text(doc.find("label", attrs={"for": control["id"]}))
    return names


@pytest.mark.parametrize(("worksheet", "size"), CASES, ids=CASE_IDS)
def test_every_answer_place_is_a_field_named_by_the_datas_ids_with_its_label(site: Path, worksheet: Worksheet,
                                                                             size: str) -> None:
    reader = pdf_reader(fillable(site, worksheet, size).read_bytes())
    fields = reader.get_fields() or {}
    expected = expected_fields(worksheet)
    assert sorted(fields) == sorted(expected), f"{worksheet.id}-{size}: field names are not the data's ids"
    for name, want in expected.items():
        field = fields[name]
        assert field.get("/TU") == want.tooltip, f"{name}: tooltip {field.get('/TU')!r}, expected {want.tooltip!r}"
        flags = int(field.get("/Ff", 0))
        if want.kind in ("multiline", "line"):
            assert field.get("/FT") == "/Tx", name
            assert bool(flags & MULTILINE) == (want.kind == "multiline"), f"{name}: /Ff {flags}"
        elif want.kind == "checkbox":
            assert field.get("/FT") == "/Btn" and not flags & RADIO, name
        else:
            assert field.get("/FT") == "/Btn" and flags & RADIO and flags & NO_TOGGLE_TO_OFF, f"{name}: not a radio group"
            kids = [kid.get_object() for kid in field["/Kids"]]
            states = [[str(s) for s in kid["/AP"]["/N"]] for kid in kids]
            assert states == [[f"/{n}"] for n in range(1, 11)], f"{name}: options {states}"
            assert all("/T" not in kid for kid in kids), f"{name}: an option is a field of its own"
    # Every widget is one of those fields (no stray control, nothing named after a position), and
    # each field has one place on the page (a scale ten), never one split over two pages.
    placed = Counter(str(field_of(w)["/T"]) for _, w in widgets(reader))
    assert placed == {name: 10 if want.kind == "scale" else 1 for name, want in expected.items()}


@pytest.mark.parametrize("worksheet", WORKSHEETS, ids=[w.id for w in WORKSHEETS])
def test_the_tooltips_are_what_a_screen_reader_announces_on_the_web_page(site: Path, worksheet: Worksheet) -> None:
    """The same labels as the web form's controls; on a sheet for two, with the partner's role."""
    fields = pdf_reader(fillable(site, worksheet, "a4").read_bytes()).get_fields() or {}
    announced = accessible_names(site, worksheet)
    assert set(announced) == set(fields)
    for name, label in announced.items():
        assert fields[name]["/TU"] == roles(label, worksheet), name


@pytest.mark.parametrize("worksheet", [w for w in WORKSHEETS if w.partners], ids=[w.id for w in WORKSHEETS if w.partners])
def test_on_a_sheet_for_two_each_partners_part_names_the_role(site: Path, worksheet: Worksheet) -> None:
    """A label naming Partner A or B names the role in the fillable PDF too, as the printed
    "Who is who" line does: "Partner A—the partner who was hurt: …"."""
    tooltips = [str(f["/TU"]) for f in (pdf_reader(fillable(site, worksheet, "a4").read_bytes()).get_fields() or {}).values()]
    assert not [t for t in tooltips if re.search(r"\bPartner [AB]\b(?!—the partner who)", t)]
    named = [f for f in worksheet.fields if re.search(r"\bPartner [AB]\b", f.label + " ".join(getattr(f, "columns", None) or []))]
    hurt = "—" + PARTNER_ROLE_LABELS["hurt"]
    assert not named or any(hurt in t for t in tooltips), worksheet.id


@pytest.mark.parametrize(("worksheet", "size"), CASES, ids=CASE_IDS)
def test_the_blank_and_fillable_pdfs_have_the_same_pages_and_text(site: Path, worksheet: Worksheet, size: str) -> None:
    printed = pdf_reader(blank(site, worksheet, size).read_bytes())
    filled_in = pdf_reader(fillable(site, worksheet, size).read_bytes())
    assert len(printed.pages) == len(filled_in.pages) <= MAX_PAGES
    for one, other in zip(printed.pages, filled_in.pages, strict=True):
        assert one.mediabox == other.mediabox
        assert normal(one.extract_text()) == normal(other.extract_text())
    assert "/AcroForm" not in printed.trailer["/Root"] and not widgets(printed), "the blank sheet has form fields"
    assert filled_in.metadata is not None and filled_in.metadata.title == printed.metadata.title  # type: ignore[union-attr]
    # The fields' font is cut down to what a reader may type, not embedded whole (+430 KB).
    extra = fillable(site, worksheet, size).stat().st_size - blank(site, worksheet, size).stat().st_size
    assert extra < 120 * 1024, f"the fillable PDF is {extra // 1024} KiB larger than the blank one"


def test_the_fields_font_draws_what_a_reader_may_type(site: Path) -> None:
    """Accented Latin, Greek, Cyrillic, dashes, quotes, the euro: glyphs with outlines in the font
    every field's /DA names; the page's own text keeps a font of its own."""
    from fontTools.ttLib import TTFont

    reader = pdf_reader(fillable(site, WORKSHEETS[0], "a4").read_bytes())
    names = {str(w["/DA"]).split(" Tf")[0].split()[-2] for _, w in widgets(reader) if "/DA" in w}
    assert len(names) == 1, names
    name = names.pop()
    font = reader.trailer["/Root"]["/AcroForm"]["/DR"]["/Font"][name].get_object()
    descendant = font["/DescendantFonts"][0].get_object()
    program = TTFont(io.BytesIO(descendant["/FontDescriptor"]["/FontFile2"].get_data()))
    cmap, glyphs = program.getBestCmap(), program["glyf"]
    for char in "aZéßłőçñ–—“”‘’…€Ωλжщ":
        assert ord(char) in cmap and glyphs[cmap[ord(char)]].numberOfContours != 0, char
    drawn_with = {str(args[0]) for page in reader.pages for args, op in page.get_contents().operations if op == b"Tf"}
    assert drawn_with and name not in drawn_with, "the page's text is drawn with the fields' font"


def test_the_workbook_stays_blank(site: Path) -> None:
    for size in PAGE_SIZES:
        workbook = pdf_reader((site / "worksheets" / f"rebuilding-trust-workbook-{size}.pdf").read_bytes())
        assert not widgets(workbook)
    assert not list((site / "worksheets").glob("*workbook*fillable*"))


def round_trip_sheet() -> Worksheet:
    """The sheet with the most kinds of field (text, table, scale, date, checklist...)."""
    return max(WORKSHEETS, key=lambda w: (len({f.type for f in w.fields}), w.id))


def test_a_sheet_filled_in_keeps_its_answers_and_prints_them(site: Path, tmp_path: Path) -> None:
    """Every field of one sheet filled in with pypdf as a PDF app does (values and appearance
    streams), saved, read back; then drawn by poppler (pdftoppm) and its text read (pdftotext)."""
    worksheet = round_trip_sheet()
    assert len({f.type for f in worksheet.fields}) >= 4
    source = fillable(site, worksheet, "a4")
    writer = PdfWriter(clone_from=source)
    typed: dict[str, str] = {}  # text field -> the value typed
    chosen: dict[str, str] = {}  # button field -> the state chosen
    for page in writer.pages:
        values: dict[str, str] = {}
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            if widget.get("/Subtype") != "/Widget":
                continue  # a link
            field = field_of(widget)
            name = str(field["/T"])
            if field.get("/FT") == "/Tx":
                # Short, unique words: a table's cell is narrow. One answer in accented Latin.
                typed[name] = values[name] = f"Ans{len(typed):02d}" if typed else "Café–Ωж"
            elif "/Parent" in widget:  # a scale's option
                chosen[name] = values[name] = f"/{len(chosen) % 10 + 1}"
            else:  # a checklist's item
                chosen[name] = values[name] = next(str(s) for s in widget["/AP"]["/N"] if s != "/Off")
        if values:
            # auto_regenerate=False: the app's appearance streams are what is drawn (pypdf writes
            # them for the text); True would ask every reader to redraw every field itself.
            writer.update_page_form_field_values(page, values, auto_regenerate=False)
    assert set(typed) | set(chosen) == set(expected_fields(worksheet))
    out = tmp_path / "filled.pdf"
    writer.write(out)

    fields = PdfReader(out).get_fields() or {}
    for name, value in {**typed, **chosen}.items():
        assert str(fields[name].get("/V")) == value, name

    shown = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert not [value for value in typed.values() if value not in shown], "typed text not drawn"
    for pdf, stem in ((out, "filled"), (source, "empty")):
        subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdf), str(tmp_path / stem)], check=True, capture_output=True)
    images = sorted(tmp_path.glob("filled-*.pgm"))
    empty = sorted(tmp_path.glob("empty-*.pgm"))
    assert len(images) == len(empty) == len(PdfReader(out).pages)
    # Each page with answers on it is drawn differently from the sheet before it was filled in.
    assert all(a.read_bytes() != b.read_bytes() for a, b in zip(images, empty, strict=True))


def linked(site: Path, worksheet: Worksheet) -> list[str]:
    doc = BeautifulSoup((site / "worksheets" / worksheet.id / "index.html").read_text(encoding="utf-8"), "html.parser")
    return [str(a["href"]) for a in doc.select("article a[href$='.pdf']")]


@pytest.mark.parametrize("worksheet", WORKSHEETS, ids=[w.id for w in WORKSHEETS])
def test_the_worksheet_page_offers_the_blank_and_the_fillable_pdfs_by_relative_links(site: Path,
                                                                                     worksheet: Worksheet) -> None:
    hrefs = linked(site, worksheet)
    base = f"http://site/worksheets/{worksheet.id}/"
    resolved = [urljoin(base, href).removeprefix("http://site/") for href in hrefs]
    folder = f"worksheets/{worksheet.id}/{worksheet.id}"
    assert resolved == [f"{folder}-{size}.pdf" for size in PAGE_SIZES] + [f"{folder}-{size}-fillable.pdf" for size in PAGE_SIZES]
    for href in hrefs:
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc and not href.startswith("/"), f"not a relative link: {href}"
    assert all((site / path).is_file() for path in resolved)

    doc = BeautifulSoup((site / "worksheets" / worksheet.id / "index.html").read_text(encoding="utf-8"), "html.parser")
    offer = doc.select_one(".rt-worksheet__fillable")
    assert offer is not None and offer.has_attr("data-rt-print-hidden")
    words = normal(offer.get_text(" "))
    assert "Nothing is sent anywhere" in words and "your own PDF app" in words
    buttons = [normal(a.get_text(" ")) for a in offer.select("a.md-button[download]")]
    assert buttons == [f"Fill in on a computer or tablet ({label})" for label in ("A4", "US Letter")]


def test_the_fields_font_is_the_same_bytes_in_every_build() -> None:
    """A cache answers only for the same bytes (tests/test_cache_property.py): the cut-down font
    keeps the font file's own timestamp, where fontTools would write the time it was made."""
    from fontTools.ttLib import TTFont

    from printing import forms
    from printing.pdf import font_files

    files = font_files()
    assert files is not None
    data = files[0].read_bytes()
    made = forms._subset(data, {})
    assert TTFont(io.BytesIO(made.data))["head"].modified == TTFont(io.BytesIO(data))["head"].modified
    forms._SUBSETS.clear()
    assert forms._subset(data, {}).data == made.data
