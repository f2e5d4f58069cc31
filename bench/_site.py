"""What the build benchmarks share (bench/macros_build.py, bench/build_speed.py): scratch copies
of the project, generated worksheets, macros stubbed out, and the same pages as a stock Material
site, which is what our build's figures are measured against.

The stock site: MkDocs and the Material theme with the search plugin, the same Markdown
extensions, pages, nav and static files in docs/, and nothing of ours: no build plugin, no overrides/,
no macros plugin, no publish step (stylesheet joining, offline worker, CSP file, compressed
copies, preview images) and no PDFs. Each page's Markdown is the course's with every macro call
and variable rendered as an empty string (`stub_markdown`), the way `STUB` stubs the macros in
our own build; each worksheet (data/worksheets/) is a page holding only its title, so pages and
the nav grow with worksheets as ours do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from course.data import load_course

ROOT = Path(__file__).resolve().parent.parent

# The project as `make build` needs it (the virtualenv is linked, not copied).
PROJECT_PARTS = ("mkdocs.yml", "data", "course", "macros", "printing", "sitebuild", "overrides", "docs", "publish", "scripts")

# Our macros module with every macro (course/data.py's MACROS: the ones the pages may call)
# returning an empty string, and the variables it sets (`facts`, `workbook_pdf`) printing as one.
STUB = '''
from course.data import MACROS


class Nothing:
    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return ""

    def __str__(self):
        return ""


def define_env(env):
    for name in MACROS:
        env.macro(lambda *args, **kwargs: "", name)
    env.variables["facts"] = env.variables["workbook_pdf"] = Nothing()
'''

FRONT_MATTER = re.compile(r"\A(---\n.*?\n---\n)(.*)\Z", re.S)
OUR_TEMPLATE = re.compile(r"^template:.*\n", re.M)


def build_env(**extra: str) -> dict[str, str]:
    """The environment `make` gives a build: no SITE_URL (this machine's address), no warning
    banner; PDFs only when asked (`RT_PDF`)."""
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "RT_PDF_CACHE", "RT_COMPRESS_CACHE"}}
    return {**env, "NO_MKDOCS_2_WARNING": "1", **extra}


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Wall-clock seconds of one command, and what it wrote to stderr; fails loudly."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{result.stdout}{result.stderr}")
    return seconds, result.stderr


def mkdocs_build_seconds(project: Path, runs: int = 3, **env: str) -> float:
    """Best of `runs` plain `mkdocs build`s of `project` into project/site."""
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "-d", str(project / "site")]
    return min(timed(command, project, build_env(**env))[0] for _ in range(runs))


# `mkdocs build` (arguments after the code) with the compressed copies switched off: what the
# whole-site scaling check runs (compressing 1,000 pages at brotli's highest level takes minutes).
WITHOUT_COMPRESSION = ("import sys; from publish import compress; "
                       "compress.compress_site = lambda *args, **kwargs: compress.CompressReport(); "
                       "from mkdocs.__main__ import cli; sys.exit(cli())")


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in PROJECT_PARTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def stub_macros(project: Path) -> None:
    (project / "macros" / "__init__.py").write_text(STUB, encoding="utf-8")


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


def write_worksheets(folder: Path, count: int, replace: bool = False) -> None:
    """`count` generated worksheets as data/worksheets/g<n>.yml; `replace`: the course's own go."""
    if replace:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"g{n}.yml").write_text(yaml.safe_dump(generated_worksheet(n)), encoding="utf-8")


# --- the stock Material site ----------------------------------------------------------------


class _Stub:
    """Any macro or variable: every attribute and call is another stub, printed as nothing."""

    def __getattr__(self, name: str) -> _Stub:
        return self

    def __getitem__(self, key: object) -> _Stub:
        return self

    def __call__(self, *args: object, **kwargs: object) -> _Stub:
        return self

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return ""


def stub_markdown(text: str) -> str:
    """A page's Markdown with every `{{ … }}` printed as nothing and every `{% if %}` false; the
    front matter as written but for `template:` (our layouts are in overrides/)."""
    from jinja2 import Environment, Undefined

    class Nothing(Undefined):
        def __getattr__(self, name: str) -> _Stub:  # type: ignore[override]
            return _Stub()

        def __call__(self, *args: object, **kwargs: object) -> _Stub:  # type: ignore[override]
            return _Stub()

    match = FRONT_MATTER.match(text)
    front, body = (match.group(1), match.group(2)) if match else ("", text)
    rendered = Environment(undefined=Nothing, keep_trailing_newline=True).from_string(body).render()
    return OUR_TEMPLATE.sub("", front) + rendered


def ordered_worksheets(data: Path) -> list[tuple[str, str]]:
    """(id, title) of every worksheet in the order our nav lists them (sitebuild/plugin.py)."""
    course = load_course(data)
    return [(w.id, str(w.title)) for w in course.ordered_worksheets()]


def stock_project(ours: Path, target: Path) -> Path:
    """The stock Material site of the same pages as the project at `ours` (see the docstring)."""
    from mkdocs.utils.yaml import yaml_load

    with open(ours / "mkdocs.yml", encoding="utf-8") as file:
        config: dict[str, Any] = yaml_load(file)
    shutil.copytree(ours / "docs", target / "docs")
    for page in (target / "docs").rglob("*.md"):
        page.write_text(stub_markdown(page.read_text(encoding="utf-8")), encoding="utf-8")
    sheets = ordered_worksheets(ours / "data")
    for worksheet_id, title in sheets:
        page = target / "docs" / "worksheets" / f"{worksheet_id}.md"
        page.write_text(f"---\ntitle: {yaml.safe_dump(title, width=1000).splitlines()[0]}\n---\n", encoding="utf-8")
    nav = [({"Worksheets": ["worksheets/index.md", *(f"worksheets/{i}.md" for i, _ in sheets)]}
            if isinstance(item, dict) and "Worksheets" in item else item) for item in config["nav"]]
    theme = {"name": "material", "language": config["theme"].get("language", "en"),
             "features": config["theme"].get("features", [])}
    stock = {"site_name": config["site_name"], "site_url": "http://127.0.0.1:8000/", "theme": theme,
             "plugins": ["search"], "markdown_extensions": config["markdown_extensions"],
             "not_in_nav": config.get("not_in_nav", ""), "nav": nav}
    (target / "mkdocs.yml").write_text(yaml.safe_dump(stock, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target
