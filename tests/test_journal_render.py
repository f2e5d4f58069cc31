"""The journal page's outline and shell (macros/journal.py), without MkDocs: course order,
every field the JavaScript needs to show an answer with its question, escaping, controls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from course.data import Course, load_course
from macros.journal import JournalSettingsError, journal_outline, journal_settings, placed_prompt_order, render_journal
from tests.conftest import ROOT
from tests.helpers import PROMPTS, WORKSHEET, write

TWO_PROMPTS = [
    *PROMPTS,
    {"id": "consistency-later", "chapter": "consistency", "role": "hurt", "question": "Later?"},
    {"id": "betrayal-first", "chapter": "betrayal", "role": "broke-trust", "question": "First?", "hint": "h"},
]
PAGES = {
    "docs/betrayal.md": '{{ reflection("betrayal-first") }}\n',
    # the page places them in the opposite order to prompts.yml
    "docs/consistency.md": 'Prose.\n\n{{ reflection("consistency-later") }}\n\n{{ reflection("consistency-small") }}\n',
}


@pytest.fixture
def course(data: Path) -> Course:
    write(data / "prompts.yml", TWO_PROMPTS)
    return load_course(data)


def outline_of(html: str) -> dict:
    root = BeautifulSoup(str(html), "html.parser").select_one("[data-rt-journal]")
    return json.loads(root["data-rt-journal-outline"])


def test_chapters_come_in_course_order_with_prompts_in_reading_order_then_worksheets(course: Course) -> None:
    outline = journal_outline(course, PAGES, "../")
    assert [c["id"] for c in outline["chapters"]] == [c.id for c in course.chapters]
    assert [c["number"] for c in outline["chapters"]] == list(range(1, len(course.chapters) + 1))
    consistency = next(c for c in outline["chapters"] if c["id"] == "consistency")
    assert [i["key"] for i in consistency["items"]] == ["prompt:consistency-later", "prompt:consistency-small", "ws:tracker"]
    assert consistency["href"] == "../consistency/"


def test_prompts_not_found_on_their_page_keep_the_order_of_prompts_yml(course: Course) -> None:
    assert placed_prompt_order(course, {})["consistency"] == ["consistency-small", "consistency-later"]


def test_a_prompt_carries_its_question_role_and_a_link_back_to_its_box(course: Course) -> None:
    betrayal = journal_outline(course, PAGES, "../")["chapters"][0]
    assert betrayal["items"] == [{
        "kind": "prompt", "key": "prompt:betrayal-first", "question": "First?", "role": "broke-trust",
        "role_label": "For the partner who broke trust", "href": "../betrayal/#reflection-betrayal-first",
    }]


def test_worksheet_fields_carry_what_the_journal_needs_to_show_each_kind(course: Course) -> None:
    sheet = journal_outline(course, PAGES, "../")["chapters"][1]["items"][-1]
    assert sheet["title"] == WORKSHEET["title"] and sheet["href"] == "../worksheets/tracker/"
    fields = {f["type"]: f for f in sheet["fields"]}
    assert fields["table"] == {"type": "table", "key": "ws:tracker:tracker", "label": "Promises",
                               "columns": ["Promise", "Kept?"], "rows": ["Day 1", "Day 2"]}
    assert fields["checklist"]["items"] == ["a", "b"] and fields["checklist"]["key"] == "ws:tracker:done"
    assert (fields["scale"]["low"], fields["scale"]["high"]) == ("Not", "Very")
    assert [f["key"] for f in sheet["fields"]] == [f"ws:tracker:{f['id']}" for f in WORKSHEET["sections"][0]["fields"]]


def test_unlabelled_table_rows_are_numbered(course: Course, data: Path) -> None:
    sheet = json.loads(json.dumps(WORKSHEET))
    table = sheet["sections"][0]["fields"][0]
    del table["row_labels"]
    table["rows"] = 3
    write(data / "worksheets" / "tracker.yml", sheet)
    outline = journal_outline(load_course(data), PAGES)
    assert outline["chapters"][1]["items"][-1]["fields"][0]["rows"] == ["Row 1", "Row 2", "Row 3"]


def test_keys_match_the_data_rt_key_attributes_of_the_rendered_fields(course: Course) -> None:
    from macros.render import Renderer

    doc = BeautifulSoup(str(Renderer(course).worksheet("tracker")), "html.parser")
    rendered = {el["data-rt-key"] for el in doc.select("[data-rt-key]")}
    sheet = journal_outline(course, PAGES)["chapters"][1]["items"][-1]
    expected = set()
    for field in sheet["fields"]:
        if field["type"] == "checklist":
            expected |= {f"{field['key']}:{i}" for i in range(len(field["items"]))}
        elif field["type"] == "table":
            expected |= {f"{field['key']}:r{r}c{c}" for r in range(len(field["rows"])) for c in range(len(field["columns"]))}
        else:
            expected.add(field["key"])
    assert rendered == expected


def test_the_page_has_real_buttons_an_alert_region_and_a_no_javascript_explanation(course: Course) -> None:
    doc = BeautifulSoup(str(render_journal(course, PAGES, "../")), "html.parser")
    print_button = doc.select_one("button[data-rt-print]")
    assert print_button["type"] == "button" and print_button.get_text() == "Print my journal"
    for selector in ('[data-rt-export="json"]', '[data-rt-export="markdown"]', '[data-rt-import="mine"]',
                     '[data-rt-import="partner"]', "[data-rt-partner-remove]", "[data-rt-delete]",
                     "[data-rt-delete-yes]", "[data-rt-delete-no]"):
        button = doc.select_one(selector)
        assert button.name == "button" and button["type"] == "button" and button.get_text(strip=True), selector
    assert doc.select_one("[data-rt-journal-alert]")["role"] == "alert"
    assert doc.select_one("[data-rt-journal-status]")["role"] == "status"
    assert "needs JavaScript" in doc.select_one("[data-rt-journal-nojs]").get_text()
    # Which of the two shows is decided by CSS from the first paint (html.rt-js), not by hidden.
    assert doc.select_one("[data-rt-journal-nojs]").has_attr("data-rt-no-js")
    assert doc.select_one("[data-rt-journal-app]").has_attr("data-rt-needs-js")
    assert not doc.select("[data-rt-journal-nojs][hidden], [data-rt-journal-app][hidden]")
    assert doc.select_one("[data-rt-delete-confirm]").has_attr("hidden")
    assert doc.find("script") is None  # instant navigation would run it as a script
    assert outline_of(render_journal(course, PAGES, "../")) == journal_outline(course, PAGES, "../")


def test_text_from_data_cannot_leave_the_outline_attribute(data: Path) -> None:
    nasty = """It's "quoted" </div><script>alert(1)</script> & more"""
    write(data / "prompts.yml", [{**PROMPTS[0], "question": nasty}])
    course = load_course(data)
    html = str(render_journal(course, {}))
    doc = BeautifulSoup(html, "html.parser")
    assert doc.find("script") is None and len(doc.select("[data-rt-journal]")) == 1
    assert "<script>" not in html and "'" not in html.split("data-rt-journal-outline='", 1)[1].split("'>", 1)[0]
    consistency = outline_of(html)["chapters"][1]
    assert consistency["items"][0]["question"] == "It’s “quoted” </div><script>alert(1)</script> & more"


def test_the_outline_carries_curly_text_and_ids_as_written(data: Path) -> None:
    """The journal page's script (journal-page.js) shows the outline's words beside the reader's
    answers, and the Markdown export repeats them: the same curled text as the pages. Keys and
    links keep the ids as written."""
    write(data / "prompts.yml", [{**PROMPTS[0], "question": "What's \"small\"?"}])
    sheet = json.loads(json.dumps(WORKSHEET))
    sheet["title"] = "Partner's tracker"
    sheet["sections"][0]["fields"][0]["columns"] = ["It's", "Kept?"]
    sheet["sections"][0]["fields"][3]["items"] = ["We'll try", "b"]
    write(data / "worksheets" / "tracker.yml", sheet)
    consistency = journal_outline(load_course(data), {})["chapters"][1]
    prompt, worksheet = consistency["items"]
    assert prompt["question"] == "What’s “small”?" and prompt["key"] == "prompt:consistency-small"
    assert worksheet["title"] == "Partner’s tracker" and worksheet["key"] == "ws:tracker"
    fields = {f["type"]: f for f in worksheet["fields"]}
    assert fields["table"]["columns"] == ["It’s", "Kept?"] and fields["checklist"]["items"] == ["We’ll try", "b"]


@pytest.mark.parametrize(("journal", "field"), [
    (None, "extra.journal_privacy: missing"),
    ({"lock_after_minutes": 0, "discreet": {"title": "Notes", "icon": "a.svg"}}, "extra.journal_privacy.lock_after_minutes"),
    ({"lock_after_minutes": "15", "discreet": {"title": "Notes", "icon": "a.svg"}}, "extra.journal_privacy.lock_after_minutes"),
    ({"lock_after_minutes": 15}, "extra.journal_privacy.discreet: missing"),
    ({"lock_after_minutes": 15, "discreet": {"title": 'Say "hi"', "icon": "a.svg"}}, "extra.journal_privacy.discreet.title"),
    ({"lock_after_minutes": 15, "discreet": {"title": "Notes", "icon": "../secret.svg"}}, "extra.journal_privacy.discreet.icon"),
    ({"lock_after_minutes": 15, "discreet": {"title": "Notes", "icon": "a.gif"}}, "extra.journal_privacy.discreet.icon"),
])
def test_journal_privacy_settings_are_checked_and_named(journal, field) -> None:  # type: ignore[no-untyped-def]
    extra = {} if journal is None else {"journal_privacy": journal}
    with pytest.raises(JournalSettingsError) as raised:
        journal_settings(extra)
    assert str(raised.value).startswith("mkdocs.yml: " + field)


def test_journal_privacy_settings_as_shipped() -> None:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!ENV", lambda loader, node: None)
    Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    assert journal_settings(config["extra"]) == {
        "lock_after_minutes": 15, "discreet": {"title": "Notes", "icon": "assets/images/discreet.svg"}}
