"""Issue 29, help that looks urgent, and a journal that leads with the reader's entries, in the
HTML (the browser half: tests/browser/test_urgent_help.py). The "If you are in danger now" box
(macros/templates/urgent_help.html): each listed country's emergency number, crisis line and main
abuse lines as tel: and sms: links whose words are the number, first on the Safety page and in
Start here's "Is this abuse?"; the Safety page's full list as a table per country; the journal's
entries before one "Manage your journal" section holding every tool."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from pydantic import ValidationError

from course.data import load_course
from course.helplines import Helpline, countries
from macros.journal import render_journal
from macros.render import Renderer
from tests.conftest import ROOT
from tests.helpers import LINE, doc, problems, text

HELPLINES = yaml.safe_load((ROOT / "data" / "helplines.yml").read_text(encoding="utf-8"))
CODES = list(dict.fromkeys(h["country_code"] for h in HELPLINES))
COURSE = load_course(ROOT / "data")


def digits(number: str) -> str:
    return re.sub(r"[^0-9]", "", number)


def box(root: str = "../", heading: int = 2) -> BeautifulSoup:
    return BeautifulSoup(str(Renderer(COURSE).urgent_help(root, heading)), "html.parser")


# --- texting a line -----------------------------------------------------------------------


def helpline(**fields: str) -> Helpline:
    base = {"id": "xx", "country": "Testland", "country_code": "xx", "emergency": "112", "service": "Test",
            "kind": "abuse", "phone": "0800 000 000", "source": "https://example.org/", "checked": "2026-11-30"}
    return Helpline.model_validate({**base, **fields})


@pytest.mark.parametrize(("text_", "sms"), [
    ("Text 988", "sms:988"),
    ("Text 0477 13 11 14", "sms:0477131114"),
    ("Text START to 88788", "sms:88788?&body=START"),
    ("Text 7", "sms:7"),
])
def test_a_lines_text_number_becomes_an_sms_link(text_: str, sms: str) -> None:
    assert helpline(text=text_).sms == sms


def test_a_line_without_a_text_number_has_no_sms_link() -> None:
    assert helpline().sms is None


@pytest.mark.parametrize("wrong", ["Call 988", "Text us on 988", "text 988", "Text START to", "Text 988 anytime"])
def test_a_text_field_that_names_no_number_is_refused(wrong: str) -> None:
    with pytest.raises(ValidationError, match="expected \"Text\" and the number"):
        helpline(text=wrong)


def test_a_text_mistake_is_named_with_its_file_line_and_fix(tmp_path: Path) -> None:
    found = problems(tmp_path, LINE.replace('  phone: "0800 000 000"\n', '  phone: "0800 000 000"\n  text: Call us\n', 1))
    assert found == ["data/helplines.yml:8: helpline 'xx-line', text: got 'Call us'; expected \"Text\" and the number, "
                     "like \"Text 0477 13 11 14\", or the word to send first, like \"Text START to 88788\""]


def test_every_text_number_in_the_data_makes_an_sms_link() -> None:
    texted = [h for h in COURSE.helplines if h.text]
    assert texted and all(h.sms and h.sms.startswith("sms:") and digits(h.text) in h.sms for h in texted)


def test_emergency_numbers_are_each_number_in_the_countrys_emergency() -> None:
    numbers = {c["code"]: c["emergency_numbers"] for c in countries(COURSE.helplines)}
    assert numbers["ie"] == ["112", "999"] and numbers["uk"] == ["999"] and numbers["other"] == []


# --- the box --------------------------------------------------------------------------------


def test_the_box_is_a_named_region_with_a_heading() -> None:
    html = box()
    region = html.select_one("section[data-rt-urgent]")
    heading = html.select_one("#" + region["aria-labelledby"])
    assert heading.name == "h2" and heading.get_text() == "If you are in danger now"
    assert [h.name for h in region.select(".rt-urgent__name")] == ["h3"] * len(CODES)
    inside = box(heading=3)
    assert inside.select_one("#rt-urgent-title").name == "h3" and inside.select_one(".rt-urgent__name").name == "h4"
    with pytest.raises(ValueError, match="heading=5"):
        Renderer(COURSE).urgent_help("", 5)


def test_the_box_holds_every_country_in_the_safety_notes_markup() -> None:
    """A block per country in file order, `data-rt-helpline-country` on each, inside the list the
    safety note's show-one-country rules also match (main.html's head, rt.css)."""
    blocks = box().select(".rt-urgent__countries > li[data-rt-helpline-country]")
    assert [b["data-rt-helpline-country"] for b in blocks] == CODES
    head = (ROOT / "overrides" / "main.html").read_text(encoding="utf-8")
    assert '.rt-urgent .rt-urgent__countries>[data-rt-helpline-country="{{ code }}"]' in head
    rules = (ROOT / "overrides" / "assets" / "css" / "rt.css").read_text(encoding="utf-8")
    assert re.search(r"html\[data-rt-country\] :is\([^)]*\.rt-urgent__countries[^)]*\) > li", rules)
    assert re.search(r"html\[data-rt-country-guess\] :is\([^)]*\.rt-urgent__countries[^)]*\) > li", rules)


@pytest.mark.parametrize("code", [c for c in CODES if c != "other"])
def test_each_countrys_emergency_crisis_and_abuse_numbers_are_tap_to_call(code: str) -> None:
    block = box().select_one(f'[data-rt-helpline-country="{code}"]')
    entry = next(c for c in countries(COURSE.helplines) if c["code"] == code)
    calls = {a["href"]: a.get_text() for a in block.select('a[href^="tel:"]')}
    for number in entry["emergency_numbers"]:
        assert calls[f"tel:{number}"] == number
    for line in [entry["crisis"], *entry["abuse"]]:
        if line.phone:
            assert calls[line.tel] == line.phone, line.id  # the number is the link's words
            item = block.find("a", href=line.tel).find_parent("li")
            assert line.service in text(item).replace("'", "’"), line.id  # the service beside it
        else:
            assert block.select_one(f'a[href="{line.chat}"]'), line.id
        if line.sms:
            assert block.find("a", href=line.sms).get_text() == line.text, line.id
    assert all(a["class"] and "rt-urgent__call" in a["class"] for a in block.select("a[href^='tel:'], a[href^='sms:']"))


def test_every_sms_link_in_the_data_is_in_the_box_where_its_line_is() -> None:
    html = box()
    for entry in countries(COURSE.helplines):
        for line in [entry["crisis"], *entry["abuse"]]:
            if line and line.sms:
                assert html.select_one(f'[data-rt-helpline-country="{entry["code"]}"] a[href="{line.sms}"]'), line.id
    assert html.select_one('a[href="sms:88788?&body=START"]').get_text() == "Text START to 88788"


def test_the_emergency_number_comes_first_in_each_country_and_stands_out() -> None:
    for block in box().select("[data-rt-helpline-country]"):
        first = block.select_one("a[href]")
        if block["data-rt-helpline-country"] == "other":
            assert "your local emergency number" in text(block.select_one(".rt-urgent__line--emergency"))
            continue
        assert "rt-urgent__call--emergency" in first["class"] and first["href"].startswith("tel:")
    uk = box().select_one('[data-rt-helpline-country="uk"]')
    assert "press 55" in text(uk.select_one(".rt-urgent__line--emergency"))


def test_the_box_links_to_the_full_list() -> None:
    assert box("../").select_one('.rt-urgent__more a')["href"] == "../safety/#where-to-get-help"


def test_text_in_the_box_is_escaped() -> None:
    html = str(Renderer(COURSE).urgent_help(""))
    assert "Suicide &amp; Crisis Lifeline" in html and "<script" not in html


# --- on the built pages ---------------------------------------------------------------------


def article(site: Path, path: str):  # type: ignore[no-untyped-def]
    return doc(site, path).select_one("article")


def test_the_box_is_the_first_thing_after_the_safety_pages_title(site: Path) -> None:
    page = article(site, "safety/")
    title = page.select_one("h1")
    shown = [el for el in title.find_next_siblings() if not el.has_attr("hidden")]  # the role panel is hidden here
    after = shown[0]
    assert after.has_attr("data-rt-urgent"), after
    assert after.select_one("h2#rt-urgent-title")
    assert after.select_one('a[href^="tel:"]')


def test_the_box_leads_start_heres_is_this_abuse_section(site: Path) -> None:
    page = article(site, "start-here/")
    heading = page.select_one("h2#is-this-abuse")
    after = heading.find_next_sibling()
    assert after is not None and after.has_attr("data-rt-urgent"), after
    assert after.select_one("h3#rt-urgent-title") and after.select_one(".rt-urgent__name").name == "h4"
    assert [b["data-rt-helpline-country"] for b in after.select("[data-rt-helpline-country]")] == CODES
    assert len(page.select("[data-rt-urgent]")) == 1


@pytest.mark.parametrize("path", ["safety/", "start-here/"])
def test_ids_are_unique_on_pages_with_the_box(site: Path, path: str) -> None:
    ids = Counter(el["id"] for el in doc(site, path).select("[id]"))
    assert [i for i, n in ids.items() if n > 1] == []


# --- the full list --------------------------------------------------------------------------


def test_the_full_list_is_a_table_per_country_with_a_row_per_line(site: Path) -> None:
    page = doc(site, "safety/")
    tables = page.select("table.rt-helplines__table")
    assert len(tables) == len(CODES)
    for table, code in zip(tables, CODES, strict=True):
        assert table.find_parent("section")["id"] == f"helplines-{code}"
        assert [th.get_text() for th in table.select("thead th[scope=col]")] == ["Service", "Call, text or write", "Hours", "Checked"]
        rows = table.select("tbody tr[data-rt-helpline]")
        assert [r["data-rt-helpline"] for r in rows] == [h["id"] for h in HELPLINES if h["country_code"] == code]
        for row in rows:
            line = next(h for h in HELPLINES if h["id"] == row["data-rt-helpline"])
            assert row.select_one("th[scope=row]").select_one(".rt-helplines__service").get_text().replace("’", "'") == line["service"]
            if "phone" in line:
                assert row.select_one(f'a[href="tel:{digits(line["phone"])}"]').get_text() == line["phone"]
            if "text" in line:
                assert row.select_one('a[href^="sms:"]').get_text() == line["text"]
            source = row.select_one(".rt-helplines__source")
            assert text(source).startswith(f"Checked {line['checked']} at ") and source.select_one(f'a[href="{line["source"]}"]')


def test_the_full_lists_emergency_numbers_are_tap_to_call(site: Path) -> None:
    page = doc(site, "safety/")
    ireland = page.select_one("#helplines-ie .rt-helplines__emergency")
    assert [a["href"] for a in ireland.select("a")] == ["tel:112", "tel:999"]
    assert page.select_one('#helplines-us .rt-helplines__emergency a[href="tel:911"]')


def test_the_country_chooser_has_a_label_and_a_description(site: Path) -> None:
    page = doc(site, "safety/")
    select = page.select_one("select[data-rt-country-choice]")
    assert page.select_one(f'label[for="{select["id"]}"]').get_text(strip=True) == "Your country"
    assert "every page" in page.select_one("#" + select["aria-describedby"]).get_text()


# --- the journal ----------------------------------------------------------------------------


def test_the_journal_leads_with_the_entries_and_keeps_its_tools_in_one_group() -> None:
    html = BeautifulSoup(str(render_journal(COURSE, {}, "../")), "html.parser")
    app = html.select_one("[data-rt-journal-app]")
    order = [el for el in app.find_all(True) if el.has_attr("data-rt-journal-entries") or el.get("id") == "rt-journal-manage"]
    assert [el.name for el in order] == ["div", "h2"], "the entries come before 'Manage your journal'"
    manage = html.select_one("#rt-journal-manage").find_parent("section")
    assert manage["aria-labelledby"] == "rt-journal-manage" and manage.has_attr("data-rt-print-hidden")
    assert html.select_one("#rt-journal-manage").get_text() == "Manage your journal"
    assert app.select("button") and all(manage in b.parents for b in app.select("button")), "a tool outside the group"
    assert manage.select_one("fieldset[data-rt-discreet]")
    titles = [h.get_text() for h in manage.select(".rt-journal__group-title")]
    assert titles == ["Keep a copy", "Bring answers in", "Lock with a passphrase", "Delete"]
    assert {h.name for h in manage.select(".rt-journal__group-title")} == {"h3"}
    assert manage.select("h2") == [html.select_one("#rt-journal-manage")] and not manage.select("h1")


def test_the_journal_page_puts_the_journal_right_after_its_introduction(site: Path) -> None:
    page = article(site, "journal/")
    headings = [h.get_text(" ", strip=True) for h in page.select("h1, h2") if not h.find_parent(attrs={"data-rt-journal-entries": True})]
    assert headings[:3] == ["Your journal", "Manage your journal", "Keeping it private"], headings
