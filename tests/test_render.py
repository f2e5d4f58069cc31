"""Rendering without MkDocs: records in, semantic and escaped HTML out."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from course.data import Course, load_course
from course.facts import reading_minutes
from macros.render import Renderer, page_root
from tests.helpers import PROMPTS, WORKSHEET, write


@pytest.fixture
def course(data: Path) -> Course:
    return load_course(data)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(str(html), "lxml")


def labels_of(doc: BeautifulSoup) -> dict[str, str]:
    return {label["for"]: label.get_text(" ", strip=True) for label in doc.select("label[for]")}


def test_text_from_data_is_escaped(data: Path) -> None:
    write(data / "worksheets" / "tracker.yml", {**WORKSHEET, "title": "<script>alert(1)</script> & more"})
    write(data / "prompts.yml", [{**PROMPTS[0], "question": 'Why <img src=x onerror="alert(1)">?'}])
    renderer = Renderer(load_course(data))
    page = str(renderer.worksheet("tracker")) + str(renderer.reflection("consistency-small"))
    doc = soup(page)
    assert doc.find("script") is None and doc.find("img") is None
    assert doc.h1.get_text() == "<script>alert(1)</script> & more"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "Why &lt;img src=x onerror=”alert(1)”&gt;?" in page  # its quotes curled as loaded


def test_text_from_data_has_curly_quotes_and_ids_stay_as_written(data: Path) -> None:
    """Every text of a prompt and a worksheet is curled as it is loaded (model.Prose), so the page
    shows it curled; ids, and the storage keys and element ids made from them, are untouched."""
    quoted = {"title": "Partner's \"check-in\"", "summary": "Don't rush.", "instructions": "Say 'yes'.\n\nThe '90s."}
    field = {"type": "table", "id": "tracker", "label": "Who's who", "hint": "Write 'none'.", "columns": ["It's", "\"Kept\""],
             "row_labels": ["Day's end"]}
    scale = {"type": "scale", "id": "safety", "label": "How safe?", "low": "Not 'at all'", "high": "Can't say"}
    items = {"type": "checklist", "id": "done", "label": "Done", "items": ["We'll try"]}
    section = {"title": "The \"week\"", "intro": "It's yours.", "fields": [field, scale, items]}
    write(data / "worksheets" / "tracker.yml", {**WORKSHEET, **quoted, "sections": [section]})
    write(data / "prompts.yml", [{**PROMPTS[0], "question": "What's \"small\"?", "hint": "'Tiny' counts."}])
    renderer = Renderer(load_course(data))
    doc = soup(str(renderer.worksheet("tracker")) + str(renderer.reflection("consistency-small", ask_role=True)))
    text = doc.get_text()
    assert "'" not in text and '"' not in text
    for curled in ("Partner’s “check-in”", "Don’t rush.", "Say ‘yes’.", "The ’90s.",
                   "Who’s who", "Write ‘none’.", "It’s", "“Kept”", "Day’s end", "Not ‘at all’",
                   "Can’t say", "We’ll try", "The “week”", "It’s yours.", "What’s “small”?",
                   "‘Tiny’ counts."):
        assert curled in text, curled
    assert doc.select_one("[data-rt-worksheet]")["data-rt-worksheet"] == "tracker"
    assert doc.select_one("textarea[data-rt-key]")["data-rt-key"] == "prompt:consistency-small"
    assert {el["data-rt-key"] for el in doc.select("[data-rt-key^='ws:']")} >= {"ws:tracker:done:0", "ws:tracker:safety"}


def test_waitlist_messages_from_the_configuration_are_curled(course: Course) -> None:
    """The form's messages come from mkdocs.yml (`extra.waitlist`), not from the records; the
    script shows them as text, so they are curled as they are rendered."""
    messages = {"success": "You're on the list.", "invalid_email": "That's not an address.",
                "consent_missing": "Tick \"yes\".", "rate_limited": "Wait.", "unreachable": "We couldn't reach it."}
    form = {"action": "/api/waitlist", "method": "post", "json": True, "netlify": False, "email_field": "email",
            "consent_field": "consent", "honeypot_field": "website", "source": "landing", "messages": messages}
    doc = soup(Renderer(course).waitlist_form(form, {"app_name": "Wendo"}, "Join Wendo's list"))
    element = doc.select_one("form")
    assert element["data-rt-msg-success"] == "You’re on the list."
    assert element["data-rt-msg-consent-missing"] == "Tick “yes”."
    assert element["data-rt-msg-unreachable"] == "We couldn’t reach it."
    assert doc.select_one("button").get_text() == "Join Wendo’s list"


def test_the_check_inbox_message_falls_back_to_the_success_message(course: Course) -> None:
    """`check_inbox` (shown when the bundled service mailed a confirmation link) is optional."""
    form = {"action": "/api/waitlist", "method": "post", "json": True, "netlify": False, "email_field": "email",
            "consent_field": "consent", "honeypot_field": "website", "source": "landing",
            "messages": {"success": "On the list.", "invalid_email": "x", "consent_missing": "x",
                         "rate_limited": "x", "unreachable": "x"}}
    without = soup(Renderer(course).waitlist_form(form, {"app_name": "Wendo"}, "Join")).select_one("form")
    assert without["data-rt-msg-check-inbox"] == "On the list."
    form["messages"] = {**form["messages"], "check_inbox": "Check your inbox: we've mailed a link."}
    with_it = soup(Renderer(course).waitlist_form(form, {"app_name": "Wendo"}, "Join")).select_one("form")
    assert with_it["data-rt-msg-check-inbox"] == "Check your inbox: we’ve mailed a link."


def test_reflection_box_is_labelled_by_its_question_and_marked_with_its_role(course: Course) -> None:
    doc = soup(Renderer(course).reflection("consistency-small"))
    box = doc.select_one("div.rt-reflection")
    assert box["data-rt-role"] == "both" and box["data-rt-prompt"] == "consistency-small"
    textarea = doc.select_one("textarea")
    assert labels_of(doc)[textarea["id"]] == "What small thing?"
    assert textarea["data-rt-key"] == "prompt:consistency-small"
    assert "For both of you" in doc.get_text()


def test_worksheet_every_input_has_a_label(course: Course) -> None:
    doc = soup(Renderer(course).worksheet("tracker"))
    labels = labels_of(doc)
    inputs = doc.select("input, textarea")
    assert inputs and all(labels.get(element["id"]) or element.get("aria-label") for element in inputs)
    assert len({element["id"] for element in inputs}) == len(inputs)


def test_worksheet_groups_are_fieldsets_with_legends(course: Course) -> None:
    doc = soup(Renderer(course).worksheet("tracker"))
    legends = [fs.legend.get_text(strip=True) for fs in doc.select("fieldset")]
    assert legends == ["The week", "How safe?", "Done"]


def test_worksheet_sections_are_headings_below_the_title(data: Path) -> None:
    """Screen readers move through a worksheet by its headings: the title is the h1, each
    section's legend holds an h2 (no level skipped), with an id no field's id can take."""
    second = {"title": "Section 2", "fields": [
        {"type": "text", "id": "section-2", "label": "A field named like a section", "lines": 1},
        {"type": "text", "id": "tracker-caption", "label": "One named like a caption", "lines": 1},
    ]}
    write(data / "worksheets" / "tracker.yml", {**WORKSHEET, "sections": [*WORKSHEET["sections"], second]})
    doc = soup(Renderer(load_course(data)).worksheet("tracker"))
    assert [h.name for h in doc.select("h1, h2, h3, h4, h5, h6")] == ["h1", "h2", "h2"]
    sections = doc.select("fieldset.rt-worksheet__section")
    headings = [fs.select_one(":scope > legend.rt-worksheet__legend > h2.rt-worksheet__heading") for fs in sections]
    assert [h.get_text() for h in headings] == ["The week", "Section 2"]
    assert [h["id"] for h in headings] == ["rt-tracker__section-1", "rt-tracker__section-2"]
    ids = [element["id"] for element in doc.select("[id]")]
    assert len(ids) == len(set(ids))


def test_a_table_scrolls_in_a_focusable_region_named_by_its_caption(course: Course) -> None:
    """On a narrow screen the table scrolls in its own region rather than widen the page; the
    keyboard reaches the region, and a screen reader names it by the table's caption."""
    doc = soup(Renderer(course).worksheet("tracker"))
    region = doc.select_one("div.rt-field--table > div.rt-table-scroll")
    assert region["role"] == "region" and region["tabindex"] == "0"
    assert [child.name for child in region.find_all(recursive=False)] == ["table"]
    caption = region.select_one("table.rt-table > caption")
    assert region["aria-labelledby"] == caption["id"] == "rt-tracker--tracker__caption"
    assert caption.get_text() == "Promises"


def test_scale_is_a_radio_group_from_1_to_10(course: Course) -> None:
    doc = soup(Renderer(course).worksheet("tracker"))
    radios = doc.select("fieldset.rt-field--scale input[type=radio]")
    assert [r["value"] for r in radios] == [str(n) for n in range(1, 11)]
    assert len({r["name"] for r in radios}) == 1
    assert "1 = Not" in doc.select_one(".rt-scale__ends").get_text()


def test_writing_lines_follow_the_data(course: Course) -> None:
    doc = soup(Renderer(course).worksheet("tracker"))
    field = doc.select_one(".rt-field--text")
    assert len(field.select(".rt-lines .rt-line")) == 4


def test_table_has_named_columns_and_a_labelled_cell_per_row_and_column(course: Course) -> None:
    doc = soup(Renderer(course).worksheet("tracker"))
    table = doc.select_one("table.rt-table")
    assert [th.get_text(strip=True) for th in table.select("thead th")][1:] == ["Promise", "Kept?"]
    assert [th.get_text(strip=True) for th in table.select("tbody th")] == ["Day 1", "Day 2"]
    cells = table.select("tbody input")
    assert len(cells) == 4
    assert cells[1]["aria-label"] == "Day 1: Kept?"
    assert cells[1]["id"] not in labels_of(doc)  # no hidden text in the search index and PDFs (issue 15)


def test_instructions_keep_their_paragraphs(course: Course) -> None:
    doc = soup(Renderer(course).worksheet("tracker"))
    paragraphs = [p.get_text() for p in doc.select(".rt-worksheet__instructions p")]
    assert paragraphs == ["Each evening, five minutes.", "No speeches.",
                          "If this ever feels unsafe, stop. The Safety page says where to find help."]


def test_links_are_relative_to_the_page(course: Course) -> None:
    html = str(Renderer(course).chapter_worksheets("consistency", root="../"))
    assert soup(html).a["href"] == "../worksheets/tracker/"
    index = soup(Renderer(course).worksheet_index(root="../"))
    assert [h.get_text() for h in index.select("h2")] == ["2. Consistency, the skeleton of trust"]


def test_unknown_ids_raise_a_clear_error(course: Course) -> None:
    with pytest.raises(KeyError, match="no worksheet with id 'nope'; expected one defined in data/worksheets/nope.yml"):
        Renderer(course).worksheet("nope")


def test_page_root_and_reading_time() -> None:
    assert [page_root(u) for u in ("", "betrayal/", "worksheets/impact-map/")] == ["", "../", "../../"]
    assert reading_minutes("---\ntitle: x\n---\n" + "word " * 660 + '{{ reflection("a") }}') == 3


def test_waitlist_form_follows_its_configuration(course: Course) -> None:
    """Rebranding or moving to a hosted provider is configuration (extra.waitlist), not code."""
    import yaml as _yaml

    config = _yaml.safe_load((Path(__file__).parent.parent / "mkdocs.yml").read_text(encoding="utf-8").replace("!ENV", ""))
    form = {**config["extra"]["waitlist"], "action": "https://formspree.io/f/abcd", "json": False,
            "email_field": "EMAIL", "consent_field": "gdpr", "honeypot_field": "_gotcha"}
    doc = soup(Renderer(course).waitlist_form(form, {"app_name": "Acme"}, "Join Acme", root="../"))
    element = doc.select_one("form")
    assert element["action"] == "https://formspree.io/f/abcd" and element["method"] == "post"
    assert not element.has_attr("data-rt-json")  # a plain POST: the provider answers
    assert doc.select_one("#rt-waitlist-email")["name"] == "EMAIL"
    assert doc.select_one("#rt-waitlist-consent")["name"] == "gdpr"
    assert doc.select_one("#rt-waitlist-website")["name"] == "_gotcha"
    assert "Acme may email me" in doc.get_text() and doc.select_one("button").get_text() == "Join Acme"
    assert doc.select_one("a")["href"] == "../privacy/"
    labels = labels_of(doc)
    assert all(field["id"] in labels for field in doc.select("input:not([type=hidden])"))
