"""The hostile-text project (tests/test_hostile_text.py, issue 15): a scratch copy of the
project whose data holds markup, attribute breakers, Jinja, `&`, `<` and right-to-left text in a
worksheet's every field, a chapter's title and summary and a prompt's question and hint, built
for the session site's address with the project's caches, so that only what the texts reach is
laid out again. Here rather than in the test module so that tests/prebuild.py can start it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from course.typography import curly_quotes
from tests.conftest import ROOT
from tests.shared import project_caches

HOSTILE = '<script>alert(1)</script> " onfocus="alert(1) {{ 7*7 }} {% include "x" %} & < שלום عربي'
LEFT_OUT = {".venv", "site", ".cache", "node_modules", ".git", "var", "__pycache__", ".pytest_cache"}


def hostile(field: str) -> str:
    """The text a field is given: its name, to find it by, then every hostile kind."""
    return f"{field} {HOSTILE}"


def shown(field: str) -> str:
    """What a reader must see: the same text, with the typographic quotes data text gets."""
    return curly_quotes(hostile(field))


WORKSHEET = {
    "title": hostile("Title"),
    "chapter": "betrayal",
    "summary": hostile("Summary"),
    "who": "together",
    "minutes": 10,
    "instructions": hostile("Instructions"),
    "sections": [{
        "title": hostile("Section"),
        "intro": hostile("Intro"),
        "fields": [
            {"type": "table", "id": "tracker", "label": hostile("Table"), "hint": hostile("TableHint"),
             "columns": [hostile("Column")], "row_labels": [hostile("Row")]},
            {"type": "text", "id": "noticed", "label": hostile("Text"), "hint": hostile("TextHint"), "lines": 2},
            {"type": "scale", "id": "safety", "label": hostile("Scale"), "low": hostile("Low"), "high": hostile("High")},
            {"type": "checklist", "id": "done", "label": hostile("Checklist"), "items": [hostile("Item")]},
            {"type": "date", "id": "date", "label": hostile("Date")},
            {"type": "signature", "id": "sign", "label": hostile("Signature")},
        ],
    }],
}
BODY_FIELDS = ["Title", "Instructions", "Section", "Intro", "Table", "TableHint", "Column", "Row", "Text",
               "TextHint", "Scale", "Low", "High", "Checklist", "Item", "Date", "Signature"]


def copy_project(target: Path) -> Path:
    shutil.copytree(ROOT, target, ignore=lambda _folder, names: [n for n in names if n in LEFT_OUT])
    return target


def make_hostile(project: Path) -> None:
    data = project / "data"
    (data / "worksheets" / "hostile.yml").write_text(yaml.safe_dump(WORKSHEET, allow_unicode=True), encoding="utf-8")
    chapters = yaml.safe_load((data / "chapters.yml").read_text(encoding="utf-8"))
    chapters[0].update(title=hostile("Chapter"), summary=hostile("ChapterSummary"))
    (data / "chapters.yml").write_text(yaml.safe_dump(chapters, allow_unicode=True), encoding="utf-8")
    prompts = (data / "prompts.yml").read_text(encoding="utf-8")
    first = yaml.safe_load(prompts)[0]
    prompts = prompts.replace(json.dumps(first["question"], ensure_ascii=False), json.dumps(hostile("Question"), ensure_ascii=False), 1)
    prompts = prompts.replace(json.dumps(first["hint"], ensure_ascii=False), json.dumps(hostile("Hint"), ensure_ascii=False), 1)
    (data / "prompts.yml").write_text(prompts, encoding="utf-8")
    assert yaml.safe_load(prompts)[0]["question"] == hostile("Question")


def make_hostile_site(folder: Path, base_url: str) -> str:
    """The hostile project built with `mkdocs build --strict` into `folder`; its site folder."""
    project = copy_project(folder / "project")
    make_hostile(project)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SITE_URL": base_url, **project_caches(ROOT)}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site"],
                            cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return str(project / "site")
