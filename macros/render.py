"""Pure renderers: course records in, HTML out, through Jinja templates with autoescape.

`root` arguments are the relative path from the page being rendered to the site root
(`""` on the home page, `"../"` on a chapter), so links work wherever the site is served.
"""

from __future__ import annotations

import os
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from course.data import Course
from course.helplines import countries
from course.model import ROLE_LABELS, WHO_LABELS, Chapter, Worksheet
from course.typography import curly_quotes

from .address import public_address

# Who a reader can say they are (ROLE_NAMES in overrides/assets/js/journal/role.js, partials/rt-role.html).
READER_ROLES = [
    ("hurt", "the partner who was hurt"),
    ("broke-trust", "the partner who broke trust"),
    ("both", "both of us, together"),
    ("reading", "just reading"),
]

TEMPLATES = Path(__file__).parent / "templates"
PDF_SIZES = (("a4", "A4"), ("letter", "US Letter"))
# The waitlist pages' forms (docs/waitlist/): action -> the button's label.
WAITLIST_ACTIONS = {"confirm": "Confirm my address", "unsubscribe": "Remove my address",
                    "remove": "Remove my address"}


def page_root(url: str) -> str:
    """Relative path to the site root from a page at `url` (MkDocs directory URLs)."""
    return "../" * url.strip("/").count("/") + ("../" if url.strip("/") else "")


def template_environment(templates: Path) -> Environment:
    """The Jinja environment the macros' templates render in (the Renderer's, the journal's).

    Compiled templates are kept across builds in Jinja's bytecode cache, under
    `$RT_JINJA_CACHE/macros/` (by default `.cache/jinja/macros/` in the project, beside the
    theme's: sitebuild/plugin.py). Jinja keys each by the template's file and checks it against a
    hash of its source, so an edited template is compiled again. Every environment made here has
    the same options, so they may share the folder; compiling took a tenth of every build."""
    cache = Path(os.environ.get("RT_JINJA_CACHE") or Path(__file__).resolve().parent.parent / ".cache" / "jinja") / "macros"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        bytecode = FileSystemBytecodeCache(str(cache))
    except OSError:  # a read-only checkout: templates are compiled at each build, as without a cache
        bytecode = None
    return Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=bytecode,
    )


class Renderer:
    def __init__(self, course: Course, templates: Path = TEMPLATES, site_url: str = "") -> None:
        """`site_url`: the address the site is served from. Paper shows the Safety page's
        address in full (in the safety note) when it is public (macros/address.py); a build for
        this machine prints none."""
        self.course = course
        address = public_address(site_url)
        self.safety_address = (address.rstrip("/") + "/safety/") if address else ""
        self.env = template_environment(templates)
        self.env.globals.update(who_labels=WHO_LABELS, pdfs=PDF_SIZES)
        # Data records arrive curled (model.Prose); configuration text (mkdocs.yml `extra`) does not.
        self.env.filters["curly_quotes"] = curly_quotes

    def _render(self, template: str, **context: object) -> Markup:
        return Markup(self.env.get_template(template).render(**context).strip())

    def reflection(self, prompt_id: str, ask_role: bool = False) -> Markup:
        """A reflection prompt; with `ask_role` (the page's first prompt), the "Who is reading?"
        question just before it."""
        prompt = self._lookup(self.course.prompts, prompt_id, "prompt", "data/prompts.yml")
        html = self._render("reflection.html", prompt=prompt, role_label=ROLE_LABELS[prompt.role])
        if ask_role:
            html = self._render("role_ask.html", choices=READER_ROLES) + Markup("\n") + html
        return html

    def safety_note(self, root: str = "", compact: bool = False) -> Markup:
        """The short safety note: not therapy, not for abuse, and each country's emergency
        number, crisis line and abuse lines (data/helplines.yml), a link to the rest."""
        if not self.course.helplines:
            return Markup("")
        return self._render("safety_note.html", countries=countries(self.course.helplines), root=root, compact=compact,
                            safety_url=self.safety_address)

    def helplines(self) -> Markup:
        """Every helpline, by country, for the Safety page, with the country chooser."""
        return self._render("helplines.html", countries=countries(self.course.helplines))

    def urgent_help(self, root: str = "", heading: int = 2) -> Markup:
        """"If you are in danger now": each country's emergency number, crisis line and main abuse
        lines as large tel: and sms: links (the reader's country's shown, as in the safety note),
        a link to the full list. `heading`: its heading's level, 2 or 3."""
        if heading not in (2, 3):
            raise ValueError(f"urgent_help(heading={heading!r}): expected 2 (first on a page) or 3 (inside a section)")
        if not self.course.helplines:
            return Markup("")
        return self._render("urgent_help.html", countries=countries(self.course.helplines), root=root, heading=heading)

    def worksheet(self, worksheet_id: str, root: str = "") -> Markup:
        worksheet: Worksheet = self._lookup(
            self.course.worksheets, worksheet_id, "worksheet", f"data/worksheets/{worksheet_id}.yml"
        )
        return self._render(
            "worksheet.html",
            worksheet=worksheet,
            chapter=self.course.chapter(worksheet.chapter),
            who_label=WHO_LABELS[worksheet.who],
            root=root,
            safety_note=self.safety_note(root, compact=True),
        )

    def worksheet_cards(self, worksheets: list[Worksheet], root: str = "") -> Markup:
        return self._render("cards.html", worksheets=worksheets, root=root)

    def chapter_worksheets(self, chapter_id: str, root: str = "") -> Markup:
        self.course.chapter(chapter_id)
        return self.worksheet_cards(self.course.worksheets_of(chapter_id), root)

    def worksheet_index(self, root: str = "") -> Markup:
        groups = [(n, c, self.course.worksheets_of(c.id)) for n, c in enumerate(self.course.chapters, 1)]
        return self._render("worksheet_index.html", groups=[g for g in groups if g[2]], root=root)

    def chapter_cards(self, minutes: dict[str, int], root: str = "") -> Markup:
        chapters: list[tuple[Chapter, int]] = [(c, minutes[c.id]) for c in self.course.chapters]
        return self._render("chapter_cards.html", chapters=chapters, root=root)

    def waitlist_form(self, form: dict, brand: dict, label: str, root: str = "") -> Markup:
        """The waitlist form, configured by `extra.waitlist` (action, method, field names)."""
        return self._render("waitlist_form.html", form=form, brand=brand, label=label, root=root)

    def waitlist_action(self, kind: str) -> Markup:
        """The form of a waitlist page of the bundled service: confirm, unsubscribe or remove."""
        if kind not in WAITLIST_ACTIONS:
            raise KeyError(f"no waitlist action {kind!r}; expected one of {', '.join(WAITLIST_ACTIONS)}")
        return self._render("waitlist_action.html", kind=kind, label=WAITLIST_ACTIONS[kind])

    @staticmethod
    def _lookup(table: dict, key: str, kind: str, where: str):
        if key not in table:
            raise KeyError(f"no {kind} with id {key!r}; expected one defined in {where}")
        return table[key]
