"""The macros' templates are compiled once, not at every build (macros/render.py's
template_environment: Jinja's bytecode cache under $RT_JINJA_CACHE/macros/), and an edited
template is compiled again: the page shows the edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from course.data import load_course
from macros.render import TEMPLATES, Renderer
from tests.conftest import ROOT

COURSE = load_course(ROOT / "data")


def test_a_second_build_compiles_no_unchanged_template_and_an_edited_one_shows(  # type: ignore[no-untyped-def]
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RT_JINJA_CACHE", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    compiled: list[str | None] = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    first = Renderer(COURSE, templates).safety_note("/")
    assert "safety_note.html" in compiled
    assert any((tmp_path / "cache" / "macros").iterdir())

    compiled.clear()
    assert Renderer(COURSE, templates).safety_note("/") == first  # a new build: a new environment
    assert "safety_note.html" not in compiled

    note = templates / "safety_note.html"
    note.write_text(note.read_text(encoding="utf-8") + "<p>edited-7731</p>\n", encoding="utf-8")
    assert "edited-7731" in Renderer(COURSE, templates).safety_note("/")
    assert "safety_note.html" in compiled
