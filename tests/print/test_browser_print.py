"""Printing from the reader's browser: the built site printed to PDF by Chromium (the same
layout engine as its print dialog) under print media, and the PDF read back with pypdf.

One browser page is reused for the per-worksheet checks, to keep the run short.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.print.helpers import COURSE, SIZES, WORKSHEETS, chrome_in, missing_words, normal, pdf_reader, pdf_text

FORMATS = {"a4": "A4", "letter": "Letter"}


@pytest.fixture(scope="module")
def print_page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def open_page(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.emulate_media(media="screen")
    page.goto(url)
    wait_for_scripts(page)


def wait_for_scripts(page) -> None:  # type: ignore[no-untyped-def]
    """The page's scripts run after its first paint (main.html's loader), so after `load`."""
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")


def print_pdf(page, size: str = "a4"):  # type: ignore[no-untyped-def]
    page.emulate_media(media="print")
    return pdf_reader(page.pdf(format=FORMATS[size], print_background=True))


PAPER_FIELDS = """worksheet => [...document.querySelectorAll(`[data-rt-worksheet="${worksheet}"] .rt-field`)].map(f => {
  const shown = e => e.getBoundingClientRect().height > 0;
  if (f.matches(".rt-field--text")) return ["lines", [...f.querySelectorAll(".rt-line")].filter(shown).length];
  if (f.matches(".rt-field--checklist")) return ["boxes", [...f.querySelectorAll("li label")].filter(
    l => parseFloat(getComputedStyle(l, "::before").borderTopWidth) > 0).length];
  if (f.matches(".rt-field--scale")) return ["boxes", [...f.querySelectorAll(".rt-scale__option")].filter(
    o => shown(o) && parseFloat(getComputedStyle(o).borderTopWidth) > 0).length];
  return [f.className.match(/rt-field--(\\w+)/)[1], 0];
})"""


def paper_fields(page, worksheet_id: str) -> list[list[object]]:  # type: ignore[no-untyped-def]
    """What each field shows on paper: writing lines for text, boxes for checklists and scales."""
    return page.evaluate(PAPER_FIELDS, worksheet_id)


def expected_fields(worksheet) -> list[list[object]]:  # type: ignore[no-untyped-def]
    shown = {"text": lambda f: ["lines", f.lines], "checklist": lambda f: ["boxes", len(f.items)],
             "scale": lambda f: ["boxes", 10]}
    return [shown[f.type](f) if f.type in shown else [f.type, 0] for f in worksheet.fields]


@pytest.mark.parametrize("worksheet", WORKSHEETS, ids=[w.id for w in WORKSHEETS])
def test_every_worksheet_prints_on_one_or_two_pages_with_every_label_and_no_chrome(  # type: ignore[no-untyped-def]
        print_page, served: str, worksheet) -> None:
    open_page(print_page, f"{served}worksheets/{worksheet.id}/")
    for size, (width, height) in SIZES.items():
        reader = print_pdf(print_page, size)
        assert paper_fields(print_page, worksheet.id) == expected_fields(worksheet)
        text = pdf_text(reader)
        assert 1 <= len(reader.pages) <= 2, f"{worksheet.id} prints on {len(reader.pages)} pages in {size}"
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - width) <= 1 and abs(float(box.height) - height) <= 1
        assert not missing_words(worksheet, text), f"{size}: not on paper: {missing_words(worksheet, text)}"
        assert not chrome_in(worksheet, text), f"{size}: site chrome on paper: {chrome_in(worksheet, text)}"
        for page in reader.pages:  # the running header and footer, on every sheet
            sheet = normal(page.extract_text())
            # a build for this machine prints no address (test_pdf_unit.py: a public one does)
            assert worksheet.title in sheet and "Rebuilding Trust" in sheet and "127.0.0.1" not in sheet
            assert f"of {len(reader.pages)}" in sheet


PRINTED_SECTION = """() => {
  const look = (el) => { const s = getComputedStyle(el); return [s.fontSize, s.fontWeight, s.marginTop, s.marginBottom]; };
  const heading = document.querySelector(".rt-worksheet__heading"), legend = heading.parentElement;
  const region = document.querySelector(".rt-table-scroll");
  return { heading: look(heading), legend: look(legend), overflow: getComputedStyle(region).overflowX };
}"""


def table_text(worksheet) -> int:  # type: ignore[no-untyped-def]
    return sum(len("".join([*(getattr(f, "columns", None) or []), *(getattr(f, "row_labels", None) or [])]))
               for f in worksheet.fields)


def test_a_section_heading_prints_as_its_legend_and_a_table_is_never_clipped(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """On screen a section's title is an h2 in its legend and a table scrolls in its own
    region; on paper the title looks as the legend does, not as a page's h2, and the region
    clips nothing, even when the screen was a phone's (every word of the widest table is on
    paper)."""
    worksheet = max(WORKSHEETS, key=table_text)
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    open_page(page, f"{served}worksheets/{worksheet.id}/")
    page.emulate_media(media="print")
    printed = page.evaluate(PRINTED_SECTION)
    text = pdf_text(print_pdf(page))
    context.close()
    assert printed["heading"][:2] == printed["legend"][:2] == ["16px", "700"]  # 12pt, bold
    assert printed["heading"][2:] == ["0px", "0px"]
    assert printed["overflow"] == "visible"
    assert not missing_words(worksheet, text), missing_words(worksheet, text)


def test_a_typed_answer_longer_than_its_box_prints_in_full(print_page, served: str) -> None:  # type: ignore[no-untyped-def]
    worksheet = next(w for w in WORKSHEETS if any(f.type == "text" for f in w.fields))
    field = next(f for f in worksheet.fields if f.type == "text")
    open_page(print_page, f"{served}worksheets/{worksheet.id}/")
    answer = "\n".join(f"Line {n:02d} of what I wanted to say, written out in full." for n in range(1, 41))
    box = print_page.locator(f"#rt-{worksheet.id}--{field.id}")
    # print.js has set the page up (it marks internal links and keeps its flag), yet an empty
    # box has no print copy: setting up adds nothing until someone writes.
    print_page.wait_for_function("() => window.__rtPrint === true")
    assert print_page.locator(".rt-print-answer").count() == 0
    box.fill(answer)
    assert print_page.locator(".rt-print-answer").count() == 1
    text = pdf_text(print_pdf(print_page))
    missing = [n for n in range(1, 41) if f"Line {n:02d} of what I wanted to say" not in text]
    assert not missing, f"answer lines cut off on paper: {missing}"
    # The writing lines of that field give way to the answer; the other fields keep theirs.
    assert print_page.evaluate(
        "id => getComputedStyle(document.getElementById(id).parentElement.querySelector('.rt-lines')).display",
        f"rt-{worksheet.id}--{field.id}") == "none"
    print_page.emulate_media(media="screen")
    box.fill("")
    assert "Line 01 of what I wanted" not in pdf_text(print_pdf(print_page))


def test_a_saved_answer_prints_after_a_reload_without_typing(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """The journal restores saved answers into the boxes; the printed copy follows them even
    though no input event fires (page.pdf, unlike the print dialog, fires no beforeprint)."""
    context = browser.new_context()
    page = context.new_page()
    worksheet = WORKSHEETS[-1]
    open_page(page, f"{served}worksheets/{worksheet.id}/")
    page.locator("textarea").first.fill("An answer kept on this device")
    page.wait_for_timeout(300)  # saving is immediate; leave the journal a moment anyway
    page.reload()
    wait_for_scripts(page)
    assert page.locator("textarea").first.input_value() == "An answer kept on this device"
    assert "An answer kept on this device" in pdf_text(print_pdf(page))
    context.close()


def test_print_buttons_print_once_per_click_and_never_print_themselves(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """Delegated on document and set up from document$: still one print per click after an
    instant navigation (a window marker survives it), and the running header follows the page."""
    context = browser.new_context()
    page = context.new_page()
    first, second = WORKSHEETS[0], WORKSHEETS[1]
    open_page(page, f"{served}worksheets/{first.id}/")
    page.evaluate("window.__prints = 0; window.print = () => { window.__prints += 1 }; window.__stayed = true")
    button = page.locator("button[data-rt-print]")
    assert button.is_visible() and button.text_content() == "Print this worksheet"
    button.click()
    assert page.evaluate("window.__prints") == 1

    page.locator(f'.md-footer__link--next[href$="{second.id}/"]').click()
    page.wait_for_url(f"**/worksheets/{second.id}/")
    page.locator(f"h1#{second.id}").wait_for()
    assert page.evaluate("window.__stayed === true"), "expected an instant navigation"
    page.locator("button[data-rt-print]").click()
    assert page.evaluate("window.__prints") == 2
    text = normal(print_pdf(page).pages[0].extract_text())
    assert second.title in text and first.title not in text
    assert page.locator("button[data-rt-print]").evaluate("b => getComputedStyle(b).display") == "none"
    context.close()


def test_the_print_button_is_hidden_without_javascript(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{served}worksheets/{WORKSHEETS[0].id}/")
    assert page.locator("button[data-rt-print]").count() == 1
    assert not page.locator("button[data-rt-print]").is_visible()
    context.close()


def _shares(png: bytes) -> tuple[float, float]:
    """(white, dark) shares of a page image's pixels. Text on paper is a small dark share on a
    mostly white page; a dark scheme printed as is would be mostly dark."""
    from PIL import Image

    histogram = Image.open(io.BytesIO(png)).convert("L").histogram()
    total = sum(histogram)
    return sum(histogram[250:]) / total, sum(histogram[:100]) / total


@pytest.mark.parametrize("path", ["worksheets/{first}/", "", "{chapter}/"])
def test_the_dark_scheme_prints_light(browser, served: str, path: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(served + path.format(first=WORKSHEETS[0].id, chapter=COURSE.chapters[0].id))
    assert page.get_attribute("body", "data-md-color-scheme") == "slate", "expected Material's dark palette"
    page.emulate_media(media="print", color_scheme="dark")
    body = page.evaluate("(({backgroundColor, colorScheme}) => [backgroundColor, colorScheme])(getComputedStyle(document.body))")
    assert body == ["rgb(255, 255, 255)", "light"]
    data = page.pdf(format="A4", print_background=True)
    context.close()
    assert shutil.which("pdftoppm"), "pdftoppm not found: install Debian's poppler-utils (.ci/run does)"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "page.pdf"
        pdf.write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", "-singlefile", str(pdf), f"{tmp}/page"],
                       check=True, capture_output=True)
        png = (Path(tmp) / "page.png").read_bytes()
    white, dark = _shares(png)
    assert white > 0.6 and dark < 0.1, f"the printed page is not light: {white:.0%} white, {dark:.0%} dark"


def test_external_links_print_their_address_and_links_within_the_site_do_not(  # type: ignore[no-untyped-def]
        browser, served: str) -> None:
    """The course has no external links yet, so a chapter is served with three added to its
    article on the way to the browser: external, absolute to this site, and relative."""
    chapter = COURSE.chapters[0].id
    links = ('<p><a href="https://help.example.org/call-us">a helpline</a>, '
             f'<a href="{served}safety/">the safety page</a> and <a href="../sources/">the sources</a>.</p>')

    def add_links(route) -> None:  # type: ignore[no-untyped-def]
        body = route.fetch().text().replace("</article>", links + "</article>", 1)
        route.fulfill(body=body, headers={"content-type": "text/html; charset=utf-8"})

    context = browser.new_context()
    page = context.new_page()
    page.route(f"{served}{chapter}/", add_links)
    open_page(page, f"{served}{chapter}/")
    text = "".join(pdf_text(print_pdf(page)).split())  # a long address may wrap anywhere
    context.close()
    assert "ahelpline(https://help.example.org/call-us)" in text
    assert "thesafetypageand" in text and f"({served}safety/)" not in text
    assert "thesources." in text and "(../sources/)" not in text


def test_a_printed_page_carries_every_countrys_lines_whatever_the_screen_shows(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """On screen the note shows the reader's country only; on paper, every country's crisis and
    abuse lines and the Safety page's full address (issue 24)."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(served + "betrayal/")
    wait_for_scripts(page)
    note = page.locator("article [data-rt-safety-note]").last
    assert note.locator("[data-rt-helpline-country]:visible").count() == 1  # the UK's, on screen
    text = "".join(pdf_text(print_pdf(page)).split())
    for number in ("988", "1-800-799-7233", "116123", "08082000247", "08000271234", "131114", "1800737732", "1737", "0800733843"):
        assert number in text, number
    assert "127.0.0.1" not in text  # a build for this machine names no address on paper
    context.close()
