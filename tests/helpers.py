"""Shared by the top-level test modules (tests/test_*.py): a small course's data (WORKSHEET,
PROMPTS, `write`; the `data` fixture that lays them out is in tests/conftest.py), reading a built
page (`doc`, `text`), and a helplines file checked like the rest of the data (LINE, `problems`)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from course.data import CourseDataError, load_course

# The repository (as tests/conftest.py's ROOT, which imports this module: not imported from there).
ROOT = Path(__file__).resolve().parent.parent
# What a scratch copy of the project needs to build: the content, the theme and the code (the
# build's plugin and the packages it imports: run from the copy, `python -m …` imports the copy's).
PROJECT_PARTS = ("data", "docs", "course", "macros", "printing", "sitebuild", "publish", "overrides", "scripts")

# --- a small course's data (tests/test_data.py) -----------------------------------------------

WORKSHEET = {
    "title": "Seven-day tracker",
    "chapter": "consistency",
    "summary": "Small promises, kept.",
    "who": "together",
    "minutes": 10,
    "instructions": "Each evening, five minutes.\n\nNo speeches.",
    "sections": [
        {
            "title": "The week",
            "fields": [
                {"type": "table", "id": "tracker", "label": "Promises", "columns": ["Promise", "Kept?"],
                 "row_labels": ["Day 1", "Day 2"]},
                {"type": "text", "id": "noticed", "label": "What did you notice?", "lines": 4},
                {"type": "scale", "id": "safety", "label": "How safe?", "low": "Not", "high": "Very"},
                {"type": "checklist", "id": "done", "label": "Done", "items": ["a", "b"]},
                {"type": "date", "id": "date", "label": "Date"},
                {"type": "signature", "id": "sign", "label": "Signed"},
            ],
        }
    ],
}
PROMPTS = [{"id": "consistency-small", "chapter": "consistency", "role": "both", "question": "What small thing?"}]


def write(path: Path, content: object) -> None:
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")


# --- a built page (tests/test_facts_and_safety.py) --------------------------------------------


def doc(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "lxml")


def text(node) -> str:  # type: ignore[no-untyped-def]
    """The node's text, spaces collapsed and typographic quotes read as plain ones."""
    plain = node.get_text(" ").translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))
    return re.sub(r"\s+", " ", plain).strip()


# --- the helplines file is checked like the rest of the data (tests/test_facts_and_safety.py) --


def data_with(tmp_path: Path, helplines: str) -> Path:
    data = tmp_path / "data"
    (data / "worksheets").mkdir(parents=True)
    for name in ("chapters.yml", "prompts.yml"):
        (data / name).write_text((ROOT / "data" / name).read_text(encoding="utf-8"), encoding="utf-8")
    (data / "helplines.yml").write_text(helplines, encoding="utf-8")
    return data


LINE = """- id: xx-line
  country: Testland
  country_code: xx
  emergency: "112"
  service: Test line
  kind: abuse
  phone: "0800 000 000"
  source: https://example.org/
  checked: "2026-11-30"
- id: xx-crisis
  country: Testland
  country_code: xx
  emergency: "112"
  service: Test crisis line
  kind: crisis
  phone: "0800 000 001"
  source: https://example.org/
  checked: "2026-11-30"
"""


def problems(tmp_path: Path, helplines: str) -> list[str]:
    try:
        load_course(data_with(tmp_path, helplines))
    except CourseDataError as error:
        return [str(p) for p in error.problems]
    return []


# --- the joined stylesheet (tests/test_publish.py, tests/browser/test_stylesheet.py) ---------


@functools.cache
def whole_stylesheet() -> bytes:
    """The joined stylesheet as the build's `on_config` makes it, before the rules no page can
    use are left out (publish/assets.py `shrink_stylesheet`)."""
    from mkdocs.config import load_config

    from sitebuild import plugin as build

    config = load_config(str(ROOT / "mkdocs.yml"), site_url="http://127.0.0.1:8000/")
    site_plugin = config.plugins[build.NAME]
    for handler in site_plugin.on_config.methods:  # a CombinedEvent: [100], then [0]
        config = handler(config)
    return site_plugin.assets.files[site_plugin.assets.stylesheet]
