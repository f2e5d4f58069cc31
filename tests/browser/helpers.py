"""Shared by the browser tests (tests/browser/test_*.py): waiting for a page to settle, axe-core's
violations, the journal's pages and storage, the keyboard's focus probes, and Material's search
driven like a reader."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from bs4 import BeautifulSoup

from course.data import load_course
from tests.conftest import ROOT, sitemap_paths

# --- a page, settled (tests/browser/test_layout.py) ----------------------------------------


# The page at rest: the journal's script done with it (on the journal page, its entries drawn
# once the outline has come: main.js marks the role partial `data-rt-ready`, as `wait_ready`
# reads), its fonts loaded, two frames painted, and nothing moving (no animation or transition
# running but an endless one), at most about a second of frames.
AT_REST = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  const ui = document.querySelector("[data-rt-role-ui]");
  for (let i = 0; i < 300 && ui && ui.dataset.rtReady !== location.pathname; i++) await frame();
  await document.fonts.ready;
  await frame();
  await frame();
  const moving = () => document.getAnimations().some(
    (a) => a.playState === "running" && a.effect && a.effect.getComputedTiming().endTime !== Infinity);
  for (let i = 0; i < 60 && moving(); i++) await frame();
}"""


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the scripts have run and the browser has painted what they did, with the
    journal drawn, its fonts and nothing moving (AT_REST). (It used to wait a fixed 200 ms more:
    a fifth of a second of idling on every page of every walk, which the journal's entries,
    drawn once its outline has come, needed; tests/browser/test_stylesheet.py once found the
    journal page drawn on one load and not yet on the other.)"""
    page.wait_for_load_state("load")
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    page.evaluate(AT_REST)


# --- axe-core (tests/browser/test_accessibility.py) -----------------------------------------

AXE = Axe()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}


# axe's own run, answering only what a failure shows: its whole result (every rule's metadata,
# every node's HTML) would cross to Python on every page of every walk for nothing.
RUN_AXE = """options => axe.run(document, options).then((results) =>
  results.violations.map((v) => [v.id, v.nodes.slice(0, 3).map((n) => n.target)]))"""


def violations(page) -> list:  # type: ignore[no-untyped-def]
    """Each violation as (rule, the first three elements it names)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.axe_script)  # once per document: a change of state keeps it
    return [(rule, targets) for rule, targets in page.evaluate(RUN_AXE, OPTIONS)]


# --- the journal (tests/browser/test_journal.py) -------------------------------------------

COURSE = load_course(ROOT / "data")
CHAPTERS = [c.id for c in COURSE.chapters]
PREFIX = "/rt:v1:"  # the site is served at the root: scope "/" + "rt:v1:"
SAVED = "Saved on this device"


def built(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def prompts_on(site: Path, chapter: str) -> list[tuple[str, str]]:
    """(prompt id, role) of every reflection prompt on a chapter page, in page order."""
    return [(box["data-rt-prompt"], box["data-rt-role"])
            for box in built(site, chapter).select("div.rt-reflection[data-rt-prompt]")]


def chapter_with_prompt(site: Path, skip: tuple[str, ...] = ()) -> tuple[str, str]:
    for chapter in CHAPTERS:
        if chapter not in skip and prompts_on(site, chapter):
            return chapter, prompts_on(site, chapter)[0][0]
    raise AssertionError("no chapter page has a reflection prompt")


def wait_ready(page, path: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the journal (main.js) has set up the page at `path` (it marks the role partial)."""
    page.wait_for_function(
        "p => { const ui = document.querySelector('[data-rt-ready]'); return !!ui && ui.dataset.rtReady === p }",
        arg="/" + path,
    )


def open_page(page, served: str, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(served + path)
    wait_ready(page, path)


def follow(page, link, path: str) -> None:  # type: ignore[no-untyped-def]
    """Click `link` and prove it was an instant navigation, not a reload."""
    page.evaluate("window.__rtMarker = 1")
    link.click()
    wait_ready(page, path)
    assert page.evaluate("window.__rtMarker") == 1, f"clicking to /{path} reloaded the page"


def nav_link(page, served: str, path: str):  # type: ignore[no-untyped-def]
    return page.locator(f'.md-nav--primary a.md-nav__link[href="{served}{path}"]').first


def journal_link(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-rt-chapter-end] a[href$='journal/']").first


def local_storage(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return page.evaluate("Object.fromEntries(Object.entries(localStorage))")


def prompt_box(page, prompt_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-rt-key="prompt:{prompt_id}"]')


def write_prompt(page, prompt_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    box = prompt_box(page, prompt_id)
    box.fill(text)
    status = page.locator(f'.rt-reflection[data-rt-prompt="{prompt_id}"] [data-rt-status]')
    status.filter(has_text=SAVED).wait_for()


def import_file(page, which: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    with page.expect_file_chooser() as chooser:
        page.locator(f'[data-rt-import="{which}"]').click()
    chooser.value.set_files(str(path))


# --- focus, key by key (tests/browser/test_keyboard.py) -------------------------------------

# Before any key is pressed: every focusable element's outline and box shadow, unfocused.
RECORD_UNFOCUSED = """() => {
  window.__rtUnfocused = new WeakMap();
  for (const el of document.querySelectorAll('a[href], button, input, textarea, select, summary, [tabindex]')) {
    if (el === document.activeElement) continue; // focused already (a new page's heading): not its unfocused look
    const s = getComputedStyle(el);
    window.__rtUnfocused.set(el, [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join('|'));
  }
}"""

# The focused element: where it is, what is on top of it, and whether its focus shows.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { body: true };
  const r = el.getBoundingClientRect();
  // A link that wraps onto two lines has nothing of its own at the centre of its box: take the
  // centre of its first line.
  const line = el.getClientRects()[0] || r;
  const x = Math.min(Math.max(line.left + line.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(line.top + line.height / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  const s = getComputedStyle(el);
  const now = [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join('|');
  const before = (window.__rtUnfocused && window.__rtUnfocused.get(el)) || 'none|0px|rgba(0, 0, 0, 0)|none';
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1 && !/rgba\\(.*, 0\\)$/.test(s.outlineColor);
  return {
    body: false,
    name: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${String(el.className).split(' ').slice(0, 2).join('.')} "${(el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40)}"`,
    inside: r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth + 1 &&
      (r.height > innerHeight / 2 ? r.top < innerHeight && r.bottom > 0 : r.top >= 0 && r.bottom <= innerHeight + 1),
    uncovered: !!top && (top === el || el.contains(top)),
    cover: top ? `${top.tagName.toLowerCase()}.${String(top.className).split(' ')[0]}` : 'nothing',
    shows: now !== before && (outline || s.boxShadow !== 'none'),
    rect: [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)],
  };
}"""


def first_chapter(site: Path) -> str:
    return next(p for p in sitemap_paths(site) if 'data-rt-prompt="' in (site / p / "index.html").read_text(encoding="utf-8"))


# --- search (tests/browser/test_search.py) --------------------------------------------------


def search_and_open(page, base: str, query: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(base)
    box = page.locator("input[data-md-component=search-query]")
    box.click()  # the search box in the header (desktop layout)
    box.press_sequentially(query, delay=10)  # Material searches on key events, as a reader types
    # Results update as the worker catches up with the typing (on a busy machine, the list for
    # "… renewa" can still be showing): wait until the list has stopped changing, then take the
    # best result that matches every word of the query (Material lists partial matches'
    # missing terms).
    best = page.locator(".md-search-result__item > a:first-child:not(:has(.md-search-result__terms))").first
    best.wait_for(timeout=10_000)
    shown = None
    for _ in range(40):
        now = page.locator(".md-search-result__item > a:first-child").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        if now == shown:
            break
        shown = now
        page.wait_for_timeout(300)
    best.click()
    page.wait_for_load_state()
    return page.url.removeprefix(base).split("#")[0].split("?")[0]


# --- every page's walk (tests/browser/test_accessibility.py): layout shifts, the title ---------

# The browser's own layout-shift entries, recorded from the start of every page (an init script).
RECORD_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    const nodes = entry.sources.map((s) => s.node && s.node.nodeType === 1
      ? `${s.node.tagName.toLowerCase()}.${s.node.className}` : String(s.node && s.node.nodeName));
    window.__shifts.push({ value: entry.value, nodes });
  }
}).observe({ type: "layout-shift", buffered: true });
"""
# "Good" is under 0.1 by Google's measure; we hold every page to a tenth of that.
MOST_SHIFT = 0.01


def shifts(page) -> tuple[float, list]:  # type: ignore[no-untyped-def]
    entries = page.evaluate("window.__shifts")
    return sum(e["value"] for e in entries), entries


# Colours as the browser computes them: rgb(), rgba() or color(srgb …), as [r, g, b, alpha].
PARSE = """
(value) => {
  let m = value.match(/^rgba?\\(([\\d.]+),? ([\\d.]+),? ([\\d.]+)(?:,? \\/? ?([\\d.]+))?\\)$/);
  if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
  m = value.match(/^color\\(srgb ([\\d.e-]+) ([\\d.e-]+) ([\\d.e-]+)(?: \\/ ([\\d.]+))?\\)$/);
  if (m) return [m[1] * 255, m[2] * 255, m[3] * 255, m[4] === undefined ? 1 : +m[4]];
  return null;
}
"""


def rgba(page, value: str) -> list[float] | None:  # type: ignore[no-untyped-def]
    return page.evaluate(f"({PARSE})(arguments[0])".replace("arguments[0]", repr(value)))


# What the title test reads (issue 29: titles that lead).
TITLE = """
() => {
  const h1 = document.querySelector(".md-content h1");
  const headings = [...document.querySelectorAll(".md-content :is(h1, h2, h3, h4, h5, h6)")].filter(h => h.getClientRects().length);
  const size = h => parseFloat(getComputedStyle(h).fontSize);
  const top = h1.getBoundingClientRect().top + scrollY;
  // Anything shown in the content column above the title (the h1's own ancestors aside).
  const before = [...document.querySelectorAll(".md-content *")].filter(el => {
    if (el.contains(h1) || !el.getClientRects().length) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.bottom + scrollY <= top + 1 && getComputedStyle(el).visibility !== "hidden";
  }).map(el => el.tagName + "." + el.className);
  let bg = "rgba(0, 0, 0, 0)";
  for (let el = h1; el && /rgba\\(0, 0, 0, 0\\)|transparent/.test(bg); el = el.parentElement) bg = getComputedStyle(el).backgroundColor;
  if (/rgba\\(0, 0, 0, 0\\)/.test(bg)) bg = getComputedStyle(document.body).backgroundColor;
  return {size: size(h1), largest: Math.max(...headings.map(size)), weight: +getComputedStyle(h1).fontWeight,
          color: getComputedStyle(h1).color, bg, before, h1s: document.querySelectorAll(".md-content h1").length};
}
"""
