"""A calm, trustworthy look (issue 29), measured in Chromium from computed styles: titles that
lead, one palette (every colour a design token of overrides/assets/css/tokens.css), type for
reading, one button scale, controls that can be seen, a phone header that holds the whole name,
a landing page with one primary action. Not pixel tests: each reads what the browser computed."""

from __future__ import annotations

import re

import pytest

from tests.browser.colours import contrast
from tests.browser.helpers import rgba

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SCHEMES = ["light", "dark"]
TOKENS = ["--rt-ink", "--rt-ink-muted", "--rt-accent", "--rt-accent-ink", "--rt-warm", "--rt-surface",
          "--rt-surface-raised", "--rt-border", "--rt-focus", "--rt-danger", "--rt-paper"]
MAIN_PAGES = ["", "betrayal/", "worksheets/consistency-tracker/", "journal/", "safety/"]

# Each rendered element's colours: (what, value, element) for color, background-color and the
# border colours of sides that have a border.
COLOURS = """
() => {
  const out = [];
  for (const el of document.querySelectorAll("body, body *")) {
    if (!el.getClientRects().length || el.closest("svg")) continue;
    const s = getComputedStyle(el);
    if (s.visibility === "hidden") continue;
    const name = el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
    out.push(["color", s.color, name]);
    out.push(["background-color", s.backgroundColor, name]);
    for (const side of ["top", "right", "bottom", "left"]) {
      if (parseFloat(s[`border-${side}-width`]) > 0 && s[`border-${side}-style`] !== "none") out.push([`border-${side}-color`, s[`border-${side}-color`], name]);
    }
  }
  return out;
}
"""


def tokens(page) -> list[list[float]]:  # type: ignore[no-untyped-def]
    """The design tokens' colours in the page's current scheme."""
    values = page.evaluate("""(names) => names.map(n => {
        const probe = document.createElement("span"); probe.style.color = `var(${n})`; document.body.append(probe);
        const value = getComputedStyle(probe).color; probe.remove(); return value; })""", TOKENS)
    return [rgba(page, v) for v in values]


def is_token(colour: list[float], palette: list[list[float]]) -> bool:
    if colour[3] == 0:
        return True  # transparent: no colour at all
    return any(all(abs(colour[i] - token[i]) <= 1.5 for i in range(3)) for token in palette)


def open_page(browser, served: str, path: str, size: str, scheme: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    page.goto(served + path)
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    return context, page


# --- titles that lead: checked on every page by tests/browser/test_accessibility.py's walk -----------


# --- one palette ---------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", MAIN_PAGES)
def test_every_colour_is_a_design_token(browser, served: str, path: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, served, path, "desktop", scheme)
    palette = tokens(page)
    assert all(palette) and len({tuple(round(c) for c in t[:3]) for t in palette}) >= 8
    strays = set()
    for what, value, element in page.evaluate(COLOURS):
        colour = rgba(page, value)
        assert colour is not None, (what, value, element)
        if not is_token(colour, palette):
            strays.add((what, value, element))
    context.close()
    assert not strays, sorted(strays)[:20]


def test_the_token_check_fails_on_materials_defaults(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    """Material's indigo and its cyan "abstract" note are not tokens."""
    context, page = open_page(browser, served, "betrayal/", "desktop", "light")
    palette = tokens(page)
    for value in ("rgb(64, 81, 181)", "rgb(0, 176, 255)", "rgb(47, 107, 94)", "rgba(0, 0, 0, 0.87)"):
        assert not is_token(rgba(page, value), palette), value
    context.close()


# --- type for reading --------------------------------------------------------------------------

LINES = """
() => {
  const p = [...document.querySelectorAll(".md-content article > p")].sort((a, b) => b.textContent.length - a.textContent.length)[0];
  const text = p.firstChild.nodeType === 3 ? p : p;
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  const lines = new Map();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      const key = Math.round(rect.top);
      lines.set(key, (lines.get(key) || 0) + 1);
    }
  }
  return {size: parseFloat(getComputedStyle(p).fontSize), longest: Math.max(...lines.values()), lines: lines.size};
}
"""


@pytest.mark.parametrize(("size", "smallest"), [("desktop", 18), ("phone", 17)])
def test_body_text_is_large_and_its_lines_short(browser, served: str, size: str, smallest: float) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, served, "betrayal/", size, "light")
    measured = page.evaluate(LINES)
    assert measured["size"] >= smallest, measured
    assert measured["lines"] >= 3 and measured["longest"] <= 75, measured
    context.close()


# --- buttons and controls ------------------------------------------------------------------------

TARGETS = """
() => [...document.querySelectorAll("button, .md-button, input[type=submit], input[type=checkbox], input[type=radio]")]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden" && !el.closest("[hidden], .md-search"))
  .map(el => ({kind: el.matches("input[type=checkbox], input[type=radio]") ? "control" : "button",
               name: (el.textContent || el.getAttribute("aria-label") || el.id || "").trim().slice(0, 40),
               width: el.getBoundingClientRect().width, height: el.getBoundingClientRect().height}))
"""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("path", MAIN_PAGES)
def test_buttons_are_44_px_high_and_controls_20_px(browser, served: str, path: str, size: str) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, served, path, size, "light")
    targets = page.evaluate(TARGETS)
    assert targets
    for target in targets:
        if target["kind"] == "button":
            assert target["height"] >= 44 - 0.5, (path, target)
        else:
            assert min(target["width"], target["height"]) >= 20, (path, target)
    context.close()


def test_the_landing_page_has_one_primary_action(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    for size in SIZES:
        context, page = open_page(browser, served, "", size, "light")
        primaries = page.locator("article .md-button--primary").evaluate_all(
            "els => els.filter(el => el.getClientRects().length).map(el => el.textContent.trim())")
        assert primaries == ["Start the course"], (size, primaries)
        context.close()


# --- the phone header ----------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_phone_header_holds_the_whole_name_and_a_one_line_way_out(browser, served: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 320, "height": 700}, color_scheme=scheme)
    page = context.new_page()
    page.goto(served + "betrayal/")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    name = page.locator(".md-header__topic:first-child .md-ellipsis")
    assert name.inner_text().strip() == "Rebuilding Trust"
    assert name.evaluate("el => el.scrollWidth <= el.clientWidth && el.clientWidth > 0")
    exit_box = page.locator("[data-rt-quick-exit]").bounding_box()
    assert exit_box["height"] >= 44
    assert page.locator("[data-rt-quick-exit]").evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }") == 1
    # The colour scheme switch is in the menu, and works there.
    assert not page.locator(".md-header [data-rt-palette-option]:visible").count()
    page.locator("[data-rt-drawer-open]").click()
    switch = page.locator("[data-rt-drawer-scheme]")
    expected = "slate" if scheme == "light" else "default"
    switch.click()
    assert page.get_attribute("body", "data-md-color-scheme") == expected
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()


def test_dark_mode_hero_and_search_icon_can_be_seen(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, served, "", "desktop", "dark")
    hero = page.locator(".rt-hero").evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(document.body).backgroundColor, getComputedStyle(el).borderTopWidth, getComputedStyle(el).borderTopColor]")
    ratio = contrast(rgba(page, hero[0]), rgba(page, hero[1]))
    border = float(hero[2].removesuffix("px")) >= 1 and contrast(rgba(page, hero[3]), rgba(page, hero[1])) >= 1.5
    assert ratio >= 1.2 or border, hero
    icon = page.locator(".md-search__form .md-search__icon[for=__search]").first.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el.closest('.md-search__form')).backgroundColor]")
    field = rgba(page, icon[1])
    if field[3] < 1:  # a translucent field over the header
        header = rgba(page, page.locator(".md-header").evaluate("el => getComputedStyle(el).backgroundColor"))
        field = [field[i] * field[3] + header[i] * (1 - field[3]) for i in range(3)] + [1]
    assert contrast(rgba(page, icon[0]), field) >= 3, icon
    context.close()


def test_colour_parsing() -> None:
    assert re.fullmatch(r"[-\w]+", TOKENS[0])
    assert contrast([0, 0, 0], [255, 255, 255]) == pytest.approx(21)


def test_the_chapter_cards_sit_three_by_two_of_equal_height_on_a_wide_screen(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context, page = open_page(browser, served, "", "desktop", "light")
    boxes = page.locator("[data-rt-chapter-card]").evaluate_all(
        "els => els.map(el => { const r = el.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.height)]; })")
    assert len(boxes) == 6
    rows = sorted({top for top, _ in boxes})
    assert len(rows) == 2 and all(sum(1 for top, _ in boxes if top == row) == 3 for row in rows), boxes
    assert len({height for _, height in boxes}) == 1, boxes  # one height for all six
    context.close()
