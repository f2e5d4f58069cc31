"""Benchmark: the build's PDF step (printing/pdf.py, run by sitebuild/plugin.py after `mkdocs build`).

Lays out every worksheet in A4 and US Letter, the two workbooks (a front joined to the
worksheets' layouts, `PdfMaker.joined`) and the two therapist's packs (printing/pack.py: the guide's pages rendered from docs/therapists/ by Markdown with mkdocs.yml's
extensions, as the build would, without the macros), cold (empty cache) and
warm (everything from the cache, which is what a rebuild after an unrelated edit does), and
prints the time of each part and the size and page count of every PDF. A worksheet is laid out
once and written twice, blank and fillable (printing/forms.py): the cold figures give the layout
and each write apart, so the fillable PDFs' cost shows beside the blank ones'. Figures, not a
pass/fail timer.

Run: .venv/bin/python bench/pdf_step.py [--site-url https://example.org/]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from course.data import Course, load_course
from printing.pack import GuidePage, guide_page, ordered_guide, write_pack
from printing.pdf import PAGE_SIZES, Pdf, PdfCache, PdfMaker, PdfReport, Site, worksheet_file, write_pdfs

ROOT = Path(__file__).resolve().parent.parent


class TimedMaker(PdfMaker):
    """A PdfMaker that records how long each layout and each write took, by PDF (`<id>-<size>`
    or the workbook's file name): `seconds[name]` = {"layout": s, "blank": s, "fillable": s}."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.seconds: dict[str, dict[str, float]] = defaultdict(dict)
        self.names: dict[str, str] = {}
        for size in PAGE_SIZES:
            for worksheet in self.ordered():
                self.names[self.worksheet_html(worksheet.id, size)] = f"{worksheet.id}-{size}"
        self._current = ""

    def workbook(self, size: str = "a4") -> Pdf:
        """Timed whole: its front's layout and the joining count as its layout (the worksheets'
        layouts it joins are theirs, made before it)."""
        self._current = self.site.workbook_file(size)
        start = time.perf_counter()
        pdf = super().workbook(size)
        self.seconds[self._current]["layout"] = time.perf_counter() - start - self.seconds[self._current]["blank"]
        return pdf

    def render(self, html: str) -> Any:
        if html not in self.names:  # the fronts and the pack's body: timed with their PDF
            return super().render(html)
        self._current = self.names[html]
        start = time.perf_counter()
        document = super().render(html)
        self.seconds[self._current]["layout"] = time.perf_counter() - start
        return document

    def blank(self, document: Any) -> Pdf:
        start = time.perf_counter()
        pdf = super().blank(document)
        self.seconds[self._current]["blank"] = time.perf_counter() - start
        return pdf

    def fillable(self, document: Any) -> Pdf:
        start = time.perf_counter()
        pdf = super().fillable(document)
        self.seconds[self._current]["fillable"] = time.perf_counter() - start
        return pdf


def guide(site_url: str, course: Course) -> list[GuidePage]:
    """The facilitator's guide's pages, as Markdown with mkdocs.yml's extensions renders them."""
    import markdown
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    pages = {}
    for source in sorted((ROOT / "docs" / "therapists").glob("*.md")):
        text = source.read_text(encoding="utf-8")
        body = text.split("---", 2)[2] if text.startswith("---") else text
        html = markdown.markdown(body, extensions=config.markdown_extensions, extension_configs=config.mdx_configs)
        path = "therapists/" if source.stem == "index" else f"therapists/{source.stem}/"
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
        assert heading, f"{source}: no title"
        title = re.sub(r"<[^>]+>", "", heading.group(1))
        pages[path] = guide_page(path, title, html, site_url)
    return ordered_guide(pages, [chapter.id for chapter in course.chapters])


def kib(path: Path) -> float:
    return path.stat().st_size / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-url", default="https://rebuilding-trust.example/")
    args = parser.parse_args()

    start = time.perf_counter()
    import weasyprint  # noqa: F401  (imported once per build; counted apart)

    imported = time.perf_counter() - start
    course = load_course(ROOT / "data")
    site = Site("Rebuilding Trust", args.site_url, "A free, private course.")
    with tempfile.TemporaryDirectory() as tmp:
        cache = PdfCache(Path(tmp) / "cache")
        maker = TimedMaker(course, site)
        start = time.perf_counter()
        cold = write_pdfs(maker, Path(tmp) / "cold", cache)
        cold_seconds = time.perf_counter() - start
        pages = guide(args.site_url, course)
        start = time.perf_counter()
        packs = write_pack(maker, pages, Path(tmp) / "cold", cache, PdfReport())
        pack_seconds = time.perf_counter() - start

        again = TimedMaker(course, site)
        start = time.perf_counter()
        warm = write_pdfs(again, Path(tmp) / "warm", cache)
        warm_seconds = time.perf_counter() - start

        from pypdf import PdfReader

        out = Path(tmp) / "cold"
        print(f"{'PDF':44} {'pages':>5} {'blank KiB':>9} {'fillable KiB':>12} {'layout s':>9} "
              f"{'blank s':>8} {'fillable s':>10}")
        for name, seconds in sorted(maker.seconds.items(), key=lambda item: ("-workbook-" not in item[0], item[0])):
            if "-workbook-" in name:
                blank, fillable = out / name, None
            else:
                worksheet_id, size = name.rsplit("-", 1)
                blank = out / worksheet_file(worksheet_id, size)
                fillable = out / worksheet_file(worksheet_id, size, fillable=True)
            pages = len(PdfReader(blank).pages)
            print(f"{blank.name:44} {pages:5d} {kib(blank):9.1f} {kib(fillable) if fillable else 0:12.1f} "
                  f"{seconds['layout']:9.2f} {seconds['blank']:8.2f} {seconds.get('fillable', 0):10.2f}")

        sheets = {n: s for n, s in maker.seconds.items() if "-workbook-" not in n}
        books = {n: s for n, s in maker.seconds.items() if "-workbook-" in n}
        layout = sum(s["layout"] for s in sheets.values())
        blank_writes = sum(s["blank"] for s in sheets.values())
        fillable_writes = sum(s["fillable"] for s in sheets.values())
        count = len(sheets)
        blanks = [p for p in out.rglob("*.pdf") if not p.name.endswith("-fillable.pdf") and "therapists-pack" not in p.name]
        pack_kib = sum(p.stat().st_size for p in out.rglob("*therapists-pack*.pdf")) / 1024
        fillables = list(out.rglob("*-fillable.pdf"))
        print()
        print(f"weasyprint import                     {imported:6.2f} s")
        print(f"cold: {cold.laid_out} PDFs from {cold.layouts} layouts       {cold_seconds:6.2f} s"
              f"   (workbooks {sum(s['layout'] + s['blank'] for s in books.values()):.2f} s)")
        print(f"  worksheets, blank:    layout {layout:6.2f} s + write {blank_writes:5.2f} s = "
              f"{layout + blank_writes:6.2f} s ({(layout + blank_writes) / count:.2f} s each)")
        print(f"  worksheets, fillable: the same layout  + write {fillable_writes:5.2f} s = "
              f"{fillable_writes:6.2f} s ({fillable_writes / count:.2f} s each; laid out on their own, "
              f"{(layout + fillable_writes) / count:.2f} s each)")
        print(f"  the therapist's packs ({', '.join(f'{n} pages' for n in packs.values())}): joined from the "
              f"worksheets' layouts {pack_seconds:6.2f} s, {pack_kib:.0f} KiB together")
        print(f"warm: {warm.from_cache} PDFs from the cache, {warm.laid_out} laid out  {warm_seconds:6.2f} s"
              f"   ({cold_seconds / max(warm_seconds, 1e-9):.0f}x faster)")
        print(f"blank PDFs together                    {sum(p.stat().st_size for p in blanks) / 1024:6.0f} KiB")
        print(f"fillable PDFs together                 {sum(p.stat().st_size for p in fillables) / 1024:6.0f} KiB")


if __name__ == "__main__":
    main()
