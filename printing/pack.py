"""The therapist's pack (issue 26): one PDF per paper size for a therapist, from the same data and
layouts as everything else. In order: a cover and a contents page with page numbers, the crisis
and abuse lines of every country the course lists, the facilitator's guide (docs/therapists/,
as the build rendered it), then every worksheet, fillable. Named from the brand's slug like
the workbooks: `<slug>-therapists-pack-a4.pdf`, in worksheets/ (`Site.pack_file`).

It is joined from three layouts rather than laid out whole, as WeasyPrint's documentation
shows for combining documents (`Document.copy` with the pages of several): the worksheets are
the very layouts their own fillable PDFs were written from (`PdfMaker.worksheet_document`,
kept from the build's PDF step), so a cold build lays out only the guide and the front once
more, not the forty worksheet pages. So that the numbers can be right, the parts are laid out
in this order: the front with a placeholder for every number (its length), the body (the lines
and the guide) numbered from the page after it, then the front again with the real numbers.
Each worksheet keeps its own running header and "Page 1 of 2"; the contents say so.

In one PDF every field name must be unique: a field is named `<worksheet>:<name>`, its name in
the worksheet's own fillable PDF after its worksheet's id (printing/forms.py). The outline
(bookmarks) comes from the headings of all three parts: each worksheet, the lines, each page of
the guide, as the contents list them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from printing import forms
from printing.pdf import PAGE_SIZES, Pdf, PdfCache, PdfMaker, PdfReport, html_digest

PACK = "therapists-pack"  # in its cache key
GUIDE = "therapists/"  # the guide's pages: docs/therapists/
PLACEHOLDER = 888  # a page number as wide as the real ones, for measuring the front


@dataclass(frozen=True)
class GuidePage:
    """One page of the facilitator's guide, as the build rendered it."""

    path: str  # its address under the site, "therapists/betrayal/"
    title: str
    body: Markup  # its content HTML: links absolute, ids unique in the pack


_HREF = re.compile(r'\bhref="([^"]*)"')
_ID = re.compile(r'\bid="([^"]*)"')


def guide_page(path: str, title: str, html: str, site_url: str) -> GuidePage:
    """A guide page's content HTML (MkDocs' `on_page_content`, relative links) for the pack:
    every link absolute, to the site (`site_url`), and every id prefixed with the page's own
    name, as are the links to it, since each page has the same headings ("Aims"…)."""
    from urllib.parse import urljoin

    prefix = path.strip("/").replace("/", "-") + "--"
    base = urljoin(site_url, path)

    def link(found: re.Match[str]) -> str:
        href = found.group(1)
        if href.startswith("#"):
            return f'href="#{prefix}{href[1:]}"'
        return f'href="{urljoin(base, href)}"'

    body = _ID.sub(lambda found: f'id="{prefix}{found.group(1)}"', _HREF.sub(link, html))
    return GuidePage(path, title, Markup(body))


def ordered_guide(pages: dict[str, GuidePage], chapters: list[str]) -> list[GuidePage]:
    """The guide's index first, then its session plans in chapter order, then any other page."""
    order = [GUIDE, *(f"{GUIDE}{chapter}/" for chapter in chapters)]
    return [pages[p] for p in order if p in pages] + [pages[p] for p in sorted(pages) if p not in order]


def _front(maker: PdfMaker, size: str, entries: list[tuple[str, str, int]]) -> str:
    return maker.page_html("pack.html", size, entries=entries, sheets=len(maker.ordered()))


def _body(maker: PdfMaker, size: str, guide: list[GuidePage], first_page: int) -> str:
    return maker.page_html("pack_body.html", size, guide=guide, first_page=first_page,
                       helplines=maker.renderer.helplines())


def _entries(maker: PdfMaker, guide: list[GuidePage], body_starts: list[int], sheet_starts: list[int]
             ) -> list[tuple[str, str, int]]:
    """The contents: the lines, the guide's pages, then the worksheets under their chapters."""
    titles = ["Crisis and abuse lines in every country the course lists", *(page.title for page in guide)]
    entries = [("part", title, page) for title, page in zip(titles, body_starts, strict=True)]
    starts = iter(sheet_starts)
    for number, chapter in enumerate(maker.course.chapters, 1):
        sheets = maker.course.worksheets_of(chapter.id)
        if sheets:
            entries.append(("chapter", f"Worksheets for chapter {number}: {chapter.title}", 0))
            entries += [("sheet", sheet.title, next(starts)) for sheet in sheets]
    return entries


def _starts(document: Any, first: int) -> list[int]:
    """The page (counted from `first`) where each top-level heading of `document` is."""
    return [first + number for number, page in enumerate(document.pages)
            for level, *_ in page.bookmarks if level == 1]


def lay_out(maker: PdfMaker, size: str, guide: list[GuidePage]) -> Pdf:
    """The pack in `size`, from the worksheets' own layouts and two of its own (see above)."""
    sheets = [maker.worksheet_document(sheet.id, size) for sheet in maker.ordered()]
    placeholders = [PLACEHOLDER] * (len(guide) + 1)
    front = maker.render(_front(maker, size, _entries(maker, guide, placeholders, [PLACEHOLDER] * len(sheets))))
    for _attempt in range(3):  # the front's length settles at once: its numbers are as wide
        body = maker.render(_body(maker, size, guide, len(front.pages) + 1))
        body_starts = _starts(body, len(front.pages) + 1)
        sheet_starts, page = [], len(front.pages) + len(body.pages) + 1
        for sheet in sheets:
            sheet_starts.append(page)
            page += len(sheet.pages)
        measured = len(front.pages)
        front = maker.render(_front(maker, size, _entries(maker, guide, body_starts, sheet_starts)))
        if len(front.pages) == measured:
            break
    else:
        raise RuntimeError("the therapist's pack: its front's length does not settle")
    pages = [*front.pages, *body.pages, *(p for sheet in sheets for p in sheet.pages)]
    whole = front.copy(pages)
    data = forms.fillable(whole).write_pdf(pdf_forms=True, pdf_tags=True,
                                           finisher=forms.finisher(maker.course, qualified=True))
    return Pdf(data, len(pages))


def pack_digest(maker: PdfMaker, size: str, guide: list[GuidePage], inputs: str) -> str:
    """The pack's cache key: every HTML it is laid out from (the front with its placeholders, the
    body, each worksheet's), the inputs of every PDF (printing/pdf.py `inputs_digest`) and this
    module's own bytes, which decide how the parts are joined and numbered."""
    from publish import stamp

    placeholders = [PLACEHOLDER] * (len(guide) + 1)
    parts = [_front(maker, size, _entries(maker, guide, placeholders, [PLACEHOLDER] * len(maker.ordered()))),
             _body(maker, size, guide, PLACEHOLDER),
             *(maker.worksheet_html(sheet.id, size) for sheet in maker.ordered())]
    return html_digest(stamp.stamp(inputs, stamp.of_files(Path(__file__))), size, "\0".join([PACK, *parts]))


def write_pack(maker: PdfMaker, guide: list[GuidePage], worksheets_dir: Path, cache: PdfCache,
               report: PdfReport, lay_out_allowed: bool = True) -> dict[str, int]:
    """The pack in each size into `worksheets_dir` (`pack_file`), from the cache when its inputs'
    bytes are unchanged; its page count by size (what the build logs). Nothing without a guide."""
    counts: dict[str, int] = {}
    if not guide:
        return counts
    inputs = maker.inputs_digest()
    for size in PAGE_SIZES:
        key, target = pack_digest(maker, size, guide, inputs), worksheets_dir / maker.site.pack_file(size)
        pages = cache.place(key, target)
        if pages is not None:
            report.from_cache += 1
            counts[size] = pages
            continue
        if not lay_out_allowed:
            report.missing += 1
            continue
        pdf = lay_out(maker, size, guide)
        cache.put(key, pdf)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pdf.data)
        report.laid_out += 1
        report.layouts += 3  # the front twice and the body; the worksheets' were the build's own
        counts[size] = pdf.pages
    return counts
