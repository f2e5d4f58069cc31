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

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from printing import forms
from printing.pdf import PAGE_SIZES, PLACEHOLDER, Pdf, PdfCache, PdfMaker, PdfReport, html_digest

PACK = "therapists-pack"  # in its cache key
GUIDE = "therapists/"  # the guide's pages: docs/therapists/


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


def lay_out(maker: PdfMaker, size: str, guide: list[GuidePage]) -> Pdf:
    """The pack in `size`: its front, its body, the worksheets' own layouts (`PdfMaker.joined`)."""
    parts = len(guide) + 1  # the lines, then each page of the guide

    def front(starts: list[int]) -> str:
        return _front(maker, size, _entries(maker, guide, starts[:parts], starts[parts:]))

    whole = maker.joined(size, front, lambda first: _body(maker, size, guide, first), parts)
    data = forms.fillable(whole).write_pdf(pdf_forms=True, pdf_tags=True,
                                           finisher=forms.finisher(maker.course, qualified=True))
    return Pdf(data, len(whole.pages))


def pack_digest(maker: PdfMaker, size: str, guide: list[GuidePage], inputs: str) -> str:
    """The pack's cache key: every HTML it is laid out from (the front with its placeholders, the
    body, each worksheet's: `PdfMaker.joined_html`), the inputs of every PDF (printing/pdf.py
    `inputs_digest`, which holds the joining code's bytes) and this module's own bytes."""
    from publish import stamp

    placeholders = [PLACEHOLDER] * (len(guide) + 1)
    front = _front(maker, size, _entries(maker, guide, placeholders, [PLACEHOLDER] * len(maker.ordered())))
    html = maker.joined_html(size, PACK, front, _body(maker, size, guide, PLACEHOLDER))
    return html_digest(stamp.stamp(inputs, stamp.of_files(Path(__file__))), size, html)


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


# --- what `make check` knows of the pack ---------------------------------------------------------
# The pack holds the guide as MkDocs renders it (macros, Markdown, links), which only a build does.
# So each full build records the guide it packed, with a digest of the sources it came from, beside
# the PDFs in the cache; `make check` (sitebuild/check.py) keys the pack with that guide and the
# worksheets as they are now, and reads its page count from the cache, like a worksheet's.


def _guide_record(cache: PdfCache, site_url: str) -> Path:
    """Per address: builds for several addresses share the cache."""
    return cache.folder / f"guide-{hashlib.sha256(site_url.encode()).hexdigest()[:16]}.json"


def guide_sources(docs: Path) -> str:
    """A digest of the guide's Markdown files (docs/therapists/), names and bytes."""
    digest = hashlib.sha256()
    for path in sorted((docs / GUIDE).rglob("*.md")):
        digest.update(path.relative_to(docs).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def record_guide(cache: PdfCache, site_url: str, guide: list[GuidePage], docs: Path) -> None:
    """The guide as this build packed it, for `pack_pages`; written whole, then renamed."""
    cache.folder.mkdir(parents=True, exist_ok=True)
    record = {"sources": guide_sources(docs),
              "pages": [{"path": p.path, "title": p.title, "body": str(p.body)} for p in guide]}
    target = _guide_record(cache, site_url)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    partial.write_text(json.dumps(record), encoding="utf-8")
    os.replace(partial, target)


def pack_pages(maker: PdfMaker, cache: PdfCache, docs: Path) -> dict[str, int] | str:
    """The pack's page count by size, from the cache, for the worksheets as they are now and the
    guide as last built; or, when that pack is not cached, what the build will do and why."""
    try:
        record = json.loads(_guide_record(cache, maker.site.url).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "not built yet for this address; `make build` lays it out"
    if record["sources"] != guide_sources(docs):
        return f"{docs.name}/{GUIDE} changed since the last build; `make build` lays it out again"
    guide = [GuidePage(p["path"], p["title"], Markup(p["body"])) for p in record["pages"]]
    inputs = maker.inputs_digest()
    counts = {size: cache.pages(pack_digest(maker, size, guide, inputs)) for size in PAGE_SIZES}
    if None in counts.values():
        return "its worksheets or its look changed since the last build; `make build` lays it out again"
    return {size: pages for size, pages in counts.items() if pages is not None}
