"""printing/pdf.py without MkDocs: records in, HTML and PDF out; the cache; the length check.
And the build plugin's serve mode, against the cache the session's build filled."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from course.data import Course
from course.model import Worksheet
from macros.render import Renderer
from printing.pdf import (
    PDF_CSS,
    PRINT_CSS,
    Pdf,
    PdfCache,
    PdfMaker,
    Site,
    css_string,
    fillable_key,
    glyph_problems,
    length_problem,
    running_header_style,
    sharing_layouts,
    write_pdfs,
)
from tests.conftest import ROOT
from tests.print.helpers import COURSE, WORKSHEETS, normal, pdf_reader, pdf_text

SITE = Site("Rebuilding Trust", "https://example.org/course/", "A tagline.")


def long_course() -> Course:
    """The course plus one worksheet with far more writing lines than two pages hold."""
    raw = {
        "id": "much-too-long", "title": "Much too long", "chapter": COURSE.chapters[0].id,
        "summary": "A worksheet that needs trimming.", "who": "alone", "minutes": 10,
        "instructions": "Write.",
        "sections": [{"title": f"Part {n}", "fields": [
            {"type": "text", "id": f"q{n}", "label": f"Question {n}", "lines": 30}]} for n in range(4)],
    }
    worksheets = {**COURSE.worksheets, "much-too-long": Worksheet.model_validate(raw)}
    return Course(COURSE.chapters, COURSE.prompts, worksheets, COURSE.root)


def test_the_pdf_body_is_the_web_pages_worksheet_body() -> None:
    """One template for the web form and the PDF: the PDF's HTML contains Renderer.worksheet()."""
    worksheet = WORKSHEETS[0]
    html = PdfMaker(COURSE, SITE).worksheet_html(worksheet.id, "letter")
    assert str(Renderer(COURSE, site_url=SITE.url).worksheet(worksheet.id, root=SITE.url)) in html
    assert "@page { size: letter; }" in html
    assert f"<title>{worksheet.title} · Rebuilding Trust</title>" in html
    assert 'data-rt-address="example.org/course/worksheets/' in html


def test_text_from_data_is_escaped_in_the_pdf_templates() -> None:
    site = Site('<script>alert("x")</script>', "https://example.org/")
    html = PdfMaker(COURSE, site).workbook_html("a4")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_an_unknown_page_size_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown page size 'a5'; expected one of: a4, letter"):
        PdfMaker(COURSE, SITE).worksheet_html(WORKSHEETS[0].id, "a5")


def test_a_css_string_cannot_end_the_style_element_or_the_string() -> None:
    assert css_string('Say "no" </style><b>') == '"Say \\22 no\\22  \\3c /style\\3e \\3c b\\3e "'
    assert css_string("Trust – a “new” start") == '"Trust – a “new” start"'
    style = running_header_style("A & B", SITE, "/worksheets/x/")
    assert str(style) == ('<style data-rt-print-header>:root{--rt-print-title:"A \\26  B";'
                          '--rt-print-site:"Rebuilding Trust";--rt-print-address:"example.org/course/worksheets/x/"}</style>')
    local = running_header_style("A", Site("Rebuilding Trust", "http://127.0.0.1:8000/"), "/worksheets/x/")
    assert '--rt-print-address:""' in str(local)  # paper names no address that only this machine serves


def test_a_worksheet_pdf_is_a4_or_letter_with_its_words_fonts_and_title() -> None:
    worksheet = WORKSHEETS[-1]
    maker = PdfMaker(COURSE, SITE)
    for size, (width, height) in {"a4": (595, 842), "letter": (612, 792)}.items():
        pdf = maker.worksheet(worksheet.id, size)
        reader = pdf_reader(pdf.data)
        assert pdf.pages == len(reader.pages) <= 2
        assert round(float(reader.pages[0].mediabox.width)) == width
        assert round(float(reader.pages[0].mediabox.height)) == height
        assert reader.metadata.title == f"{worksheet.title} · Rebuilding Trust"
        text = pdf_text(reader)
        assert worksheet.title in text and "example.org/course/worksheets/" in text
        assert normal(worksheet.fields[0].label) in text


def test_a_worksheet_pdfs_outline_is_its_title_with_its_sections_below() -> None:
    """Sections are h2 headings (inside their legends), so a PDF reader's outline lists them."""
    worksheet = WORKSHEETS[-1]
    outline = pdf_reader(PdfMaker(COURSE, SITE).worksheet(worksheet.id, "a4").data).outline
    assert [item.title for item in outline if not isinstance(item, list)] == [worksheet.title]
    assert [item.title for item in outline[1]] == [section.title for section in worksheet.sections]


def test_a_worksheet_longer_than_two_pages_is_reported(tmp_path: Path) -> None:
    """The build step reports it (sitebuild/plugin.py logs it as a warning, which fails --strict)."""
    long = long_course().worksheets["much-too-long"]
    course = Course(COURSE.chapters, COURSE.prompts, {long.id: long}, COURSE.root)
    report = write_pdfs(PdfMaker(course, SITE), tmp_path / "out", PdfCache(tmp_path / "cache"))
    pages = len(pdf_reader((tmp_path / "out" / long.id / f"{long.id}-a4.pdf").read_bytes()).pages)
    assert pages > 2
    assert report.problems[0] == (
        f"data/worksheets/much-too-long.yml: prints on {pages} pages in A4; expected at most 2: "
        "give its text fields fewer `lines`, or shorten its instructions")
    assert len(report.problems) == 2 and "pages in US Letter;" in report.problems[1]
    assert length_problem("much-too-long", "letter", 2) is None
    # The build fails on it: no workbook is laid out for nothing (it takes longer than its sheets).
    assert not list((tmp_path / "out").glob("*workbook*")) and report.layouts == 2


def test_cache_keys_follow_the_data_and_the_stylesheets(tmp_path: Path) -> None:
    maker = PdfMaker(COURSE, SITE)
    first, second = WORKSHEETS[0].id, WORKSHEETS[1].id
    assert maker.worksheet_digest(first, "a4") == PdfMaker(COURSE, SITE).worksheet_digest(first, "a4")
    assert maker.worksheet_digest(first, "a4") != maker.worksheet_digest(first, "letter")

    edited = dict(COURSE.worksheets)
    edited[first] = edited[first].model_copy(update={"title": "A new title"})
    other = PdfMaker(Course(COURSE.chapters, COURSE.prompts, edited, COURSE.root, COURSE.helplines), SITE)
    assert other.worksheet_digest(first, "a4") != maker.worksheet_digest(first, "a4")
    assert other.worksheet_digest(second, "a4") == maker.worksheet_digest(second, "a4")
    assert other.workbook_digest("a4") != maker.workbook_digest("a4")

    # Every PDF prints the helplines: one changed number changes every key (issue 24).
    lines = list(COURSE.helplines)
    lines[0] = lines[0].model_copy(update={"phone": "999 000"})
    renumbered = PdfMaker(Course(COURSE.chapters, COURSE.prompts, COURSE.worksheets, COURSE.root, lines), SITE)
    for worksheet in WORKSHEETS:
        assert renumbered.worksheet_digest(worksheet.id, "a4") != maker.worksheet_digest(worksheet.id, "a4"), worksheet.id
    assert renumbered.workbook_digest("letter") != maker.workbook_digest("letter")

    css = tmp_path / "print.css"
    css.write_text(PRINT_CSS.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    restyled = PdfMaker(COURSE, SITE, stylesheets=(css, PDF_CSS))
    assert restyled.worksheet_digest(first, "a4") != maker.worksheet_digest(first, "a4")
    moved = PdfMaker(COURSE, Site("Rebuilding Trust", "https://elsewhere.example/"))
    assert moved.worksheet_digest(first, "a4") != maker.worksheet_digest(first, "a4")


class _CountingMaker(PdfMaker):
    laid_out = 0

    def render(self, html: str):  # type: ignore[no-untyped-def]
        type(self).laid_out += 1
        return super().render(html)


def test_a_second_run_lays_out_nothing_and_a_serve_run_only_copies_the_cache(tmp_path: Path) -> None:
    """Per size, a worksheet's blank and fillable PDFs from one layout, and the workbook."""
    one = WORKSHEETS[0]
    course = Course(COURSE.chapters, COURSE.prompts, {one.id: one}, COURSE.root)
    cache = PdfCache(tmp_path / "cache")

    report = write_pdfs(_CountingMaker(course, SITE), tmp_path / "cold", PdfCache(tmp_path / "empty"), lay_out=False)
    assert (report.laid_out, report.missing) == (0, 6) and not (tmp_path / "cold").exists()

    report = write_pdfs(_CountingMaker(course, SITE), tmp_path / "first", cache)
    # Per size: the sheet laid out once, and the workbook's front twice (its length with
    # placeholders, then its numbers) to join the sheet's layout to, not the sheet again.
    assert (report.laid_out, report.layouts, report.from_cache, _CountingMaker.laid_out) == (6, 4, 0, 6)
    report = write_pdfs(_CountingMaker(course, SITE), tmp_path / "second", cache, lay_out=False)
    assert (report.laid_out, report.from_cache, _CountingMaker.laid_out) == (0, 6, 6)
    names = [f"{one.id}/{one.id}-{size}{kind}.pdf" for size in ("a4", "letter") for kind in ("", "-fillable")]
    assert sorted(p.relative_to(tmp_path / "first").as_posix() for p in (tmp_path / "first").rglob("*.pdf")) == sorted(
        [*names, SITE.workbook_file("a4"), SITE.workbook_file("letter")])
    for name in (*names, SITE.workbook_file("a4")):
        assert (tmp_path / "second" / name).read_bytes() == (tmp_path / "first" / name).read_bytes()


def test_within_one_make_build_the_workbook_joins_the_checks_layouts_and_is_the_same(tmp_path: Path) -> None:
    """`make build` checks, laying every worksheet out for its length and caching both its PDFs,
    then builds in the same process (scripts/build.py, inside `sharing_layouts`): the build's
    maker joins the check's layouts into the workbook instead of laying the sheets out again,
    and writes the very bytes a build without the check writes. Outside that block, and for a
    maker with other stylesheets, nothing is shared."""
    one = WORKSHEETS[0]
    course = Course(COURSE.chapters, COURSE.prompts, {one.id: one}, COURSE.root)
    alone = write_pdfs(PdfMaker(course, SITE), tmp_path / "alone", PdfCache(tmp_path / "alone-cache"))
    assert alone.laid_out == 6

    cache = PdfCache(tmp_path / "cache")
    with sharing_layouts() as layouts:
        check = PdfMaker(course, SITE)
        for size in ("a4", "letter"):  # as sitebuild/check.py `print_problems` does
            html = check.worksheet_html(one.id, size)
            key = check.worksheet_digest(one.id, size)
            blank, fillable = check.pdfs(html)
            cache.put(key, blank)
            cache.put(fillable_key(key), fillable)
        assert len(layouts) == 2  # the sheet in A4 and in Letter
        build = PdfMaker(course, SITE)
        report = write_pdfs(build, tmp_path / "built", cache)
        other = PdfMaker(course, SITE, stylesheets=(PRINT_CSS, PDF_CSS))
        other.worksheet_document(one.id, "a4")
    # Per size: the workbook's front twice (placeholders, then numbers), the sheet not at all.
    assert (report.laid_out, report.from_cache, build.shared, build.relaid, build.renders) == (2, 4, 2, 0, 4)
    assert (other.shared, other.relaid, other.renders) == (0, 1, 1)
    for size in ("a4", "letter"):
        name = SITE.workbook_file(size)
        assert (tmp_path / "built" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes()
    outside = PdfMaker(course, SITE)
    outside.worksheet_document(one.id, "a4")
    assert (outside.shared, outside.relaid, outside.renders) == (0, 1, 1)


def test_a_missing_fillable_pdf_is_laid_out_again_and_the_cached_blank_one_left_alone(tmp_path: Path) -> None:
    one = WORKSHEETS[0]
    course = Course(COURSE.chapters, COURSE.prompts, {one.id: one}, COURSE.root)
    cache = PdfCache(tmp_path / "cache")
    write_pdfs(PdfMaker(course, SITE), tmp_path / "first", cache)
    for entry in (tmp_path / "cache").glob("*-fillable.*"):
        entry.unlink()
    blank = tmp_path / "second" / one.id / f"{one.id}-a4.pdf"
    report = write_pdfs(PdfMaker(course, SITE), tmp_path / "second", cache)
    assert (report.laid_out, report.layouts, report.from_cache) == (2, 2, 4)
    assert blank.read_bytes() == (tmp_path / "first" / one.id / f"{one.id}-a4.pdf").read_bytes()
    fillable = tmp_path / "second" / one.id / f"{one.id}-a4-fillable.pdf"
    assert fillable.read_bytes() == (tmp_path / "first" / one.id / f"{one.id}-a4-fillable.pdf").read_bytes()


def test_the_cache_forgets_old_and_least_recently_used_pdfs(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path)
    for n in range(5):
        cache.put(f"k{n}", Pdf(b"%PDF-" + bytes([n]), n))
        os.utime(tmp_path / f"k{n}.json", (1_000_000 + n, time.time() - (5 - n) * 86400))
    assert cache.pages("k0") == 0  # used now: kept
    cache.prune(days=3.5, keep=3)  # k1: unused for 4 days; k2: not among the 3 most recent
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "k0.json", "k0.pdf", "k3.json", "k3.pdf", "k4.json", "k4.pdf"]
    cache.prune(days=30, keep=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k0.json", "k0.pdf"]


def test_a_cached_pdf_is_placed_as_a_link_to_the_cache_or_copied_where_links_are_refused(  # type: ignore[no-untyped-def]
        tmp_path: Path, monkeypatch) -> None:
    """A warm build writes no PDF's bytes again: the site's file is the cache's (one inode);
    with the cache on another file system it is copied. Neither leaves a partial file."""
    cache = PdfCache(tmp_path / "cache")
    cache.put("k", Pdf(b"%PDF-1.7 placed", 2))
    target = tmp_path / "site" / "worksheets" / "a" / "a-a4.pdf"
    assert cache.place("k", target) == 2
    assert target.stat().st_ino == (tmp_path / "cache" / "k.pdf").stat().st_ino
    assert cache.place("missing", tmp_path / "site" / "b.pdf") is None

    def refused(source: object, target: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refused)
    elsewhere = tmp_path / "other" / "a-a4.pdf"
    assert cache.place("k", elsewhere) == 2
    assert elsewhere.read_bytes() == b"%PDF-1.7 placed"
    assert elsewhere.stat().st_ino != (tmp_path / "cache" / "k.pdf").stat().st_ino
    assert sorted(p.name for p in target.parent.iterdir()) == ["a-a4.pdf"]
    assert sorted(p.name for p in elsewhere.parent.iterdir()) == ["a-a4.pdf"]


def test_serve_copies_the_built_pdfs_from_the_cache_without_laying_any_out(  # type: ignore[no-untyped-def]
        site: Path, base_url: str, tmp_path: Path, monkeypatch, caplog) -> None:
    from mkdocs.config import load_config

    from course.data import load_course
    from sitebuild.plugin import RebuildingTrustPlugin

    plugin = RebuildingTrustPlugin()
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path / "site"), site_url=base_url)
    monkeypatch.setattr(PdfMaker, "render", lambda self, html: pytest.fail("laid out a PDF while serving"))
    plugin.on_startup(command="serve", dirty=False)
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.rebuilding-trust"):
        plugin.write_pdfs(config, load_course(ROOT / "data"), ROOT)
    made = 2 * (2 * len(WORKSHEETS) + 1)  # per size: each worksheet blank and fillable, the workbook
    assert f"0 laid out, {made} from the cache" in caplog.text
    # (The therapist's pack needs the guide's pages, which this call has not rendered: no pack.)
    built = sorted(p.relative_to(site) for p in (site / "worksheets").rglob("*.pdf") if "therapists-pack" not in p.name)
    served = sorted(p.relative_to(tmp_path / "site") for p in (tmp_path / "site" / "worksheets").rglob("*.pdf"))
    assert served == built and len(built) == made


def test_the_font_check_reads_one_course_once_and_never_forgets_a_problem(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`make build` checks, then builds the same Course in one process: the characters are read
    once. A course with a problem is read (and reported) every time."""
    import printing.pdf

    reads: list[int] = []
    real = printing.pdf.pdf_characters
    monkeypatch.setattr(printing.pdf, "pdf_characters", lambda: reads.append(1) or real())
    one = WORKSHEETS[0]
    clean = Course(COURSE.chapters, COURSE.prompts, {one.id: one}, COURSE.root)
    bad = Course(COURSE.chapters, COURSE.prompts, {one.id: one.model_copy(update={"title": "Weekly 信"})}, COURSE.root)
    assert glyph_problems(clean) == [] and glyph_problems(clean) == []
    assert len(reads) == 1
    for _ in range(2):
        [problem] = glyph_problems(bad)
        assert "U+4FE1" in str(problem)
    assert len(reads) == 3
    assert glyph_problems(clean) == [] and len(reads) == 3  # still the last one found printable


def test_the_fonts_characters_are_kept_between_builds_and_read_again_when_a_font_changes(  # type: ignore[no-untyped-def]
        tmp_path: Path, monkeypatch) -> None:
    import json

    import fontTools.ttLib

    import printing.pdf

    kept = tmp_path / "fonts.json"
    monkeypatch.setenv("RT_FONT_CACHE", str(kept))
    opened: list[str] = []
    real = fontTools.ttLib.TTFont
    monkeypatch.setattr(fontTools.ttLib, "TTFont", lambda path, **kw: opened.append(str(path)) or real(path, **kw))

    def fresh() -> frozenset[int] | None:
        printing.pdf.pdf_characters.cache_clear()  # a new build: a new process
        return printing.pdf.pdf_characters()

    faces = len(printing.pdf.FONT_FILES)  # each face's file, opened once to read its characters
    assert faces >= 2
    first = fresh()
    assert first and ord("é") in first and 0x4FE1 not in first
    assert len(opened) == faces and kept.is_file()
    assert fresh() == first and len(opened) == faces  # from the cache: no font opened

    saved = json.loads(kept.read_text(encoding="utf-8"))
    kept.write_text(json.dumps({**saved, "stamp": saved["stamp"] + "-other"}), encoding="utf-8")  # other fonts or code
    assert fresh() == first and len(opened) == 2 * faces
    kept.write_text("{damaged", encoding="utf-8")
    assert fresh() == first and len(opened) == 3 * faces
    printing.pdf.pdf_characters.cache_clear()


def test_the_packs_key_holds_the_code_that_joins_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """printing/pack.py decides how the pack is joined and numbered: a change to it is a new key
    (issue 27: no cache keyed by a list of inputs someone must keep)."""
    from printing import pack
    from publish import stamp

    maker = PdfMaker(COURSE, SITE)
    guide = [pack.guide_page("therapists/", "A guide", "<h1>A guide</h1>", SITE.url)]
    before = pack.pack_digest(maker, "a4", guide, "inputs")
    real = stamp.of_files
    monkeypatch.setattr(stamp, "of_files", lambda *paths: real(*paths) + ("-changed" if Path(pack.__file__) in paths else ""))
    assert pack.pack_digest(maker, "a4", guide, "inputs") != before


def test_a_helpline_the_pdfs_cannot_draw_is_named_by_file_line_and_field() -> None:
    """Every PDF's safety note and the therapist's pack print the helplines: a character the
    PDFs' fonts cannot draw in one is refused as in a worksheet, with its line in the file."""
    lines = list(COURSE.helplines)
    assert lines, "the course lists helplines"
    first = lines[0]
    lines[0] = first.model_copy(update={"service": first.service + " 信"})
    bad = Course(COURSE.chapters, COURSE.prompts, COURSE.worksheets, COURSE.root, lines)
    [problem] = glyph_problems(bad)
    text = (ROOT / "data" / "helplines.yml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, row in enumerate(text, 1) if row.strip().startswith("service:") and first.service in row)
    assert str(problem).startswith(f"data/helplines.yml:{line}: helpline '{first.id}', service: has characters"), problem
    assert "U+4FE1" in str(problem)
