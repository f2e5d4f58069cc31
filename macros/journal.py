"""The journal page: every reflection prompt and worksheet field of the course, in course order.

The reader's answers never leave their browser, so the page that shows them is drawn there
(overrides/assets/js/journal/). The build supplies what the script cannot know: the
questions, labels, checklist items, table headings and links, as JSON in one attribute (not
indexed by search), plus the page's controls. Storage keys match the
`data-rt-key` attributes of fields.html and reflection.html; JOURNAL.md documents them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup

from course.data import MACRO_CALL, Course
from course.model import (
    ROLE_LABELS,
    BaseField,
    ChecklistField,
    ScaleField,
    TableField,
    Worksheet,
)

from .render import template_environment

TEMPLATES = Path(__file__).parent / "templates"
JOURNAL_FORMAT = "rebuilding-trust-journal"
JOURNAL_VERSION = 1
MAX_IMPORT_BYTES = 1024 * 1024


def placed_prompt_order(course: Course, pages: Mapping[str, str]) -> dict[str, list[str]]:
    """Each chapter's prompt ids in the order a reader meets them: the order of the
    `reflection()` calls in `docs/<chapter>.md`, then any unplaced ones in prompts.yml order."""
    order: dict[str, list[str]] = {}
    for chapter in course.chapters:
        markdown = next((text for path, text in pages.items() if Path(path).as_posix().endswith(f"docs/{chapter.id}.md")), "")
        placed = [ident for kind, ident in MACRO_CALL.findall(markdown) if kind == "reflection"]
        own = [p.id for p in course.prompts_of(chapter.id)]
        seen = [ident for ident in dict.fromkeys(placed) if ident in own]
        order[chapter.id] = seen + [ident for ident in own if ident not in seen]
    return order


def field_outline(worksheet: Worksheet, field: BaseField) -> dict[str, Any]:
    """One worksheet field as the journal shows it; `key` is its `data-rt-key` (or the prefix
    of its item and cell keys, for checklists and tables)."""
    entry: dict[str, Any] = {"type": field.type, "key": f"ws:{worksheet.id}:{field.id}", "label": field.label}  # type: ignore[attr-defined]
    if isinstance(field, ChecklistField):
        entry["items"] = list(field.items)
    elif isinstance(field, ScaleField):
        entry["low"], entry["high"] = field.low, field.high
    elif isinstance(field, TableField):
        entry["columns"] = list(field.columns)
        entry["rows"] = [name or f"Row {index}" for index, name in enumerate(field.row_names, 1)]
    return entry


def journal_outline(course: Course, pages: Mapping[str, str], root: str = "") -> dict[str, Any]:
    """Chapters in course order, each with its prompts (in reading order) then its worksheets.
    Links are relative to the journal page (`root` is the path from it to the site root)."""
    order = placed_prompt_order(course, pages)
    chapters = []
    for number, chapter in enumerate(course.chapters, 1):
        items: list[dict[str, Any]] = []
        for prompt_id in order[chapter.id]:
            prompt = course.prompts[prompt_id]
            items.append({
                "kind": "prompt",
                "key": f"prompt:{prompt.id}",
                "question": prompt.question,
                "role": prompt.role,
                "role_label": ROLE_LABELS[prompt.role],
                "href": f"{root}{chapter.id}/#reflection-{prompt.id}",
            })
        for worksheet in course.worksheets_of(chapter.id):
            items.append({
                "kind": "worksheet",
                "key": f"ws:{worksheet.id}",
                "title": worksheet.title,
                "href": f"{root}worksheets/{worksheet.id}/",
                "fields": [field_outline(worksheet, field) for field in worksheet.fields],
            })
        chapters.append({"id": chapter.id, "number": number, "title": chapter.title,
                         "href": f"{root}{chapter.id}/", "items": items})
    return {"format": JOURNAL_FORMAT, "version": JOURNAL_VERSION, "max_import_bytes": MAX_IMPORT_BYTES,
            "chapters": chapters}


class JournalSettingsError(ValueError):
    """`extra.journal_privacy` in mkdocs.yml is not what the journal's lock and discreet mode expect."""


def journal_settings(extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra.journal_privacy` of mkdocs.yml, checked: how many idle minutes lock a journal again, and
    the neutral tab title and icon of discreet mode (JOURNAL.md). Raises JournalSettingsError
    naming the field and what it should be."""
    journal = extra.get("journal_privacy")
    where = "mkdocs.yml: extra.journal_privacy"
    if not isinstance(journal, Mapping):
        raise JournalSettingsError(f"{where}: missing; expected lock_after_minutes and discreet (title, icon)")
    minutes = journal.get("lock_after_minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 1440:
        raise JournalSettingsError(
            f"{where}.lock_after_minutes: expected a whole number of minutes from 1 to 1440, got {minutes!r}")
    discreet = journal.get("discreet")
    if not isinstance(discreet, Mapping):
        raise JournalSettingsError(f"{where}.discreet: missing; expected a title and an icon")
    title = discreet.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 40 or re.search(r"[\"'`<>\\{}]", title):
        raise JournalSettingsError(
            f"{where}.discreet.title: expected a short plain title such as Notes (1-40 characters, "
            f"no quotes, angle brackets or braces), got {title!r}")
    icon = discreet.get("icon")
    if not isinstance(icon, str) or not re.fullmatch(r"[A-Za-z0-9_./-]+\.(svg|png|ico)", icon) or ".." in icon:
        raise JournalSettingsError(
            f"{where}.discreet.icon: expected the path of an .svg, .png or .ico file in docs/ or overrides/, got {icon!r}")
    return {"lock_after_minutes": minutes, "discreet": {"title": title.strip(), "icon": icon}}


def render_journal(course: Course, pages: Mapping[str, str], root: str = "", templates: Path = TEMPLATES,
                   settings: Mapping[str, Any] | None = None, brand: Any = None) -> Markup:
    """The journal page's shell: a no-JavaScript explanation, the controls, message regions and
    the outline for journal.js. `tojson` escapes `'`, `<`, `>` and `&`, so no text from the data
    can leave the single-quoted attribute that holds it. `brand` (a printing.pdf.Site) gives the
    exports' heading and file names (`data-rt-brand`, `data-rt-brand-slug`)."""
    outline = journal_outline(course, pages, root)
    settings = settings or {"lock_after_minutes": 15, "discreet": {"title": "Notes"}}
    html = template_environment(templates).get_template("journal.html").render(
        outline=outline, lock_minutes=settings["lock_after_minutes"], discreet_title=settings["discreet"]["title"],
        brand_name=brand.name if brand else None, brand_slug=brand.file_slug if brand else None)
    return Markup(re.sub(r"\n{2,}", "\n", html).strip())
