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

import sys
from pathlib import Path

from markupsafe import Markup, escape
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from macros.data import Course, CourseDataError, load_and_check_once  # noqa: E402
from macros.journal import JournalSettingsError, journal_settings  # noqa: E402


def _course(config) -> Course:  # type: ignore[no-untyped-def]
    project = Path(config.config_file_path).parent
    try:
        return load_and_check_once(project / "data", Path(config.docs_dir))
    except CourseDataError as error:
        raise PluginError(str(error)) from None


def _ordered(course: Course) -> list[str]:
    return [w.id for c in course.chapters for w in course.worksheets_of(c.id)]


def on_config(config):  # type: ignore[no-untyped-def]
    try:  # the journal's lock and discreet mode (overrides/partials/rt-lock.html, main.html)
        journal_settings(config.extra)
    except JournalSettingsError as error:
        raise PluginError(str(error)) from None
    pages = [f"worksheets/{worksheet_id}.md" for worksheet_id in _ordered(_course(config))]
    for item in config.nav or []:
        if isinstance(item, dict) and "Worksheets" in item:
            item["Worksheets"] = ["worksheets/index.md", *pages]
    return config


def on_files(files: Files, config) -> Files:  # type: ignore[no-untyped-def]
    course = _course(config)
    for worksheet_id in _ordered(course):
        worksheet = course.worksheets[worksheet_id]
        # Ids are checked against a pattern of lowercase letters, digits and hyphens (macros/data.py).
        content = f"---\nworksheet_id: {worksheet.id}\n---\n\n{{{{ worksheet({worksheet.id!r}) }}}}\n"
        files.append(File.generated(config, f"worksheets/{worksheet.id}.md", content=content))
    return files


@event_priority(-100)  # after mkdocs-macros has rendered the page
def on_page_markdown(markdown: str, page, config, files) -> str:  # type: ignore[no-untyped-def]
    """A generated worksheet page's title and description, as escaped text (see the docstring)."""
    worksheet_id = page.meta.get("worksheet_id")
    if worksheet_id and page.file.generated_by:
        worksheet = _course(config).worksheets[worksheet_id]
        page.meta["title"] = as_text(worksheet.title)
        page.meta["description"] = as_text(worksheet.summary)
    return markdown


def as_text(text: str) -> Markup:
    """Text from data/ as HTML that shows it literally: the form the theme's templates need."""
    return escape(str(text))


def on_env(env, config, files):  # type: ignore[no-untyped-def]
    """The theme's templates (overrides/main.html) show the same safety note the macros render,
    and style it by the reader's chosen country (data/helplines.yml)."""
    from macros.facts import course_facts
    from macros.helplines import countries
    from macros.render import Renderer

    course = _course(config)
    renderer = Renderer(course)
    env.globals["safety_note"] = lambda base_url: renderer.safety_note(base_url.rstrip("/") + "/")
    env.globals["helpline_countries"] = [c["code"] for c in countries(course.helplines)]
    env.globals["facts"] = course_facts(course, Path(config.docs_dir))
    return env
