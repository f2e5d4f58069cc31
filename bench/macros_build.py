"""Benchmark: the cost of the course's macros.

1. The site's build time with the real macros against the same pages with every macro call
   stubbed (each returns an empty string), as a ratio. Target: at most 1.2x.
2. Loading, validating and rendering 10, 100 and 1,000 generated worksheets: our part must
   grow linearly (time per worksheet roughly constant).

Run: .venv/bin/python bench/macros_build.py   (PDF generation is switched off with RT_PDF=0:
it is measured by bench/pdf_step.py.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from macros.data import load_course  # noqa: E402
from macros.render import Renderer  # noqa: E402

STUB = '''
def define_env(env):
    for name in ("reflection", "worksheet", "chapter_worksheets", "worksheet_index", "chapter_cards",
                 "waitlist_form", "journal"):
        env.macro(lambda *args, **kwargs: "", name)
'''


def build_seconds(project: Path, runs: int = 3) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "RT_PDF": "0"}
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "-d", str(project / "site")],
                       cwd=project, env=env, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in ("mkdocs.yml", "data", "macros", "hooks", "overrides", "docs", "publish"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target / name)
    return target


def generated_worksheet(n: int) -> dict:
    return {
        "title": f"Generated worksheet {n}",
        "chapter": ("betrayal", "consistency", "empathy", "forgiveness", "intimacy", "practices")[n % 6],
        "summary": "A generated worksheet for the benchmark.",
        "who": "either",
        "minutes": 15,
        "instructions": "Read this.\n\nThen write.",
        "sections": [
            {"title": "One", "fields": [
                {"type": "text", "id": "a", "label": "What happened?", "lines": 5},
                {"type": "checklist", "id": "b", "label": "Which?", "items": ["x", "y", "z"]},
                {"type": "scale", "id": "c", "label": "How much?", "low": "little", "high": "lots"},
            ]},
            {"title": "Two", "fields": [
                {"type": "table", "id": "d", "label": "Week", "columns": ["Promise", "Kept?"],
                 "row_labels": [f"Day {d}" for d in range(1, 8)]},
                {"type": "date", "id": "e", "label": "Date"},
                {"type": "signature", "id": "f", "label": "Signed"},
            ]},
        ],
    }


def load_and_render_seconds(count: int, folder: Path) -> float:
    data = folder / f"data-{count}"
    (data / "worksheets").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "chapters.yml", data / "chapters.yml")
    (data / "prompts.yml").write_text("[]\n", encoding="utf-8")
    for n in range(count):
        (data / "worksheets" / f"w{n}.yml").write_text(yaml.safe_dump(generated_worksheet(n)), encoding="utf-8")
    started = time.perf_counter()
    course = load_course(data)
    renderer = Renderer(course)
    size = sum(len(renderer.worksheet(w)) for w in course.worksheets)
    assert size > 0 and len(course.worksheets) == count
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        real = copy_project(Path(tmp) / "real")
        stubbed = copy_project(Path(tmp) / "stubbed")
        (stubbed / "macros" / "__init__.py").write_text(STUB, encoding="utf-8")
        with_macros, without = build_seconds(real), build_seconds(stubbed)
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


if __name__ == "__main__":
    main()
