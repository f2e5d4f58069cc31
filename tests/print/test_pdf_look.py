"""The worksheet PDFs' look (issue 29), read back from what WeasyPrint drew: the safety note at
9 pt or more, all of it; section titles in the accent, questions in ink; every colour a design
token's light value (overrides/assets/css/tokens.css); at most two pages in A4 and US Letter.

Laid out with printing.pdf.PdfMaker directly (no MkDocs build), every worksheet in both sizes,
each once (about a second a PDF). Text runs, their fill colour and their size come from the
pages' content streams through pypdf: the size is the font size (`Tf`) times the scale of the
text and transformation matrices, the colour the last `rg` before the run's text object
(`q`/`Q` save and restore it)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import pytest
from pypdf import PageObject, PdfReader

from printing.pdf import MAX_PAGES, PAGE_SIZES, TOKENS_CSS, Pdf, PdfMaker, Site
from tests.print.helpers import COURSE, WORKSHEETS, normal, pdf_reader

SITE = Site("Rebuilding Trust", "https://example.org/course/")
CASES = [(w.id, size) for w in WORKSHEETS for size in PAGE_SIZES]
CASE_IDS = [f"{wid}-{size}" for wid, size in CASES]
MIN_NOTE_PT = 8.95  # 9 pt, less rounding
TOLERANCE = 0.01  # per RGB channel, 0..1
RGB = tuple[float, float, float]


def light_tokens() -> dict[str, RGB]:
    """tokens.css's light scheme (`:root`, the one paper uses): `ink` -> (r, g, b) in 0..1."""
    css = TOKENS_CSS.read_text(encoding="utf-8")
    block = css[css.index(":root"):]
    block = block[block.index("{") + 1:block.index("}")]
    tokens = {}
    for name, hexa in re.findall(r"--rt-([\w-]+)\s*:\s*#([0-9a-fA-F]{6})\b", block):
        tokens[name] = tuple(int(hexa[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return tokens  # type: ignore[return-value]


TOKENS = light_tokens()


def same(a: object, b: RGB) -> bool:
    return isinstance(a, tuple) and len(a) == 3 and all(abs(x - y) <= TOLERANCE for x, y in zip(a, b, strict=True))


def token_of(colour: object) -> str | None:
    return next((name for name, rgb in TOKENS.items() if same(colour, rgb)), None)


@dataclass(frozen=True)
class Run:
    """One piece of text as drawn: its page (0-based), baseline position in PDF points from the
    page's bottom left, effective size in pt, fill colour and text."""

    page: int
    x: float
    y: float
    size: float
    fill: object  # (r, g, b) in 0..1, or the operator that set a colour some other way
    text: str


def page_runs(number: int, page: PageObject) -> list[Run]:
    runs: list[Run] = []
    fill: list[object] = [(0.0, 0.0, 0.0)]  # the graphics state's fill colour; `q` pushes, `Q` pops

    def before(op: bytes, args: list, cm: list, tm: list) -> None:  # type: ignore[type-arg]
        if op == b"q":
            fill.append(fill[-1])
        elif op == b"Q" and len(fill) > 1:
            fill.pop()
        elif op == b"rg":
            fill[-1] = tuple(float(a) for a in args)
        elif op == b"g":
            fill[-1] = (float(args[0]),) * 3
        elif op in (b"k", b"sc", b"scn"):
            fill[-1] = op.decode()

    def seen(text: str, cm: list, tm: list, font: object, font_size: float) -> None:  # type: ignore[type-arg]
        if not text.strip():
            return
        # The text matrix in device space: tm x cm (2 x 2 part), and the origin moved by both.
        a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
        c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        runs.append(Run(number, x, y, font_size * math.sqrt(abs(a * d - b * c)), fill[-1], normal(text)))

    # pypdf hands a text object's runs over at its `ET`, before the next object's colour is set.
    page.extract_text(visitor_operand_before=before, visitor_text=seen)
    return runs


def text_runs(reader: PdfReader) -> list[Run]:
    return [run for number, page in enumerate(reader.pages) for run in page_runs(number, page)]


def colours_used(reader: PdfReader) -> set[tuple[str, object]]:
    """Every colour the pages' content streams set, fill (`rg`) and stroke (`RG`) alike."""
    found: set[tuple[str, object]] = set()
    for page in reader.pages:
        contents = page.get_contents()  # a stream object: empty as a dictionary, so never test its truth
        for args, op in contents.operations if contents is not None else []:
            if op in (b"rg", b"RG"):
                found.add((op.decode(), tuple(float(a) for a in args)))
            elif op in (b"g", b"G"):
                found.add((op.decode(), (float(args[0]),) * 3))
            elif op in (b"k", b"K", b"sc", b"scn", b"SC", b"SCN"):
                found.add((op.decode(), tuple(str(a) for a in args)))
    return found


@dataclass(frozen=True)
class Laid:
    pdf: Pdf
    reader: PdfReader
    runs: list[Run]  # the pages' bodies, without the running header and footer


def body_runs(runs: list[Run]) -> list[Run]:
    """The runs between each page's running header (the site's name, top right) and footer ("Page
    1 of 2", bottom right): the header repeats the worksheet's title, which may also be a label."""
    body = []
    for page in sorted({r.page for r in runs}):
        on_page = [r for r in runs if r.page == page]
        header = max(r.y for r in on_page if r.text == SITE.name)
        footer = min(r.y for r in on_page if re.fullmatch(r"Page \d+ of \d+", r.text))
        body += [r for r in on_page if footer < r.y < header]
    return body


_maker = PdfMaker(COURSE, SITE)


@cache
def laid_out(worksheet_id: str, size: str) -> Laid:
    """One worksheet's PDF, laid out once for every test here."""
    pdf = _maker.worksheet(worksheet_id, size)
    reader = pdf_reader(pdf.data)
    return Laid(pdf, reader, body_runs(text_runs(reader)))


def find(runs: list[Run], wanted: str) -> list[list[Run]]:
    """Every place `wanted` is drawn as whole runs: one run, or consecutive runs on one page
    (a title or a question that wraps onto a second line)."""
    target = normal(wanted)
    places = []
    for start, run in enumerate(runs):
        if not target.startswith(run.text):
            continue
        joined, end = run.text, start
        while joined != target and end + 1 < len(runs) and runs[end + 1].page == run.page:
            following = f"{joined} {runs[end + 1].text}"
            if not target.startswith(following):
                break
            joined, end = following, end + 1
        if joined == target:
            places.append(runs[start:end + 1])
    return places


def safety_note_runs(runs: list[Run]) -> list[Run]:
    """The safety note's runs: on its page, everything from its first line ("This course is not
    therapy") down to its last (the Safety page's printed address)."""
    first = [r for r in runs if r.text.startswith("This course is not therapy")]
    last = [r for r in runs if "example.org/course/safety/" in r.text]
    assert len(first) == 1 and len(last) == 1, "the safety note is printed once, its address once"
    assert first[0].page == last[0].page, "the safety note is split across pages"
    top, bottom = first[0].y, last[0].y
    return [r for r in runs if r.page == first[0].page and bottom - 0.5 <= r.y <= top + 0.5]


@pytest.mark.parametrize(("worksheet_id", "size"), CASES, ids=CASE_IDS)
def test_the_safety_note_is_printed_at_9pt_or_more(worksheet_id: str, size: str) -> None:
    note = safety_note_runs(laid_out(worksheet_id, size).runs)
    text = " ".join(r.text for r in note)
    # The whole note, every country's lines: the words only the note has.
    for words in ("This course is not therapy", "emergency 911", "Samaritans", "1800RESPECT",
                  "hotpeachpages.net", "the Safety page"):
        assert words in text, f"{words!r} not in the safety note's runs: {text[:200]}"
    small = sorted({(round(r.size, 2), r.text) for r in note if r.size < MIN_NOTE_PT})
    assert not small, f"safety note text under 9 pt: {small[:5]}"


@pytest.mark.parametrize(("worksheet_id", "size"), CASES, ids=CASE_IDS)
def test_section_titles_are_in_the_accent_and_questions_in_ink(worksheet_id: str, size: str) -> None:
    runs = laid_out(worksheet_id, size).runs
    worksheet = COURSE.worksheets[worksheet_id]
    for section in worksheet.sections:
        places = find(runs, section.title)
        assert places, f"section title {section.title!r} not found as drawn text"
        for place in places:
            for run in place:
                assert same(run.fill, TOKENS["accent"]), (
                    f"section title {run.text!r} drawn in {run.fill} ({token_of(run.fill)}), not the accent")
    for field in worksheet.fields:
        places = find(runs, field.label)
        assert places, f"field label {field.label!r} not found as drawn text"
        for place in places:
            for run in place:
                assert same(run.fill, TOKENS["ink"]), (
                    f"field label {run.text!r} drawn in {run.fill} ({token_of(run.fill)}), not ink")


@pytest.mark.parametrize(("worksheet_id", "size"), CASES, ids=CASE_IDS)
def test_every_colour_in_the_pdf_is_a_design_token(worksheet_id: str, size: str) -> None:
    stray = sorted((op, values) for op, values in colours_used(laid_out(worksheet_id, size).reader)
                   if token_of(values) is None)
    assert not stray, f"colours that are no token of tokens.css's light scheme: {stray}"


@pytest.mark.parametrize(("worksheet_id", "size"), CASES, ids=CASE_IDS)
def test_a_worksheet_prints_on_at_most_two_pages(worksheet_id: str, size: str) -> None:
    laid = laid_out(worksheet_id, size)
    assert laid.pdf.pages == len(laid.reader.pages)
    assert laid.pdf.pages <= MAX_PAGES, f"{worksheet_id} prints on {laid.pdf.pages} pages in {size}"


def test_the_tokens_are_read() -> None:
    """The checks above compare against tokens.css itself: the plum accent and the ink."""
    assert same(TOKENS["accent"], (0x6B / 255, 0x2C / 255, 0x42 / 255))
    assert {"ink", "ink-muted", "accent", "border"} <= set(TOKENS)
