"""What a screen reader is given, read from Chromium's accessibility tree (CDP
Accessibility.getFullAXTree) on the landing page, a chapter, a worksheet and the journal: one
level-1 heading and no skipped heading levels, a name on every control, and the "saved"
status of a reflection prompt in a live region."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sitemap_paths

CONTROLS = {"button", "link", "textbox", "checkbox", "radio", "combobox", "searchbox", "slider",
            "spinbutton", "switch", "tab", "menuitem", "listbox", "option"}


def ax_tree(page) -> list[dict]:  # type: ignore[no-untyped-def]
    session = page.context.new_cdp_session(page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    session.detach()
    return nodes


def value(node: dict, key: str) -> str:
    return str((node.get(key) or {}).get("value", ""))


def prop(node: dict, name: str) -> object:
    return next((p["value"].get("value") for p in node.get("properties", []) if p["name"] == name), None)


def shown(nodes: list[dict]) -> list[dict]:
    return [n for n in nodes if not n.get("ignored")]


def outline(nodes: list[dict]) -> list[tuple[int, str]]:
    return [(int(prop(n, "level") or 0), value(n, "name")) for n in shown(nodes) if value(n, "role") == "heading"]


def skipped_levels(headings: list[tuple[int, str]]) -> list[str]:
    problems = []
    for (before, _), (level, name) in zip(headings, headings[1:], strict=False):
        if level > before + 1:
            problems.append(f"h{before} → h{level} ({name!r})")
    return problems


def pages(site: Path) -> dict[str, str]:
    chapter = next(p for p in sitemap_paths(site) if 'data-rt-prompt="' in (site / p / "index.html").read_text(encoding="utf-8"))
    worksheet = next(p for p in sitemap_paths(site) if p.startswith("worksheets/") and p != "worksheets/")
    return {"landing": "", "chapter": chapter, "worksheet": worksheet, "journal": "journal/"}


@pytest.mark.parametrize("kind", ["landing", "chapter", "worksheet", "journal"])
def test_headings_and_names_as_a_screen_reader_gets_them(browser, served: str, site: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(served + pages(site)[kind])
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    nodes = ax_tree(page)
    context.close()
    headings = outline(nodes)
    assert headings and headings[0][0] == 1, headings
    assert [h for h in headings if h[0] == 1] == headings[:1], f"more than one level-1 heading: {headings}"
    assert skipped_levels(headings) == [], headings
    unnamed = [(value(n, "role"), n.get("backendDOMNodeId")) for n in shown(nodes)
               if value(n, "role") in CONTROLS and not value(n, "name").strip()]
    assert unnamed == []
    if kind == "worksheet":
        assert sum(1 for level, _ in headings if level == 2) >= 2, "the worksheet's sections are not headings"


def test_the_skipped_level_check_catches_a_skip() -> None:
    assert skipped_levels([(1, "a"), (2, "b"), (4, "c")]) == ["h2 → h4 ('c')"]
    assert skipped_levels([(1, "a"), (2, "b"), (3, "c"), (2, "d")]) == []


def test_a_prompts_saved_status_is_announced_from_a_live_region(browser, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + pages(site)["chapter"])
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    box = page.locator("textarea[data-rt-key^='prompt:']").first
    box.fill("Said aloud when saved.")
    status = box.locator("xpath=following-sibling::*[@data-rt-status][1]")
    page.wait_for_function("el => el.textContent.includes('Saved')", arg=status.element_handle())
    nodes = ax_tree(page)
    context.close()
    by_id = {n["nodeId"]: n for n in nodes}

    def text_of(node: dict) -> str:
        own = value(node, "name") if value(node, "role") in {"StaticText", "InlineTextBox"} else ""
        return own + "".join(text_of(by_id[c]) for c in node.get("childIds", []) if c in by_id)

    live = [n for n in shown(nodes) if prop(n, "live") in {"polite", "assertive"} and "Saved" in text_of(n)]
    assert live, "no live region carries the saved status"
