"""Worksheet PDFs: course records in, PDF bytes out, through WeasyPrint.

Nothing here knows about MkDocs. The worksheet body is the web page's own HTML
(`Renderer.worksheet()`), wrapped by the templates in `templates/print/` and laid out with the
site's print stylesheet (`overrides/assets/css/print.css`) plus a small PDF-only one
(`templates/print/pdf.css`: fonts, page size, running header from the document). So the web
form, the reader's browser print and these PDFs come from one source and one look.

Each worksheet has two PDFs in each size from one layout: the blank sheet, to print, and the
fillable one, whose answer places are form fields a reader fills in with their own PDF app
(printing/forms.py). The workbook is blank only, and joined, not laid out again: a cover and a
contents page, then every worksheet's own layout (`PdfMaker.joined`, which the therapist's pack
uses too), so a cold build lays the forty worksheet pages out once, not twice per size.

WeasyPrint, not a headless browser: it is a Python library with no browser to install or start
at build time, lays out paged media itself (`@page` margin boxes, named strings, page counters,
and joins laid-out documents, `Document.copy`, for the workbook and the pack) and embeds subset
fonts with selectable text.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

from markupsafe import Markup

from course.brand import slugify
from course.data import Course, Problem, _line, _path
from course.model import Worksheet
from macros.address import public_address
from macros.render import PDF_SIZES, TEMPLATES, Renderer
from printing import forms

PROJECT = Path(__file__).resolve().parent.parent
# The design tokens first: print.css and pdf.css take every colour from them (`var(--rt-…)`).
TOKENS_CSS = PROJECT / "overrides" / "assets" / "css" / "tokens.css"
PRINT_CSS = PROJECT / "overrides" / "assets" / "css" / "print.css"
PDF_CSS = TEMPLATES / "print" / "pdf.css"
# File-name suffix -> the CSS page size (the worksheet page links `<id>-a4.pdf`, `<id>-letter.pdf`).
PAGE_SIZES: dict[str, str] = {"a4": "A4", "letter": "letter"}
MAX_PAGES = 2
PLACEHOLDER = 888  # a page number as wide as the real ones, for measuring a front (`PdfMaker.joined`)


@dataclass(frozen=True)
class Site:
    """What the printed page says about where it came from."""

    name: str
    url: str  # the site's address, ending in "/" (MkDocs' site_url)
    tagline: str = ""
    language: str = "en"
    slug: str = ""  # the start of file names (extra.brand.slug); made from the name when empty

    @property
    def file_slug(self) -> str:
        """The start of the file names made for this site (the workbook, the journal's exports)."""
        return self.slug or slugify(self.name) or "course"

    def workbook_file(self, size: str) -> str:
        """The workbook's file name in `size`, in worksheets/: `<file_slug>-workbook-a4.pdf`."""
        return f"{self.file_slug}-workbook-{size}.pdf"

    def pack_file(self, size: str) -> str:
        """The therapist's pack in `size` (printing/pack.py), in worksheets/:
        `<file_slug>-therapists-pack-a4.pdf`."""
        return f"{self.file_slug}-therapists-pack-{size}.pdf"

    @property
    def address(self) -> str:
        """The address without the scheme, as a reader would type it: `example.org/`. Empty
        when the site has no public address (a build for this machine, `127.0.0.1:8000`): a
        printed sheet never sends a reader to an address that only worked on the build machine."""
        return public_address(self.url)


def site_from_config(config: Mapping[str, Any]) -> Site:
    """The Site of an MkDocs configuration: the build's (sitebuild/plugin.py has filled in
    `extra.brand`), or `make check`'s (mkdocs.yml as written: the name is `site_name`)."""
    brand = (config.get("extra") or {}).get("brand") or {}
    theme = config.get("theme")
    name = " ".join(str(brand.get("name") or config.get("site_name") or "").split())
    return Site(
        name=name,
        url=config.get("site_url") or "",
        tagline=" ".join(str(brand.get("tagline") or "").split()),
        language=(theme.get("language") if theme else None) or "en",
        slug=str(brand.get("slug") or slugify(name)),
    )


@dataclass(frozen=True)
class Pdf:
    data: bytes
    pages: int


def length_problem(worksheet_id: str, size: str, pages: int) -> str | None:
    """The build's warning for a worksheet that no longer fits on two sheets of paper."""
    if pages <= MAX_PAGES:
        return None
    return (
        f"data/worksheets/{worksheet_id}.yml: prints on {pages} pages in {dict(PDF_SIZES)[size]}; expected at most "
        f"{MAX_PAGES}: give its text fields fewer `lines`, or shorten its instructions"
    )


def css_string(text: str) -> str:
    """`text` as a quoted CSS string that is also safe inside an HTML <style> element."""
    out = []
    for char in text:
        if char in '"\\<>&' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def running_header_style(title: str, site: Site, path: str = "") -> Markup:
    """A <style> for one web page's <head> giving print.css's running header its words: the
    page's title, the site's name and the page's address. A browser's margin boxes cannot read the
    document (Chromium has no `string-set`), but they inherit custom properties from the root
    element. The PDFs take the same words from the document itself (`string-set`, pdf.css)."""
    # The page's public address (Site.address), or none for a build that only serves this
    # machine: paper travels, and `127.0.0.1:8000/…` on a sheet sends its reader nowhere.
    address = site.address + path.lstrip("/") if site.address else ""
    rules = (
        f"--rt-print-title:{css_string(title)};"
        f"--rt-print-site:{css_string(site.name)};"
        f"--rt-print-address:{css_string(address)}"
    )
    return Markup(f"<style data-rt-print-header>:root{{{rules}}}</style>")


# Layouts shared by the makers of one `make build` (scripts/build.py): the check lays every
# worksheet out for its printed length, then the build joins those same layouts into the
# workbooks and the packs instead of laying every sheet out again. Keyed by all a layout is
# made from (the inputs' digest and the page's HTML, as the PDF cache is), so a maker is only ever
# given the layout it would have made; held only inside `sharing_layouts()`, so a long-lived
# process (`mkdocs serve`) keeps nothing from one build to the next.
_SHARED_LAYOUTS: ContextVar[dict[str, Any] | None] = ContextVar("shared_layouts", default=None)


@contextmanager
def sharing_layouts() -> Iterator[dict[str, Any]]:
    """Within this block every PdfMaker keeps the worksheet layouts it makes where the next one
    finds them (`PdfMaker.worksheet_document`)."""
    layouts: dict[str, Any] = {}
    token = _SHARED_LAYOUTS.set(layouts)
    try:
        yield layouts
    finally:
        _SHARED_LAYOUTS.reset(token)


class PdfMaker:
    """Lays out worksheets and the workbook as PDF, in A4 or US Letter."""

    def __init__(
        self,
        course: Course,
        site: Site,
        stylesheets: Sequence[Path] = (TOKENS_CSS, PRINT_CSS, PDF_CSS),
        templates: Path = TEMPLATES,
    ) -> None:
        self.course = course
        self.site = site
        self.stylesheets = tuple(stylesheets)
        self.templates = templates
        self.renderer = Renderer(course, templates, site_url=site.url)
        self._css: list[object] | None = None
        # The worksheets' layouts this maker made, by their HTML: the therapist's pack joins them
        # (printing/pack.py) rather than laying the forty pages out again.
        self._documents: dict[str, Any] = {}
        self._html: dict[tuple[str, str], str] = {}
        self._inputs: str | None = None
        self.renders = 0  # documents this maker laid out
        # Worksheet layouts it needed to join (`worksheet_document`) and took from another maker
        # (`sharing_layouts`), and those it laid out again because their PDFs came from the cache.
        self.shared = 0
        self.relaid = 0

    # --- HTML ---------------------------------------------------------------------------------

    def ordered(self) -> list[Worksheet]:
        """Every worksheet, in course order (chapter by chapter)."""
        return self.course.ordered_worksheets()

    def _sheet(self, worksheet: Worksheet) -> Markup:
        return self.renderer.worksheet(worksheet.id, root=self.site.url)

    def page_html(self, template: str, size: str, **context: object) -> str:
        """The print template `print/<template>` rendered for `size`."""
        if size not in PAGE_SIZES:
            raise ValueError(f"unknown page size {size!r}; expected one of: {', '.join(PAGE_SIZES)}")
        return self.renderer.env.get_template(f"print/{template}").render(
            site=self.site, page_size=PAGE_SIZES[size], **context
        )

    def worksheet_html(self, worksheet_id: str, size: str = "a4") -> str:
        """A worksheet's print page, rendered once by this maker: a build asks for it for the
        sheet's own key and again for the workbook's and the packs' (`joined_html`), as does the
        check, and the course does not change while a maker lives."""
        key = (worksheet_id, size)
        if key not in self._html:
            worksheet = self.course.worksheets[worksheet_id]
            self._html[key] = self.page_html(
                "worksheet.html", size,
                worksheet=worksheet, body=self._sheet(worksheet), path=f"worksheets/{worksheet.id}/",
            )
        return self._html[key]

    def workbook_html(self, size: str = "a4", starts: Sequence[int] | None = None) -> str:
        """The workbook's front: its cover and its contents, where each worksheet starts at the
        page of `starts` (in course order; placeholders when not given)."""
        pages = iter(starts if starts is not None else [PLACEHOLDER] * len(self.ordered()))
        groups = [(n, c, [(w, next(pages)) for w in self.course.worksheets_of(c.id)])
                  for n, c in enumerate(self.course.chapters, 1)]
        return self.page_html("workbook.html", size, groups=[g for g in groups if g[2]], sheets=len(self.ordered()))

    # --- PDF ----------------------------------------------------------------------------------

    def _stylesheets(self) -> list[object]:
        if self._css is None:
            self._css = _parsed_stylesheets(self.stylesheets)
        return self._css

    def render(self, html: str) -> Any:
        """`html` (a page of print/: worksheet_html, workbook_html) laid out: a WeasyPrint document, written by
        `blank` and `fillable`. The layout is most of a PDF's time; writing it is the rest."""
        from weasyprint import HTML

        self.renders += 1
        return HTML(string=html, base_url=str(PROJECT), url_fetcher=_local_only()).render(
            stylesheets=self._stylesheets(), font_config=_font_config()
        )

    def _keep(self, html: str, document: Any) -> Any:
        """Keeps a worksheet's layout for this maker, and for the next within `sharing_layouts`."""
        self._documents[html] = document
        shared = _SHARED_LAYOUTS.get()
        if shared is not None:
            shared[html_digest(self.inputs_digest(), "", html)] = document
        return document

    def blank(self, document: Any) -> Pdf:
        """The sheet for printing: the layout without its form fields (printing/forms.py)."""
        return Pdf(forms.blank(document).write_pdf(pdf_forms=False, pdf_tags=True), len(document.pages))

    def fillable(self, document: Any) -> Pdf:
        """The sheet to fill in with a PDF app: the same layout, its answer places AcroForm fields
        named from the data's ids (printing/forms.py). Written after `blank`."""
        data = forms.fillable(document).write_pdf(pdf_forms=True, pdf_tags=True, finisher=forms.finisher(self.course))
        return Pdf(data, len(document.pages))

    def pdf(self, html: str) -> Pdf:
        """`html` (worksheet_html, workbook_html) laid out as a blank PDF."""
        return self.blank(self.render(html))

    def pdfs(self, html: str) -> tuple[Pdf, Pdf]:
        """`html` laid out once and written twice: the blank PDF and the fillable one."""
        document = self._keep(html, self.render(html))
        return self.blank(document), self.fillable(document)

    def worksheet_document(self, worksheet_id: str, size: str = "a4") -> Any:
        """A worksheet's layout in `size`: the one its PDFs were written from in this build, or
        the one the check laid out before it (`sharing_layouts`), or a new one when they came from
        the cache."""
        html = self.worksheet_html(worksheet_id, size)
        if html not in self._documents:
            shared = _SHARED_LAYOUTS.get()
            document = shared.get(html_digest(self.inputs_digest(), "", html)) if shared is not None else None
            if document is None:
                self._keep(html, self.render(html))
                self.relaid += 1
            else:
                self._documents[html] = document
                self.shared += 1
        return self._documents[html]

    def worksheet(self, worksheet_id: str, size: str = "a4") -> Pdf:
        return self.pdf(self.worksheet_html(worksheet_id, size))

    def worksheet_pdfs(self, worksheet_id: str, size: str = "a4") -> tuple[Pdf, Pdf]:
        """One worksheet's blank and fillable PDFs."""
        return self.pdfs(self.worksheet_html(worksheet_id, size))

    def joined(self, size: str, front: Callable[[list[int]], str],
               body: Callable[[int], str] | None = None, body_entries: int = 0) -> Any:
        """One document: a front (`front(starts)`, its HTML given the page where each of its
        entries starts), then a body laid out on its own (`body(first_page)`, optional: its
        `body_entries` top-level headings are the first entries), then every worksheet's own
        layout in course order (`worksheet_document`), joined as WeasyPrint's documentation
        joins documents (`Document.copy`). The front is laid out with placeholders for its
        numbers first, to know its length, then with the real ones; each worksheet keeps its own
        running header and "Page 1 of 2"."""
        sheets = [self.worksheet_document(sheet.id, size) for sheet in self.ordered()]
        first = self.render(front([PLACEHOLDER] * (body_entries + len(sheets))))
        for _attempt in range(3):  # the front's length settles at once: its numbers are as wide
            middle = self.render(body(len(first.pages) + 1)) if body else None
            starts = _starts(middle, len(first.pages) + 1) if middle else []
            page = len(first.pages) + (len(middle.pages) if middle else 0) + 1
            for sheet in sheets:
                starts.append(page)
                page += len(sheet.pages)
            measured = len(first.pages)
            first = self.render(front(starts))
            if len(first.pages) == measured:
                break
        else:
            raise RuntimeError("a joined PDF's front does not settle in length")
        return first.copy([*first.pages, *(middle.pages if middle else ()),
                           *(page for sheet in sheets for page in sheet.pages)])

    def workbook(self, size: str = "a4") -> Pdf:
        """The workbook, blank: its front, then every worksheet's layout (`joined`)."""
        return self.blank(self.joined(size, lambda starts: self.workbook_html(size, starts)))

    # --- cache keys ---------------------------------------------------------------------------

    def inputs_digest(self) -> str:
        """A digest of what every PDF is made from besides its HTML: the stylesheets' bytes, the
        fonts' bytes, this module's and printing/forms.py's code and the versions of WeasyPrint
        and what it draws with. The HTML itself is hashed whole (worksheet_digest): whatever it is
        made from (data, helplines, templates, the code that renders them, the site's name and
        address) reaches the PDF only through it, so no list of inputs can miss one. The fillable
        PDFs' field names and tooltips come from the data through the HTML too: the controls'
        storage keys, the labels, the "Who is who" line."""
        from publish import stamp

        if self._inputs is None:  # once per maker: the files do not change while it lives
            self._inputs = stamp.stamp(
                stamp.of_files(*self.stylesheets),
                # what lays the HTML out and writes the PDFs: these modules, the fonts, the libraries
                stamp.of_files(Path(__file__), Path(forms.__file__), *(font_files() or ())),
                stamp.of_versions(*PDF_LIBRARIES),
            )
        return self._inputs

    def worksheet_digest(self, worksheet_id: str, size: str, inputs: str | None = None) -> str:
        """The cache key of one worksheet's PDF: a digest of its HTML and of the inputs."""
        return html_digest(inputs or self.inputs_digest(), size, self.worksheet_html(worksheet_id, size))

    def workbook_digest(self, size: str, inputs: str | None = None) -> str:
        """The workbook's cache key: its front's HTML (with placeholders) and every worksheet's,
        which it is joined from (`joined`, in this module: its bytes are in the inputs)."""
        return html_digest(inputs or self.inputs_digest(), size, self.joined_html(size, self.workbook_html(size)))

    def joined_html(self, size: str, *parts: str) -> str:
        """What a joined PDF (`joined`) is made from, for its key: `parts`, then every worksheet."""
        return "\0".join([*parts, *(self.worksheet_html(sheet.id, size) for sheet in self.ordered())])


def _starts(document: Any, first: int) -> list[int]:
    """The page (counted from `first`) where each top-level heading of `document` is."""
    return [first + number for number, page in enumerate(document.pages)
            for level, *_ in page.bookmarks if level == 1]


def html_digest(inputs: str, size: str, html: str) -> str:
    """The cache key of a PDF laid out from `html` in `size` with the stylesheets of `inputs`."""
    return _digest(inputs, size, html)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@cache
def _font_config() -> Any:
    """The process's one WeasyPrint font configuration, where the stylesheets' @font-face rules
    (the shipped Roboto, printing/fonts/) are registered. WeasyPrint copies each face into a
    temporary folder and removes it when the configuration is collected, which at the
    interpreter's exit comes too late (its `rmtree` is gone: "Exception ignored" on stderr):
    so the folder goes at exit, before that."""
    import atexit
    import shutil

    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()

    def remove_folder() -> None:
        if config._folder:  # WeasyPrint's own attribute: the faces' temporary copies
            shutil.rmtree(config._folder, ignore_errors=True)
            config._folder = None

    atexit.register(remove_folder)
    return config


_PARSED: dict[tuple[tuple[str, bytes], ...], list[object]] = {}


def _parsed_stylesheets(paths: Sequence[Path]) -> list[object]:
    """`paths` parsed once per process for their bytes (a live-reload server's next build reads a
    changed stylesheet again), their faces registered in `_font_config`."""
    from weasyprint import CSS

    key = tuple((str(path), path.read_bytes()) for path in paths)
    if key not in _PARSED:
        _PARSED.clear()  # only the newest: each parse registers the faces once more
        _PARSED[key] = [CSS(string=data.decode("utf-8"), base_url=name, url_fetcher=_local_only(),
                            font_config=_font_config()) for name, data in key]
    return _PARSED[key]


def _local_only():
    """A URL fetcher that reads local files only: a build never touches the network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"file", "data"})


# --- the build step: every PDF of the site, through a content-hash cache ------------------------


class PdfCache:
    """PDF bytes and page counts in a folder (`.cache/pdf/`), keyed by content hash."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def pages(self, key: str) -> int | None:
        """The cached PDF's page count (its bytes are not read), or None when it is not cached."""
        pdf, meta = self.folder / f"{key}.pdf", self.folder / f"{key}.json"
        if not (pdf.is_file() and meta.is_file()):
            return None
        meta.touch()  # recently used: kept by prune()
        return json.loads(meta.read_text(encoding="utf-8"))["pages"]

    def place(self, key: str, target: Path) -> int | None:
        """The cached PDF at `target` (publish/cachefiles.py: a hard link where the file system
        allows, else a copy), and its page count; None when it is not cached."""
        from publish import cachefiles

        pages = self.pages(key)
        if pages is None:
            return None
        try:
            cachefiles.place(self.folder / f"{key}.pdf", target)
        except FileNotFoundError:
            return None  # pruned by another build meanwhile: laid out again
        return pages

    def put(self, key: str, pdf: Pdf) -> None:
        """Store atomically (file, then rename): builds may share the cache at the same time.
        The page count is written last, so `get` never sees a half-written PDF."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, data in ((f"{key}.pdf", pdf.data), (f"{key}.json", json.dumps({"pages": pdf.pages}).encode())):
            partial = self.folder / f".{name}.{os.getpid()}"
            partial.write_bytes(data)
            os.replace(partial, self.folder / name)

    def prune(self, days: float = 14, keep: int = 820) -> None:
        """Forget PDFs no build has used for `days`, and all but the `keep` most recently used
        (ten builds' worth: 82 a build, each worksheet blank and fillable in two sizes and the
        workbooks). Not "unused by this build": builds for other addresses (tests on a random
        port, previews) share the cache."""
        from publish import cachefiles

        for meta in cachefiles.prune(self.folder, keep, days, ".json"):
            meta.with_suffix(".pdf").unlink(missing_ok=True)


@dataclass
class PdfReport:
    laid_out: int = 0  # PDFs written from a layout made by this run (a blank and a fillable sheet share one)
    from_cache: int = 0  # PDFs placed from the cache
    missing: int = 0  # not in the cache, and laying out was not allowed
    layouts: int = 0  # HTML documents laid out
    problems: list[str] = field(default_factory=list)


def _alone(make: Callable[[str], Pdf], html: str) -> tuple[Pdf]:
    return (make(html),)


FILLABLE = "fillable"  # the fillable PDF's file name ends `-<size>-fillable.pdf`, its cache key `-fillable`


def worksheet_file(worksheet_id: str, size: str, fillable: bool = False) -> str:
    """A worksheet's PDF, in worksheets/: `<id>/<id>-a4.pdf`, or `<id>/<id>-a4-fillable.pdf`."""
    return f"{worksheet_id}/{worksheet_id}-{size}{'-' + FILLABLE if fillable else ''}.pdf"


def fillable_key(key: str) -> str:
    """The cache key of the fillable PDF laid out with the blank one of `key`."""
    return f"{key}-{FILLABLE}"


def write_pdfs(maker: PdfMaker, worksheets_dir: Path, cache: PdfCache, lay_out: bool = True) -> PdfReport:
    """Write every worksheet's blank and fillable PDFs (`worksheet_file`) and the workbook
    (`Site.workbook_file`, blank only) into `worksheets_dir`, from the cache where it can. A
    worksheet missing either of its PDFs is laid out once and written twice (`PdfMaker.pdfs`).
    The workbooks come last, and not at all when a worksheet is too long (`report.problems`:
    the build stops on them, and a workbook takes longer to lay out than all its sheets).
    With `lay_out=False` only cached PDFs are written (a live-reload server must stay fast)."""
    report = PdfReport()
    inputs = maker.inputs_digest()

    def write(made: list[tuple[Path, str]], make: Callable[[], Sequence[Pdf]]) -> int | None:
        """Puts each PDF of `made` (target, cache key) at its target, laying them out together
        when one is not cached; the page count, or None when one is missing."""
        counts = [cache.place(key, target) for target, key in made]
        if None not in counts:
            report.from_cache += len(made)
            return counts[0]
        if not lay_out:
            report.missing += counts.count(None)
            report.from_cache += len(made) - counts.count(None)
            return None
        pdfs = make()
        report.layouts += 1
        for (target, key), pages, pdf in zip(made, counts, pdfs, strict=True):
            if pages is not None:  # placed from the cache (maybe a link to its file): left as it is
                report.from_cache += 1
                continue
            cache.put(key, pdf)
            report.laid_out += 1
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(pdf.data)
        return pdfs[0].pages

    for size in PAGE_SIZES:
        for worksheet in maker.ordered():
            html = maker.worksheet_html(worksheet.id, size)
            key = html_digest(inputs, size, html)
            pages = write([(worksheets_dir / worksheet_file(worksheet.id, size), key),
                           (worksheets_dir / worksheet_file(worksheet.id, size, fillable=True), fillable_key(key))],
                          partial(maker.pdfs, html))
            problem = length_problem(worksheet.id, size, pages) if pages is not None else None
            if problem:
                report.problems.append(problem)
    if report.problems:  # the build fails on them: no workbook is laid out for nothing
        return report
    for size in PAGE_SIZES:
        write([(worksheets_dir / maker.site.workbook_file(size), maker.workbook_digest(size, inputs))],
              partial(_alone, maker.workbook, size))
    return report


# --- characters the PDFs' font can draw ------------------------------------------------------

# The PDFs are set in Roboto, shipped with the project with its licence (printing/fonts/, loaded by
# templates/print/pdf.css's @font-face): the site's own stack (look.css) names the platform's UI
# face, which is Roboto on Android and ChromeOS, so paper and screen share a family (issue 29),
# and every build machine sets the PDFs from the same bytes, installed or not. A character it
# lacks would come from whatever fallback font the machine happens to have, or be drawn as a
# box: so the build requires every character of a worksheet to be in Roboto.
# WeasyPrint and the libraries that shape what it writes: their versions are in every PDF's key.
PDF_LIBRARIES = ("weasyprint", "pydyf", "fonttools", "tinycss2", "cssselect2", "tinyhtml5", "pyphen", "pillow")
FONT = "Roboto"  # with Noto Sans Hebrew and Noto Sans Arabic for the letters Roboto has not
FONT_DIR = Path(__file__).resolve().parent / "fonts"
# Every face the PDFs' styles reach (pdf.css's @font-face: regular, italic, bold for 600 and
# 700, bold italic), as the files that draw it in turn: Roboto, then Hebrew, then Arabic (an
# italic Hebrew or Arabic letter is the upright one, slanted).
FACES = (
    ("Roboto-Regular.ttf", "NotoSansHebrew-Regular.ttf", "NotoSansArabic-Regular.ttf"),
    ("Roboto-Italic.ttf", "NotoSansHebrew-Regular.ttf", "NotoSansArabic-Regular.ttf"),
    ("Roboto-Bold.ttf", "NotoSansHebrew-Bold.ttf", "NotoSansArabic-Bold.ttf"),
    ("Roboto-BoldItalic.ttf", "NotoSansHebrew-Bold.ttf", "NotoSansArabic-Bold.ttf"),
)
FONT_FILES = tuple(dict.fromkeys(name for face in FACES for name in face))


FONT_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "fonts.json"


@cache
def font_files() -> tuple[Path, ...] | None:
    """The PDF font's files (FONT_FILES in printing/fonts/), or None when one is missing."""
    files = tuple(FONT_DIR / name for name in FONT_FILES)
    return files if all(path.is_file() for path in files) else None


@cache
def pdf_characters() -> frozenset[int] | None:
    """The code points every face of the PDFs (FACES) can draw; None when a file is missing.

    Kept between builds in `.cache/fonts.json` (or `$RT_FONT_CACHE`) under a stamp of the font
    files' bytes, this code and fontTools' version (publish/stamp.py), so a new or updated font is
    read again; reading the fonts' character maps took 25 ms of every build."""
    from publish import jsoncache, stamp

    files = font_files()
    if files is None:
        return None
    made_from = stamp.stamp(stamp.of_files(Path(__file__), *files), stamp.of_versions("fonttools"))
    where = Path(os.environ.get("RT_FONT_CACHE") or FONT_CACHE)
    points = jsoncache.read(where, made_from).get("points")
    if isinstance(points, list) and all(isinstance(n, int) for n in points):
        return frozenset(points)
    from fontTools.ttLib import TTFont

    maps: dict[str, set[int]] = {}
    for path in files:
        font = TTFont(path, lazy=True)
        maps[path.name] = set(font.getBestCmap())
        font.close()
    # What every face can draw with one of its files: bold or italic, a letter still prints.
    drawable = frozenset(set.intersection(*(set().union(*(maps[name] for name in face)) for face in FACES)))
    jsoncache.write(where, {"points": sorted(drawable)}, made_from)
    return drawable


def _texts(value: Any, loc: tuple[Any, ...] = ()) -> Iterable[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, (*loc, index))


_UNREAD = object()


_printable: Course | None = None  # the last course found to have none (the check's, reused by the build)


def glyph_problems(course: Course, folder: str = "data/worksheets") -> list[Problem]:
    """A problem for every text the PDFs print from the data (worksheets, chapter titles,
    helplines) holding a character the PDFs' fonts cannot draw. The
    same records (one Course object: `make build` checks, then builds in the same process; a live
    reload after a page edit) are read once."""
    global _printable
    if course is _printable:
        return []
    drawable = pdf_characters()
    if drawable is None:
        return [Problem("(fonts)", FONT, f"the PDFs' font files are missing from {FONT_DIR}; "
                        "restore them from the project (git checkout printing/fonts)")]
    sources: list[tuple[str, Any, str]] = [
        (f"{folder}/{w.id}.yml", w.model_dump(exclude={"id"}), "entry") for w in course.worksheets.values()]
    # The workbook's contents page prints the chapters' titles; every PDF's safety note and the
    # therapist's pack print the helplines.
    data = folder.rsplit("/", 1)[0]
    sources.append((f"{data}/chapters.yml", [c.model_dump() for c in course.chapters], "chapter"))
    if course.helplines:
        sources.append((f"{data}/helplines.yml", [h.model_dump() for h in course.helplines], "helpline"))
    problems: list[Problem] = []
    for file, data, noun in sources:
        node: Any = _UNREAD  # the file's node tree, read only for a problem's line number
        for loc, text in _texts(data):
            missing = sorted({c for c in text if ord(c) not in drawable and not c.isspace()
                              and unicodedata.category(c) not in {"Cc", "Cf"}})
            if missing:
                if node is _UNREAD:
                    node = _yaml_node(course.root.parent / file)
                shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing[:5]) + (" ..." if len(missing) > 5 else "")
                problems.append(Problem(file, _path(loc, data, noun),
                                        f"has characters the PDFs' font ({FONT}) cannot draw: {shown}; "
                                        "write it without them, or in a language the font covers",
                                        _line(node, loc) if node is not None else 0))
    if not problems:
        _printable = course
    return problems


def _yaml_node(path: Path) -> Any:
    """The file's YAML node tree, for line numbers; None when it cannot be read (the data
    check has said why)."""
    import yaml

    try:
        return yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None
