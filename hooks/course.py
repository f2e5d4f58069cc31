"""MkDocs hook: one page per worksheet, generated from data/worksheets/<id>.yml.

Editors never write a Markdown file for a worksheet: each page is a front matter block holding
only the worksheet's id and a `worksheet()` macro call, added to the build's files and listed
under Worksheets in the nav.

The page's title and description come from data, so they are never written into the page's
source: mkdocs-macros renders Jinja it finds in a page's title (`{{ 7*7 }}` became "49",
`{% include %}` a traceback), and MkDocs' and Material's templates print `page.title`,
`page.meta.title` and `page.meta.description` without escaping (navigation, header, `<title>`,
meta tags). They are set after the macros have run, as `Markup` holding the escaped text: the
templates print it as it is, `| e` leaves it alone (no double escaping), and `| striptags`
gives back the plain text (overrides/main.html escapes that again).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from markupsafe import Markup, escape
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from macros.blocks import BlockLostError, restore  # noqa: E402
from macros.data import Course, CourseDataError, load_and_check_once  # noqa: E402
from macros.journal import JournalSettingsError, journal_settings  # noqa: E402

_current: Course | None = None  # this build's course: loaded in on_config, used by every page


def _course(config) -> Course:
    project = Path(config.config_file_path).parent
    try:
        return load_and_check_once(project / "data", Path(config.docs_dir))
    except CourseDataError as error:
        raise PluginError(str(error)) from None


def _this_build() -> Course:
    """The course on_config loaded; asking load_and_check_once for every page would look at
    every data file and page once per page (quadratic in the number of worksheets)."""
    assert _current is not None, "on_config runs first"
    return _current


def _ordered(course: Course) -> list[str]:
    return [w.id for c in course.chapters for w in course.worksheets_of(c.id)]


def on_config(config):
    global _current
    try:  # the journal's lock and discreet mode (overrides/partials/rt-lock.html, main.html)
        journal_settings(config.extra)
    except JournalSettingsError as error:
        raise PluginError(str(error)) from None
    _current = _course(config)
    pages = [f"worksheets/{worksheet_id}.md" for worksheet_id in _ordered(_current)]
    for item in config.nav or []:
        if isinstance(item, dict) and "Worksheets" in item:
            item["Worksheets"] = ["worksheets/index.md", *pages]
    return config


def on_files(files: Files, config) -> Files:
    course = _this_build()
    for worksheet_id in _ordered(course):
        worksheet = course.worksheets[worksheet_id]
        # Ids are checked against a pattern of lowercase letters, digits and hyphens (macros/data.py).
        content = f"---\nworksheet_id: {worksheet.id}\n---\n\n{{{{ worksheet({worksheet.id!r}) }}}}\n"
        files.append(File.generated(config, f"worksheets/{worksheet.id}.md", content=content))
    return files


@event_priority(-100)  # after mkdocs-macros has rendered the page
def on_page_markdown(markdown: str, page, config, files) -> str:
    """A generated worksheet page's title and description, as escaped text (see the docstring)."""
    worksheet_id = page.meta.get("worksheet_id")
    if worksheet_id and page.file.generated_by:
        worksheet = _this_build().worksheets[worksheet_id]
        page.meta["title"] = as_text(worksheet.title)
        page.meta["description"] = as_text(worksheet.summary)
    return markdown


@event_priority(100)  # before anything reads the page's HTML (Material's search among them)
def on_page_content(html: str, page, config, files) -> str:
    """The macros' HTML blocks back in place of their tokens (macros/blocks.py)."""
    try:
        return restore(page.file.src_uri, html, page.present_anchor_ids)
    except BlockLostError as error:
        raise PluginError(str(error)) from None


def as_text(text: str) -> Markup:
    """Text from data/ as HTML that shows it literally: the form the theme's templates need."""
    return escape(str(text))


def on_env(env, config, files):
    """The theme's templates (overrides/main.html) show the same safety note the macros render,
    and style it by the reader's chosen country (data/helplines.yml).

    Also: the theme's templates (Material's and ours, a hundred of them) are compiled once, not
    at every build: MkDocs makes a new Jinja environment for each build and each live reload, and
    compiling them took a third of a second. Jinja's bytecode cache keeps the compiled code under
    `.cache/jinja/` (or `$RT_JINJA_CACHE`), checked against a hash of each template's source, so
    an edited template is compiled again; the pages come out the same."""
    from jinja2 import FileSystemBytecodeCache

    from macros.facts import course_facts
    from macros.helplines import countries
    from macros.render import Renderer

    course = _this_build()
    renderer = Renderer(course, site_url=config.site_url or "")
    env.globals["safety_note"] = lambda base_url: renderer.safety_note(base_url.rstrip("/") + "/")
    env.globals["helpline_countries"] = [c["code"] for c in countries(course.helplines)]
    # "former=id …": saved answers move to a renamed worksheet's id (journal/store.js moveRenamed).
    env.globals["renamed_worksheets"] = " ".join(f"{old}={w.id}" for w in course.worksheets.values() for old in w.formerly)
    env.globals["facts"] = course_facts(course, Path(config.docs_dir))
    cache = Path(os.environ.get("RT_JINJA_CACHE") or Path(config.config_file_path).parent / ".cache" / "jinja")
    cache.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = FileSystemBytecodeCache(str(cache))
    return env
