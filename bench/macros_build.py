"""Benchmark: the cost of the course's macros.

1. The site's build time with the real macros against the same pages with every macro call
   stubbed (each returns an empty string), as a ratio. Target: at most 1.2x.
2. Loading, validating and rendering 10, 100 and 1,000 generated worksheets: our part must
   grow linearly (time per worksheet roughly constant).
3. The whole site with 100 and 1,000 generated worksheets (added to the course's own), each a
   page of the site, so the pages and every page's navigation grow with them: our
   `mkdocs build` against a stock Material build of the same pages (bench/_site.py), and each
   one's scaling exponent log(t1000 / t100) / log(10) (1: linear, 2: quadratic). Target: ours
   no worse than stock. Ours is timed twice: a first build (empty caches) and a rebuild; stock
   is built once. Without the compressed copies (replaced by a no-op in the build's process):
   brotli at its highest level over 1,000 pages, each holding the whole navigation, took eight
   minutes; bench/build_speed.py measures a cold build with them.

PDF generation is switched off with RT_PDF=0 throughout (1,000 worksheets would be 2,000 PDFs
laid out): it is measured by bench/pdf_step.py. So is `make build`'s check, which would lay
them out for the two-page limit.

Run: flock /tmp/rt-bench.lock .venv/bin/python bench/macros_build.py
"""

from __future__ import annotations

import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _site import (
    ROOT,
    WITHOUT_COMPRESSION,
    build_env,
    copy_project,
    mkdocs_build_seconds,
    stock_project,
    stub_macros,
    timed,
    write_worksheets,
)

from course.data import load_course
from macros.render import Renderer


def load_and_render_seconds(count: int, folder: Path) -> float:
    data = folder / f"data-{count}"
    (data / "worksheets").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "chapters.yml", data / "chapters.yml")
    (data / "prompts.yml").write_text("[]\n", encoding="utf-8")
    write_worksheets(data / "worksheets", count)
    started = time.perf_counter()
    course = load_course(data)
    renderer = Renderer(course)
    size = sum(len(renderer.worksheet(w)) for w in course.worksheets)
    assert size > 0 and len(course.worksheets) == count
    return time.perf_counter() - started


SCALES = (100, 1000)


def whole_site_seconds(count: int, folder: Path) -> tuple[float, float, float, int]:
    """Our build (first, then again with warm caches) and the stock build of the course with
    `count` generated worksheets added, and how many pages the site has."""
    ours = copy_project(folder / f"ours-{count}")
    write_worksheets(ours / "data" / "worksheets", count)
    stock = stock_project(ours, folder / f"stock-{count}")
    arguments = ["build", "--quiet", "-d", "site"]
    without_compression = [sys.executable, "-c", WITHOUT_COMPRESSION, *arguments]
    first, _ = timed(without_compression, ours, build_env(RT_PDF="0"))
    again, _ = timed(without_compression, ours, build_env(RT_PDF="0"))
    stock_seconds, _ = timed([sys.executable, "-m", "mkdocs", *arguments], stock, build_env())
    pages = sum(1 for _ in (stock / "site").rglob("index.html"))
    shutil.rmtree(ours)
    shutil.rmtree(stock)
    return first, again, stock_seconds, pages


def exponent(small: float, large: float) -> float:
    return math.log(large / small) / math.log(SCALES[1] / SCALES[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        real = copy_project(Path(tmp) / "real")
        stubbed = copy_project(Path(tmp) / "stubbed")
        stub_macros(stubbed)
        with_macros, without = mkdocs_build_seconds(real, RT_PDF="0"), mkdocs_build_seconds(stubbed, RT_PDF="0")
        print("Site build (best of 3, PDFs off)")
        print(f"  with macros      {with_macros:6.2f} s")
        print(f"  macros stubbed   {without:6.2f} s")
        print(f"  ratio            {with_macros / without:6.2f}x   (target <= 1.20x)")
        print()
        print("Load + validate + render generated worksheets")
        print(f"  {'worksheets':>10} {'seconds':>9} {'ms/worksheet':>13}")
        base = None
        for count in (10, 100, 1000):
            seconds = load_and_render_seconds(count, Path(tmp))
            per = seconds / count * 1000
            base = base or per
            print(f"  {count:>10} {seconds:9.3f} {per:13.2f}   ({per / base:.2f}x the per-worksheet cost at 10)")
        print()
        print("Whole site with generated worksheets as pages (PDFs and compressed copies off; ours: first build, rebuild)")
        print(f"  {'worksheets':>10} {'pages':>6} {'ours first':>11} {'ours again':>11} {'stock':>8} {'again/stock':>12}")
        times = {}
        for count in SCALES:
            first, again, stock, pages = whole_site_seconds(count, Path(tmp))
            times[count] = (first, again, stock)
            print(f"  {count:>10} {pages:>6} {first:9.2f} s {again:9.2f} s {stock:6.2f} s {again / stock:11.2f}x")
        small, large = times[SCALES[0]], times[SCALES[1]]
        ours_first, ours_again, stock = (exponent(small[i], large[i]) for i in range(3))
        print(f"  scaling exponent, {SCALES[0]} -> {SCALES[1]}: ours first {ours_first:.2f}, ours again {ours_again:.2f}, "
              f"stock {stock:.2f}   (target: ours <= stock: {'pass' if max(ours_first, ours_again) <= stock else 'MISS'})")


if __name__ == "__main__":
    main()
