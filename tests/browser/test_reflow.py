"""Nothing scrolls sideways on a phone or at 400 % zoom (WCAG 1.4.10, reflow): content fits
a 320 CSS px wide viewport, and only a part that needs two dimensions (a worksheet's table)
scrolls, inside its own region. Checked on every page of the sitemap and the 404 page, one
browser context per screen, with the page's scripts run."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.data import load_course
from tests.browser.helpers import settle
from tests.conftest import ROOT, page_paths, sitemap_paths

SCREENS = {
    # The narrowest phone WCAG names (320 CSS px), held upright.
    "phone-320": {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True},
    # A 1280 × 800 desktop window at 400 % zoom: the page lays out in a 320 × 200 CSS px
    # viewport at 4 device pixels per CSS pixel, which is what browser zoom does.
    "desktop-zoom-400": {"viewport": {"width": 320, "height": 200}, "device_scale_factor": 4},
}
# Common phones, where the worksheets were first seen to scroll sideways (issue 13).
PHONES = {
    f"phone-{width}": {"viewport": {"width": width, "height": 800}, "device_scale_factor": 2.75,
                       "is_mobile": True, "has_touch": True}
    for width in (360, 390, 412)
}

# The page's width, and the element reaching furthest right past the viewport that widens
# the page (the deepest one of equal reach), to say what to fix. An element does not widen
# the page when a scroll container in its chain of containing blocks clips it, or when it is
# fixed to the viewport; an absolutely positioned one skips static ancestors, so escapes the
# clip of a scroll container that is not positioned.
OVERFLOW = """() => {
  const root = document.scrollingElement;
  const limit = root.clientWidth;
  const widens = (el) => {
    let position = getComputedStyle(el).position;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (position === "fixed") return false;
      const style = getComputedStyle(up);
      if (position === "absolute" && style.position === "static" && style.transform === "none") continue;
      if (style.overflowX !== "visible") return false;
      position = style.position;
    }
    return position !== "fixed";
  };
  let worst = null;
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const right = box.right + window.scrollX;
    if (right <= limit + 0.5 || (worst && right < worst.right)) continue;
    if (widens(el)) worst = { right, el };
  }
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map((c) => "." + c).join("");
  let path = "";
  if (worst) {
    const chain = [];
    for (let el = worst.el; el && el !== document.body && chain.length < 4; el = el.parentElement) chain.unshift(name(el));
    path = chain.join(" > ") + " reaches " + Math.round(worst.right) + "px";
  }
  return { scroll: root.scrollWidth, client: root.clientWidth, widest: path };
}"""


def worksheet_paths(site: Path) -> list[str]:
    return [p for p in sitemap_paths(site) if p.startswith("worksheets/") and p != "worksheets/"]


def overflowing(page, served: str, paths: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each page of `paths` that scrolls sideways, with its width and culprit."""
    wide = {}
    for path in paths:
        page.goto(served + path)
        settle(page)
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["client"]:
            wide[path or "/"] = f"{found['scroll']}px wide in {found['client']}px; {found['widest']}"
    return wide


def on_screen(browser, served: str, paths: list[str], screen: dict) -> dict[str, str]:  # type: ignore[no-untyped-def]
    context = browser.new_context(**screen)
    try:
        return overflowing(context.new_page(), served, paths)
    finally:
        context.close()


def report(wide: dict[str, str]) -> str:
    return f"{len(wide)} pages scroll sideways:\n" + "\n".join(f"  {path}: {why}" for path, why in wide.items())


@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_scrolls_sideways(browser, served: str, site: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    paths = [*page_paths(site), "no-such-page/"]  # the last one is the 404 page
    wide = on_screen(browser, served, paths, SCREENS[screen])
    assert not wide, report(wide)


@pytest.mark.parametrize("screen", PHONES)
def test_no_worksheet_scrolls_sideways_on_common_phones(browser, served: str, site: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    paths = worksheet_paths(site)
    assert len(paths) == len(load_course(ROOT / "data").worksheets)
    wide = on_screen(browser, served, paths, PHONES[screen])
    assert not wide, report(wide)


def test_a_long_unbroken_answer_widens_no_page(browser, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    """What the reader types (an address, a word with nowhere to break) is shown again by the
    worksheet, its print copy and the journal: none of them may widen the page."""
    long = "https://example.org/" + "averyveryverylongunbrokenword" * 6
    chapter = next(p for p in sitemap_paths(site) if "data-rt-prompt=" in (site / p / "index.html").read_text(encoding="utf-8"))
    worksheet = "worksheets/consistency-tracker/"
    context = browser.new_context(**SCREENS["phone-320"])
    page = context.new_page()
    page.goto(served + chapter)
    settle(page)
    page.locator("textarea[data-rt-key^='prompt:']").first.fill(long)
    page.wait_for_timeout(700)  # saving is debounced
    page.goto(served + worksheet)
    settle(page)
    page.locator("input.rt-input--cell").first.fill(long)
    page.locator("textarea[data-rt-key^='ws:']").first.fill(long)
    page.wait_for_timeout(700)
    wide = overflowing(page, served, [chapter, worksheet, "journal/"])
    assert page.locator("[data-rt-journal-entry]").count() == 2  # both answers are in the journal
    context.close()
    assert not wide, report(wide)
