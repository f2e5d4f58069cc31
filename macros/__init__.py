"""mkdocs-macros adapter: registers the course's macros. No logic lives here.

The course they render is the one the build's plugin loaded (sitebuild/plugin.py: `of(config)`),
and the HTML they return is noted in that plugin's `Blocks` (macros/blocks.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

# The package's modules are imported by the PDF engine and the build plugin as well, so this
# adapter imports what it uses when mkdocs-macros calls it, not when the package is imported.


def define_env(env) -> None:
    from course.data import read_pages
    from course.facts import course_facts
    from printing.pdf import PAGE_SIZES, site_from_config
    from sitebuild.plugin import of

    from .journal import journal_settings, render_journal
    from .render import Renderer, page_root

    plugin = of(env.conf)
    course = plugin.this_build()
    blocks = plugin.blocks
    renderer = Renderer(course, site_url=env.conf["site_url"] or "")
    facts = course_facts(course, Path(env.conf["docs_dir"]))
    minutes = facts.minutes
    env.variables["course"] = course
    env.variables["facts"] = facts
    site = site_from_config(env.conf)  # the brand (sitebuild/plugin.py has checked it)
    # The workbook's file names, which the build's PDF step writes: `{{ workbook_pdf.a4 }}`.
    env.variables["workbook_pdf"] = {size: site.workbook_file(size) for size in PAGE_SIZES}
    # And the therapist's pack's (printing/pack.py): `{{ pack_pdf.a4 }}`.
    env.variables["pack_pdf"] = {size: site.pack_file(size) for size in PAGE_SIZES}

    def root() -> str:
        return page_root(env.page.url)

    asked_on: set[str] = set()  # pages whose first prompt already carries the role question

    def reflection(prompt_id: str):
        first = env.page.url not in asked_on
        asked_on.add(env.page.url)
        return renderer.reflection(prompt_id, ask_role=first)

    def html(name: str, make: Callable[..., object]) -> None:
        """A macro returning HTML: noted for macros/blocks.py, which keeps it out of Markdown's way."""
        env.macro(lambda *args, **kwargs: blocks.record(env.page.file.src_uri, make(*args, **kwargs)), name)

    html("reflection", reflection)
    html("worksheet", lambda worksheet_id: renderer.worksheet(worksheet_id, root()))
    html("chapter_worksheets", lambda chapter_id: renderer.chapter_worksheets(chapter_id, root()))
    html("worksheet_index", lambda: renderer.worksheet_index(root()))
    html("chapter_cards", lambda: renderer.chapter_cards(minutes, root()))
    html("journal", lambda: render_journal(course, read_pages(Path(env.conf["docs_dir"])), root(),
                                           settings=journal_settings(env.conf["extra"]), brand=site))
    html("safety_note", lambda compact=False: renderer.safety_note(root(), compact))
    html("helplines", renderer.helplines)
    html("urgent_help", lambda heading=2: renderer.urgent_help(root(), heading))
    extra = env.conf["extra"]
    html("waitlist_form",
         lambda: renderer.waitlist_form(extra["waitlist"], extra["brand"], extra["landing"]["join_label"], root()))
    html("waitlist_action", renderer.waitlist_action)


def on_post_page_macros(env) -> None:
    """The macros' HTML blocks out of Markdown's way until it is done (macros/blocks.py), unless
    RT_MACRO_BLOCKS=markdown asks for them to go through Markdown (the pages come out the same:
    tests/test_blocks.py builds both ways)."""
    from sitebuild.plugin import of

    blocks = of(env.conf).blocks
    if os.environ.get("RT_MACRO_BLOCKS") == "markdown":
        blocks.forget(env.page.file.src_uri)
        return
    env.markdown = blocks.swap(env.page.file.src_uri, env.markdown)


def on_pre_page_macros(env) -> None:
    """Chapters show their reading time (read by overrides/main.html)."""
    from course.facts import reading_minutes

    if "chapter" in env.page.meta:
        env.page.meta["reading_time"] = reading_minutes(env.page.markdown)
