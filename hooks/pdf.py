"""MkDocs hook: the printed page's running header, and the worksheet PDFs at build time.

A thin adapter; the work is done by macros/pdf.py (no MkDocs there).

- Every page carries the words of its running header (title, site name, address) for
  print.css's `@page` margin boxes, in a <style> in its <head> (`print_header`, main.html).
- `mkdocs build` writes `worksheets/<id>/<id>-a4.pdf` and `-letter.pdf` for every worksheet,
  and the workbook, `worksheets/<brand slug>-workbook-a4.pdf` / `-letter.pdf` (the slug is
  extra.brand.slug, made from site_name by default: hooks/brand.py). Each PDF is cached under
  `.cache/pdf/` (or `$RT_PDF_CACHE`) by a hash of its HTML, the stylesheets and WeasyPrint's version,
  so a rebuild only lays out what changed. A worksheet longer than two pages is a warning,
  which fails `mkdocs build --strict`.
- `mkdocs serve` never lays out a PDF, so live reload stays fast: it copies what the cache has.
- `RT_PDF=0` switches PDFs off (bench/macros_build.py measures the build without them).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from markupsafe import Markup
from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from macros.data import load_and_check_once  # noqa: E402
from macros.pdf import (  # noqa: E402
    PdfCache,
    PdfMaker,
    Site,
    glyph_problems,
    running_header_style,
    site_from_config,
    write_pdfs,
)

log = logging.getLogger("mkdocs.hooks.pdf")
_serving = False


def on_startup(command: str, dirty: bool) -> None:
    global _serving
    _serving = command == "serve"


def site_of(config) -> Site:
    return site_from_config(config)


def on_page_context(context, page, config, nav):
    """The running header's <style>, for overrides/main.html to put in the page's <head>: a
    <style> in the body may not set `:root` (HTML; the Nu validator rejects it). Material's
    instant navigation swaps the head's elements that differ, so it follows the page."""
    # The page's title is HTML by now (a generated page's title from data is escaped text):
    # the header prints words, so entities become the characters they stand for.
    title = "" if page.is_homepage else Markup(page.title or "").striptags()  # on the landing page the site's name says it
    context["print_header"] = running_header_style(title, site_of(config), page.url)
    return context


def on_post_build(config) -> None:
    if os.environ.get("RT_PDF", "1") == "0":
        log.info("Worksheet PDFs switched off (RT_PDF=0)")
        return
    project = Path(config.config_file_path).parent
    course = load_and_check_once(project / "data", Path(config.docs_dir))
    unprintable = glyph_problems(course)  # once per course: the check's result is reused
    if unprintable:  # a PDF with boxes for letters is not published
        raise PluginError("\n".join(str(problem) for problem in unprintable))
    cache = PdfCache(Path(os.environ.get("RT_PDF_CACHE") or project / ".cache" / "pdf"))
    started = time.perf_counter()
    report = write_pdfs(PdfMaker(course, site_of(config)), Path(config.site_dir) / "worksheets", cache,
                        lay_out=not _serving)
    for problem in report.problems:
        log.warning(problem)
    if report.missing:
        log.info(f"{report.missing} worksheet PDF(s) are not in the cache yet; `make build` lays them out")
    if not _serving:
        cache.prune()
    log.info(f"Worksheet PDFs: {report.laid_out} laid out, {report.from_cache} from the cache "
             f"({time.perf_counter() - started:.2f} s)")
