"""Typography (issue 14): curly quotes and apostrophes everywhere a reader looks, one dash style.

The pages' Markdown is curled by Python-Markdown's `smarty` extension (mkdocs.yml); text from
data/*.yml by course/typography.py as it is loaded (model.Prose). These tests pin the function,
show that smarty leaves heading ids alone, and read every built page, and one PDF, for what
is left: a straight quote, or a spaced dash where the style is the unspaced em dash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import markdown
import pytest
import yaml
from bs4 import BeautifulSoup, NavigableString

from course.data import load_course
from course.typography import curly_quotes
from tests.conftest import ROOT, page_paths

STRAIGHT_QUOTE = re.compile(r"""['"]""")
MACHINE_KEYS = {"format", "key", "href", "kind", "role", "id", "type", "chapter", "who"}


def words(value: object) -> Iterator[str]:
    """The strings of a record or of the journal's outline a reader is shown (not ids or keys)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in MACHINE_KEYS:
                yield from words(item)
    elif isinstance(value, list):
        for item in value:
            yield from words(item)
    elif isinstance(value, str):
        yield value


# --- the function -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("straight", "curly"),
    [
        ("don't", "don\u2019t"),
        ("your partner's answer", "your partner\u2019s answer"),
        ("the partners' answers", "the partners\u2019 answers"),
        ('a "sliding door moment" here', "a \u201csliding door moment\u201d here"),
        ('"How could you?"', "\u201cHow could you?\u201d"),
        ('she said\u2014"not yet."', "she said\u2014\u201cnot yet.\u201d"),
        ("\u2014'not yet'", "\u2014\u2018not yet\u2019"),
        ('"He said \'never again\' to me."', "\u201cHe said \u2018never again\u2019 to me.\u201d"),
        ("\"'Never again,' I said.\"", "\u201c\u2018Never again,\u2019 I said.\u201d"),
        ("in the '90s", "in the \u201990s"),
        ("rock 'n' roll", "rock \u2019n\u2019 roll"),
        ("('quietly')", "(\u2018quietly\u2019)"),
        ('say "no."\n"Yes," she said', "say \u201cno.\u201d\n\u201cYes,\u201d she said"),
        ("\u201cI'm here.\u201d", "\u201cI\u2019m here.\u201d"),
    ],
)
def test_curly_quotes(straight: str, curly: str) -> None:
    """Each kind of quote: apostrophes inside and after words, quotes opening at the start, after
    a space, bracket or em dash, closing after a word or punctuation, nested, a decade, an elision,
    and text already half curled."""
    assert curly_quotes(straight) == curly


@pytest.mark.parametrize("text", ["", "No quotes here \u2014 none.", "\u201cAlready\u201d curled\u2019", "<b> & &amp; 5 < 6"])
def test_text_without_straight_quotes_is_returned_unchanged(text: str) -> None:
    """Plain text in and out: no escaping, no tags read, nothing but `'` and `"` ever changes."""
    assert curly_quotes(text) == text


def test_only_the_quote_characters_change() -> None:
    text = """It's "<i>x</i>" & 'y' -- 5'10" ... \u2014"z\""""
    out = curly_quotes(text)
    assert len(out) == len(text) and "'" not in out and '"' not in out
    assert [a for a, b in zip(text, out, strict=True) if a != b] == [c for c in text if c in "'\""]
    assert curly_quotes(out) == out  # curling twice changes nothing


def test_the_course_data_is_curled_as_it_is_loaded() -> None:
    """Every text of the real data, as the renderers, the journal and the PDFs receive it."""
    course = load_course(ROOT / "data")
    records = [*course.chapters, *course.prompts.values(), *course.worksheets.values()]
    problems = [f"{type(r).__name__} {r.id}: {text!r}" for r in records for text in words(r.model_dump()) if STRAIGHT_QUOTE.search(text)]
    assert not problems, problems


# --- smarty, in the Markdown ----------------------------------------------------------------


def markdown_extensions() -> tuple[list[str], dict[str, dict]]:
    """mkdocs.yml's `markdown_extensions`, as Python-Markdown takes them."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace("!ENV", ""))
    names, configs = [], {}
    for entry in config["markdown_extensions"]:
        name, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(name)
        if options:
            configs[name] = options
    return names, configs


def to_html(source: str, smarty: bool = True) -> str:
    names, configs = markdown_extensions()
    if not smarty:
        names = [n for n in names if n != "smarty"]
    return markdown.markdown(source, extensions=names, extension_configs=configs)


def test_smarty_is_configured_for_quotes_and_ellipses_only() -> None:
    """Quotes and ellipses become the characters themselves (not entities, so the table of
    contents and the search index hold the same text); dashes are typed, never made."""
    names, configs = markdown_extensions()
    assert "smarty" in names
    html = to_html("""It's "quoted" -- and --- not dashes... `it's code`""")
    assert html == "<p>It\u2019s \u201cquoted\u201d -- and --- not dashes\u2026 <code>it's code</code></p>"


def test_smarty_curls_headings_admonition_titles_and_html_with_markdown_but_not_raw_html() -> None:
    source = (
        '## Why it doesn\'t land "equally" { #equally }\n\n'
        '!!! abstract "What you\'ll take"\n\n    Partner\'s words.\n\n'
        '<div class="x" title="don\'t" markdown>\nInside\'s "Markdown".\n</div>\n\n'
        '<p class="raw">Raw HTML isn\'t Markdown.</p>\n'
    )
    assert to_html(source) == (
        '<h2 id="equally">Why it doesn\u2019t land \u201cequally\u201d</h2>\n'
        '<div class="admonition abstract">\n<p class="admonition-title">What you\u2019ll take</p>\n'
        "<p>Partner\u2019s words.</p>\n</div>\n"
        '<div class="x" title="don\'t">\n<p>Inside\u2019s \u201cMarkdown\u201d.</p>\n</div>\n'
        '<p class="raw">Raw HTML isn\'t Markdown.</p>'
    )


def heading_ids(html: str) -> list[str]:
    return re.findall(r'<h[1-6][^>]* id="([^"]+)"', html)


@pytest.mark.parametrize("page", sorted((ROOT / "docs").rglob("*.md")), ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_smarty_leaves_every_heading_id_as_it_was(page: Path) -> None:
    """Chapter sections are linked by their ids (the journal, the contents, other pages): the
    slug drops `’` exactly as it dropped `'`, so no anchor moves."""
    source = page.read_text(encoding="utf-8")
    assert heading_ids(to_html(source)) == heading_ids(to_html(source, smarty=False))


# --- the built site -------------------------------------------------------------------------

NOT_PROSE = {"code", "pre", "script", "style", "textarea", "template"}
# A dash with a space on both sides: the style is the unspaced em dash ("word—word").
SPACED_DASH = re.compile(r"(?<=\S) (?:\u2014|\u2013|-) (?=\S)")
# Attributes whose words a reader is shown or read aloud, and the waitlist form's messages.
SHOWN_ATTRIBUTES = re.compile(r"^(alt|title|placeholder|aria-label|aria-description|data-rt-msg-.+)$")


def document(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "lxml")


def prose(doc: BeautifulSoup) -> str:
    """The text of <body> a reader sees as prose: text nodes outside code, scripts, styles and
    text boxes, joined as they stand in the page (attribute values are not text nodes)."""
    parts = []
    for node in doc.body.find_all(string=True):
        if type(node) is NavigableString and not any(parent.name in NOT_PROSE for parent in node.parents):
            parts.append(str(node))
    return "".join(parts)


def offences(text: str, pattern: re.Pattern[str]) -> Iterator[str]:
    for match in pattern.finditer(text):
        snippet = " ".join(text[max(0, match.start() - 35) : match.end() + 35].split())
        yield f"{match.group(0).strip() or match.group(0)!r} in \u201c\u2026{snippet}\u2026\u201d"


def report(site: Path, find: object) -> str:
    lines = []
    for path in page_paths(site):
        lines += [f"{path or '(landing)'}: {found}" for found in find(document(site, path))]  # type: ignore[operator]
    return "\n".join(lines)


def test_no_straight_quotes_in_the_prose_of_any_page(site: Path) -> None:
    problems = report(site, lambda doc: offences(prose(doc), STRAIGHT_QUOTE))
    assert not problems, "straight quotes in the text of the built pages:\n" + problems


def test_no_spaced_dashes_in_the_prose_of_any_page(site: Path) -> None:
    """One dash style: the unspaced em dash. A spaced em dash, en dash or hyphen used as a dash
    is reported with its page and words."""
    problems = report(site, lambda doc: offences(prose(doc), SPACED_DASH))
    assert not problems, "spaced dashes in the text of the built pages:\n" + problems


def shown_attribute_text(doc: BeautifulSoup) -> Iterator[str]:
    for element in doc.body.find_all(True):
        for name, value in element.attrs.items():
            if SHOWN_ATTRIBUTES.match(name):
                yield value if isinstance(value, str) else " ".join(value)


def test_no_straight_quotes_in_words_shown_from_attributes(site: Path) -> None:
    """Labels read aloud and the waitlist form's messages reach the reader from attributes."""
    problems = report(site, lambda doc: (f for text in shown_attribute_text(doc) for f in offences(text, STRAIGHT_QUOTE)))
    assert not problems, "straight quotes in words shown from attributes:\n" + problems


def test_no_straight_quotes_in_the_journals_outline(site: Path) -> None:
    """journal-page.js shows the outline's questions, labels and items (the file the build moved
    it to, publish/outline.py)."""
    files = sorted(site.rglob("outline.*.json"))
    assert files, "no journal outline file in the built site"
    problems = [f"{path.relative_to(site)}: {found}" for path in files
                for text in words(json.loads(path.read_text(encoding="utf-8"))) for found in offences(text, STRAIGHT_QUOTE)]
    assert not problems, "straight quotes in the journal's outline:\n" + "\n".join(problems)


def test_no_straight_quotes_in_page_titles_and_descriptions(site: Path) -> None:
    """The browser tab, bookmarks and link previews show the page's title and description."""

    def head(doc: BeautifulSoup) -> Iterator[str]:
        texts = [doc.title.get_text()] if doc.title else []
        texts += [m.get("content", "") for m in doc.select('meta[name="description"], meta[property^="og:"], meta[name^="twitter:"]')
                  if not m.get("content", "").startswith("http")]
        return (f for text in dict.fromkeys(texts) for f in offences(text, STRAIGHT_QUOTE))

    problems = report(site, head)
    assert not problems, "straight quotes in titles and descriptions:\n" + problems


def test_a_worksheet_pdf_has_curly_quotes(site: Path) -> None:
    """The PDFs are laid out from the same curled records: read one back (the worksheet with the
    most apostrophes) and find the curled words and no straight quote."""
    from tests.print.helpers import COURSE, pdf_reader, pdf_text

    worksheet = max(COURSE.worksheets.values(), key=lambda w: w.model_dump_json().count("\u2019"))
    text = pdf_text(pdf_reader((site / "worksheets" / worksheet.id / f"{worksheet.id}-a4.pdf").read_bytes()))
    assert "\u2019" in text and worksheet.title in text
    assert not list(offences(text, STRAIGHT_QUOTE)), f"{worksheet.id}-a4.pdf: {list(offences(text, STRAIGHT_QUOTE))}"
