"""Everything a build would reject, without building: `make check` (or `python -m sitebuild.check`).

Data, prompt placements, macro names and template syntax in every page (with the page's own
line numbers, front matter included), characters the PDFs' font cannot draw, the two-page
print limit, the therapist's pack's page count (from the cache, for the guide the last build
packed: printing/pack.py), and mkdocs.yml's `extra.waitlist` and `extra.organisation` (sitebuild/waitlist.py). Print lengths come from the build's PDF cache (`.cache/pdf/`); a worksheet that is
not cached yet is laid out once (about a second per sheet and size) and its blank and fillable
PDFs cached for the build.
Every problem is printed as `file:line: field: what was found; what to do`, never a traceback.

`--write-schemas` regenerates data/schema/*.json from the records for editors' YAML plugins.
`--data DIR`, `--docs DIR` and `--config FILE` check another copy of the project;
`--no-print` skips laying out PDFs that are not cached (their length is then not checked); so does
`RT_PDF=0`, which switches the build's PDFs off (sitebuild/plugin.py): a build that writes no
PDF has no printed length to wait for, and the lengths the cache knows are still checked.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from course.data import Course, CourseDataError, Problem, load_and_check_once, schemas

if TYPE_CHECKING:  # WeasyPrint is imported only when the PDFs are checked
    from printing.pdf import PdfCache, PdfMaker

ROOT = Path(__file__).resolve().parent.parent

def print_problems(course: Course, config_file: Path, lay_out: bool) -> tuple[list[Problem], int, str]:
    """The two-page limit, from the PDF cache; lays out (and caches) what it lacks if allowed.
    Returns the problems, how many PDFs were laid out and the therapist's pack's length
    (`pack_line`)."""
    from mkdocs.config import load_config

    from printing.pdf import PAGE_SIZES, PdfCache, PdfMaker, fillable_key, html_digest, length_problem, site_from_config

    config = load_config(str(config_file))
    maker = PdfMaker(course, site_from_config(config))
    cache = PdfCache(Path(os.environ.get("RT_PDF_CACHE") or config_file.parent / ".cache" / "pdf"))
    inputs = maker.inputs_digest()
    problems: list[Problem] = []
    laid_out = 0
    for worksheet in maker.ordered():
        for size in PAGE_SIZES:
            html = maker.worksheet_html(worksheet.id, size)
            key = html_digest(inputs, size, html)
            pages = cache.pages(key)
            if pages is None and lay_out:
                # Both PDFs of the one layout, so that the build that follows lays out nothing.
                blank, fillable = maker.pdfs(html)
                cache.put(key, blank)
                cache.put(fillable_key(key), fillable)
                pages = blank.pages
                laid_out += 1
            message = length_problem(worksheet.id, size, pages) if pages is not None else None
            if message:
                file, _, rest = message.partition(": ")
                problems.append(Problem(file, "(printed length)", rest))
                break  # one size too long says it
    return problems, laid_out, pack_line(maker, cache, Path(config.docs_dir))


def pack_line(maker: PdfMaker, cache: PdfCache, docs: Path) -> str:
    """The therapist's pack's page count in each size, from the PDF cache, as the build would
    write it (printing/pack.py `pack_pages`); or why the next build lays it out again."""
    from macros.render import PDF_SIZES
    from printing.pack import pack_pages

    pages = pack_pages(maker, cache, docs)
    if isinstance(pages, str):
        return f"the therapist's pack: {pages}"
    return "the therapist's pack: " + ", ".join(f"{n} pages in {dict(PDF_SIZES)[size]}" for size, n in pages.items())


def config_problems(config_file: Path) -> list[Problem]:
    """mkdocs.yml's waitlist and organisation settings, checked as the build's plugin checks them
    when a build starts (the build would stop on each of these), with the line of the setting."""
    from mkdocs.utils.yaml import yaml_load

    from .waitlist import WaitlistError, settings

    text = config_file.read_text(encoding="utf-8")
    config = yaml_load(text) or {}
    extra = config.get("extra")
    if not isinstance(extra, dict):
        extra = {}
    try:
        settings(extra, str(config.get("site_url") or "/"))
    except WaitlistError as error:
        return [Problem(config_file.name, field, message, setting_line(text, field)) for field, message in error.problems]
    return []


def setting_line(text: str, field: str) -> int:
    """The line of `field` (extra.waitlist.provider) in a YAML file written as mkdocs.yml is, by
    its keys' indentation; the nearest enclosing key found when it is not there; 0 for none."""
    line, start, indent = 0, 0, -1
    lines = text.splitlines()
    for key in field.split("."):
        for number in range(start, len(lines)):
            stripped = lines[number].lstrip(" ")
            depth = len(lines[number]) - len(stripped)
            if stripped and not stripped.startswith("#") and depth <= indent:
                return line  # the enclosing block ended without this key
            if depth > indent and stripped.startswith(f"{key}:"):
                line, start, indent = number + 1, number + 1, depth
                break
        else:
            return line
    return line


def check(data: Path, docs: Path, config_file: Path, lay_out: bool = True) -> tuple[Course | None, list[Problem]]:
    from printing.pdf import glyph_problems

    problems: list[Problem] = []
    course: Course | None = None
    try:
        course = load_and_check_once(data, docs)  # once: `make build` builds in this process next
    except CourseDataError as error:
        problems += error.problems
    if course is not None:
        problems += glyph_problems(course, f"{data.relative_to(data.parent)}/worksheets")
    problems += config_problems(config_file)
    if course is not None and not problems:
        started = time.perf_counter()
        length, laid_out, pack = print_problems(course, config_file, lay_out)
        if laid_out:  # the first check after a change is slower: say why
            print(f"laid out {laid_out} worksheet PDF(s) to check their printed length in "
                  f"{time.perf_counter() - started:.2f} s (cached for the build)", file=sys.stderr)
        problems += length
        if not length:
            print(pack, file=sys.stderr)
    return course, sorted(set(problems), key=Problem.sort_key)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument("--config", type=Path, default=ROOT / "mkdocs.yml")
    parser.add_argument("--no-print", action="store_true", help="do not lay out PDFs missing from the cache")
    parser.add_argument("--write-schemas", action="store_true")
    args = parser.parse_args(argv)
    if args.write_schemas:
        folder = ROOT / "data" / "schema"
        folder.mkdir(exist_ok=True)
        for name, schema in schemas().items():
            (folder / name).write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
            print(f"wrote data/schema/{name}")
    try:
        lay_out = not args.no_print and os.environ.get("RT_PDF", "1") != "0"
        course, problems = check(args.data.resolve(), args.docs.resolve(), args.config.resolve(), lay_out)
    except Exception as error:  # noqa: BLE001 - an editor gets one line, never a traceback
        print(f"the check itself failed ({type(error).__name__}: {error}); please report this", file=sys.stderr)
        return 2
    if problems:
        print(f"{len(problems)} problem(s) to fix:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    assert course is not None
    print(f"ok: {len(course.chapters)} chapters, {len(course.prompts)} prompts, {len(course.worksheets)} worksheets")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
