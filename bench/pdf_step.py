"""Benchmark: the build's PDF step (printing/pdf.py, run by sitebuild/plugin.py after `mkdocs build`).

Lays out every worksheet in A4 and US Letter and the two workbooks, cold (empty cache) and
warm (everything from the cache, which is what a rebuild after an unrelated edit does), and
prints the time of each part and the size and page count of every PDF. Figures, not a
pass/fail timer.

Run: .venv/bin/python bench/pdf_step.py [--site-url https://example.org/]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from course.data import load_course
from printing.pdf import Pdf, PdfCache, PdfMaker, Site, write_pdfs

ROOT = Path(__file__).resolve().parent.parent


class TimedMaker(PdfMaker):
    """A PdfMaker that records how long each layout took, by file name."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.seconds: dict[str, float] = {}

    def _timed(self, name: str, make: Callable[[], Pdf]) -> Pdf:
        start = time.perf_counter()
        pdf = make()
        self.seconds[name] = time.perf_counter() - start
        return pdf

    def worksheet(self, worksheet_id: str, size: str = "a4") -> Pdf:
        return self._timed(f"{worksheet_id}-{size}.pdf", lambda: super(TimedMaker, self).worksheet(worksheet_id, size))

    def workbook(self, size: str = "a4") -> Pdf:
        return self._timed(self.site.workbook_file(size), lambda: super(TimedMaker, self).workbook(size))


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

        start = time.perf_counter()
        warm = write_pdfs(TimedMaker(course, site), Path(tmp) / "warm", cache)
        warm_seconds = time.perf_counter() - start

        files = sorted((Path(tmp) / "cold").rglob("*.pdf"), key=lambda p: ("-workbook-" not in p.name, p.name))
        from pypdf import PdfReader

        print(f"{'PDF':48} {'pages':>5} {'KiB':>7} {'layout s':>9}")
        for path in files:
            pages = len(PdfReader(path).pages)
            print(f"{path.name:48} {pages:5d} {path.stat().st_size / 1024:7.1f} {maker.seconds[path.name]:9.2f}")
        sheets = [s for n, s in maker.seconds.items() if "-workbook-" not in n]
        books = [s for n, s in maker.seconds.items() if "-workbook-" in n]
        total = sum(p.stat().st_size for p in files)
        print()
        print(f"weasyprint import                     {imported:6.2f} s")
        print(f"cold: {cold.laid_out} PDFs laid out                {cold_seconds:6.2f} s"
              f"   (worksheets {sum(sheets):.2f} s, {sum(sheets) / len(sheets):.2f} s each; "
              f"workbooks {sum(books):.2f} s)")
        print(f"warm: {warm.from_cache} PDFs from the cache, {warm.laid_out} laid out  {warm_seconds:6.2f} s"
              f"   ({cold_seconds / max(warm_seconds, 1e-9):.0f}x faster)")
        print(f"all PDFs together                      {total / 1024:6.0f} KiB")


if __name__ == "__main__":
    main()
