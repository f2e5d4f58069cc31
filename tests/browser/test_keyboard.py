"""The reader's whole journey by keyboard alone (Tab, Shift+Tab, Enter, Space, Escape; no
clicks), on a phone and on a desktop screen: landing → course → chapter → who is reading →
a prompt → a worksheet → the journal → export → delete everything → the waitlist. At every
focus stop the focused element is inside the viewport, not covered by anything
(`elementFromPoint` at its centre is it or inside it), and visibly focused (its outline or
box shadow differs from its unfocused state). Also: the role question never covers the field
being typed in, every focusable element shows its focus, and forced colours keep buttons
outlined."""

from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.helpers import FOCUS, RECORD_UNFOCUSED, first_chapter
from tests.conftest import sitemap_paths

SCREENS = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}

SETTLED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
# The focused element (FOCUS) once it has stopped moving: read at the first frame after the key
# (no page here scrolls smoothly: focus scrolls at once), and taken when nothing has scrolled
# since the last stop (COUNT_SCROLLS: a scroll can start a transition, such as the header's)
# and nothing moves (no animation or transition but of a colour or without end); otherwise read
# again every two frames until two readings agree and nothing moves (what covers the element can
# be what is moving: the search field, widening). And whether it is in the footer, where a walk
# through a page ends. (Read every two frames at every stop, the walks took twice as long.)
SETTLED_FOCUS = f"""async () => {{
  const read = {FOCUS};
  const frames = {SETTLED};
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  const colours = ["color", "background-color", "border-color", "outline-color", "text-decoration-color", "fill", "stroke"];
  await frame();  // the frame's scroll events have been sent, and the handlers run
  let info = read(), previous = JSON.stringify(info.rect);
  const moving = () => document.getAnimations().some(  // which flushes styles: transitions just begun count
    (a) => a.playState === "running" && !colours.includes(a.transitionProperty)
      && a.effect.getComputedTiming().endTime !== Infinity);
  if (!info.body && (window.__rtScrolls !== window.__rtScrollsSeen || moving())) {{
    for (let i = 0; i < 20; i++) {{
      await frames();
      info = read();
      const rect = JSON.stringify(info.rect);
      if (rect === previous && !moving()) break;
      previous = rect;
    }}
  }}
  window.__rtScrollsSeen = window.__rtScrolls;
  info.footer = !!document.activeElement && document.activeElement.matches(".md-footer a, .md-footer button");
  return info;
}}"""
# Counts every scroll of the page or of anything in it (SETTLED_FOCUS: a focus stop has settled
# when nothing has scrolled since the last one and nothing is animating).
COUNT_SCROLLS = """() => {
  if (window.__rtScrolls === undefined) {
    window.__rtScrolls = 0;
    document.addEventListener("scroll", () => { window.__rtScrolls += 1; }, { capture: true, passive: true });
  }
  window.__rtScrollsSeen = window.__rtScrolls;
}"""


class Journey:
    """Keys only; every focus stop checked."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.problems: list[str] = []
        self.stops = 0

    def loaded(self) -> None:
        self.page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
        self.page.evaluate(SETTLED)
        self.page.evaluate(RECORD_UNFOCUSED)
        self.page.evaluate(COUNT_SCROLLS)

    def check(self) -> dict:
        info = self.page.evaluate(SETTLED_FOCUS)
        if info["body"]:
            return info
        self.stops += 1
        where = f"{self.page.url} {info['name']} at {info['rect']}"
        if not info["inside"]:
            self.problems.append(f"outside the viewport: {where}")
        elif not info["uncovered"]:
            self.problems.append(f"covered by {info['cover']}: {where}")
        if not info["shows"]:
            self.problems.append(f"no visible focus: {where}")
        return info

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        return self.check()

    def tab_to(self, selector: str, back: bool = False, most: int = 250) -> None:
        """Tab (or Shift+Tab) until the focused element matches `selector`."""
        for _ in range(most):
            self.press("Shift+Tab" if back else "Tab")
            if self.page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} never took focus on {self.page.url}")

    def follow(self, selector: str, back: bool = False) -> None:
        """Tab to a link and press Enter: an instant navigation, after which focus is on the new
        page's heading."""
        self.tab_to(selector, back)
        self.page.evaluate("window.__rtSamePage = 1")
        self.page.keyboard.press("Enter")
        self.page.wait_for_function("() => document.activeElement && document.activeElement.matches('.md-content h1')")
        assert self.page.evaluate("window.__rtSamePage") == 1, "a full reload, not an instant navigation"
        self.loaded()
        self.check()


@pytest.mark.parametrize("screen", SCREENS)
def test_the_whole_journey_by_keyboard(browser, served: str, site: Path, database: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    walk = Journey(page)
    chapter = first_chapter(site)

    page.goto(served)
    walk.loaded()
    # Skip link first, and it lands just before "Start the course".
    walk.press("Tab")
    assert page.evaluate("document.activeElement.matches('.md-skip')")
    page.keyboard.press("Enter")
    walk.tab_to(".rt-hero__start", most=3)
    page.evaluate("window.__rtSamePage = 1")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/introduction/$"))
    walk.loaded()
    # Instant navigation keeps the document (and its data-rt-scripts) and moves focus once the new
    # content is in: on a busy machine that can be a moment after the address changed.
    try:
        page.wait_for_function("() => document.activeElement && document.activeElement.matches('.md-content h1')",
                               timeout=5_000)
    except PlaywrightTimeout:
        pytest.fail("focus did not move to the new page")

    # The course: to the first chapter.
    walk.follow(f'a[href$="/{chapter}"]:not(.md-nav__link--active)')
    assert page.url.endswith(chapter)
    # The title is said a moment after the new content is in (navigation.js: 100 ms).
    page.wait_for_function("() => document.querySelector('[data-rt-announce]').textContent === document.title",
                           timeout=2_000)

    # Who is reading: asked just before the first prompt; Space chooses.
    walk.tab_to("[data-rt-role-ask] [data-rt-role-choice]")
    walk.press("Space")
    assert page.evaluate("document.activeElement.checked")
    assert "Saved" in page.locator("[data-rt-role-ask-status]").text_content()

    # A prompt, answered.
    walk.tab_to("textarea[data-rt-key^='prompt:']")
    key = page.evaluate("document.activeElement.getAttribute('data-rt-key')")
    page.keyboard.type("Written by keyboard alone.")
    walk.check()

    # A worksheet from the chapter's cards.
    walk.follow("a.rt-card__title")
    assert "/worksheets/" in page.url
    walk.tab_to("[data-rt-worksheet] textarea, [data-rt-worksheet] input")
    page.keyboard.type("x" if page.evaluate("document.activeElement.type") == "text" else "A worksheet answer.")

    # The journal: through the menu on a phone, the sidebar on a desktop.
    if screen == "phone":
        walk.tab_to("[data-rt-drawer-open]", back=True)
        walk.press("Enter")
        assert page.evaluate("document.getElementById('__drawer').checked")
        assert page.evaluate("!!document.activeElement.closest('.md-sidebar--primary')")
        walk.press("Escape")
        assert page.evaluate("document.activeElement.matches('[data-rt-drawer-open]')"), "Escape did not return focus"
        assert not page.evaluate("document.getElementById('__drawer').checked")
        walk.press("Enter")
        walk.follow('.md-sidebar--primary a[href$="/journal/"]')
    else:
        walk.follow('.md-sidebar--primary a[href$="/journal/"]', back=True)
    assert page.url.endswith("/journal/")
    page.locator(f'[data-rt-journal-entry="{key}"]').wait_for()

    # Export.
    walk.tab_to('[data-rt-export="markdown"]')
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".md")

    # Delete everything: asked first; Escape says no; then yes.
    walk.tab_to("[data-rt-delete]")
    walk.press("Enter")
    assert page.locator("[data-rt-delete-confirm]").is_visible()
    walk.press("Escape")
    assert page.locator("[data-rt-delete-confirm]").is_hidden()
    assert page.evaluate("document.activeElement.matches('[data-rt-delete]')")
    walk.press("Enter")
    walk.tab_to("[data-rt-delete-yes]", back=True)
    walk.press("Enter")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.includes('rt:v1:') && !k.endsWith('probe'))") == []

    # The waitlist, from the landing page.
    if screen == "phone":  # the header has no logo link on a phone: home is in the menu
        walk.tab_to("[data-rt-drawer-open]", back=True)
        walk.press("Enter")
        walk.follow(f'.md-sidebar--primary a.md-nav__link[href="{served}"]')
    else:
        walk.follow("a.md-logo[data-md-component=logo]", back=True)
    walk.tab_to(".rt-hero__join")
    page.keyboard.press("Enter")
    email = f"keys-{uuid.uuid4().hex[:8]}@example.com"
    walk.tab_to("#rt-waitlist-email")
    page.keyboard.type(email)
    walk.tab_to("#rt-waitlist-consent")
    walk.press("Space")
    walk.tab_to("#rt-waitlist-form button[type=submit]")
    walk.press("Enter")
    page.locator("#rt-waitlist-message.rt-waitlist__message--success").wait_for()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM waitlist_signups WHERE email = ?", (email,)).fetchone()[0] == 1

    context.close()
    assert walk.stops > 20
    assert not walk.problems, "\n".join(walk.problems)


PHONES = [{"width": 360, "height": 640}, {"width": 390, "height": 844}, {"width": 412, "height": 915},
          {"width": 320, "height": 200, "scale": 4}]  # the last: a 1280 × 800 window at 400 % zoom


@pytest.mark.parametrize("size", PHONES, ids=lambda s: f"{s['width']}x{s['height']}")
@pytest.mark.parametrize("how", ["tap", "tab"])
def test_the_role_question_never_covers_the_first_prompt(browser, served: str, site: Path, size: dict, how: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": size["width"], "height": size["height"]},
                                  device_scale_factor=size.get("scale", 2), is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(served + first_chapter(site))
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    box = page.locator("textarea[data-rt-key^='prompt:']").first
    if how == "tap":
        box.tap()
    else:
        while not page.evaluate("document.activeElement.matches(\"textarea[data-rt-key^='prompt:']\")"):
            page.keyboard.press("Tab")
    page.wait_for_timeout(400)  # anything that opens on focus or on scroll has opened
    # What is on top at points all over the box, row by row: the box itself, or what covers it.
    covers = page.evaluate("""el => {
      const r = el.getBoundingClientRect(), found = [];
      for (let y = Math.max(r.top + 2, 0); y < Math.min(r.bottom - 2, innerHeight); y += 4)
        for (const fx of [0.05, 0.5, 0.95]) {
          const top = document.elementFromPoint(r.left + r.width * fx, y);
          if (top && top !== el && !el.contains(top))
            found.push(top.closest('.md-header') ? 'the site header' : `${top.tagName.toLowerCase()}.${String(top.className).split(' ')[0]}`);
        }
      return [...new Set(found)];
    }""", box.element_handle())
    whole = page.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight + 1; }",
                          box.element_handle())
    asked = page.locator("[data-rt-role-ask]:visible, [data-rt-role-details][open]").count()
    context.close()
    if size.get("scale") == 4:
        # At 400 % zoom the viewport is 200 CSS px high, the site's header 48 of them: the 120 px
        # box cannot show whole below it. What must hold: nothing but that header is over it.
        assert set(covers) <= {"the site header"}, covers
    else:
        assert covers == [], f"the prompt being typed in is covered by {covers}"
        assert whole, "the prompt being typed in is not wholly on screen"
    assert asked, "the question was not asked"


# Each kind of page: a session plan of the facilitator's guide is a kind of its own (issue 26).
FOCUS_PAGES = ["", "introduction/", "{chapter}", "worksheets/", "worksheets/{worksheet}/", "journal/", "safety/",
               "therapists/{chapter}"]


@pytest.mark.parametrize("screen", SCREENS)
def test_every_focus_stop_is_visible_and_uncovered(browser, served: str, site: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    """Tab through the whole of each kind of page: no stop off-screen, covered or without a
    visible focus indicator."""
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    walk = Journey(page)
    chapter = first_chapter(site)
    worksheet = next(p for p in sitemap_paths(site) if p.startswith("worksheets/") and p != "worksheets/").split("/")[1]
    for path in FOCUS_PAGES:
        page.goto(served + path.format(chapter=chapter, worksheet=worksheet))
        walk.loaded()
        seen = 0
        while True:
            info = walk.press("Tab")
            seen += 1
            if info["body"] or info["footer"] or seen > 400:
                break
        assert seen < 400, f"Tab never reached the footer on {path}"
    context.close()
    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.parametrize("path", ["", "{chapter}", "journal/", "worksheets/{worksheet}/"])
def test_in_forced_colours_every_button_keeps_a_visible_boundary(browser, served: str, site: Path, path: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(forced_colors="active")
    page = context.new_page()
    worksheet = next(p for p in sitemap_paths(site) if p.startswith("worksheets/") and p != "worksheets/").split("/")[1]
    page.goto(served + path.format(chapter=first_chapter(site), worksheet=worksheet))
    page.wait_for_selector("html[data-rt-scripts=ready]", state="attached")
    assert page.evaluate("matchMedia('(forced-colors: active)').matches")
    bare = page.evaluate("""() => [...document.querySelectorAll('.md-typeset .md-button, .md-typeset button')]
      .filter(el => el.getClientRects().length)
      .filter(el => { const s = getComputedStyle(el);
        // What is around the button: the first ancestor with a background of its own.
        let around = 'rgb(255, 255, 255)';
        for (let p = el.parentElement; p; p = p.parentElement) {
          const bg = getComputedStyle(p).backgroundColor;
          if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { around = bg; break; }
        }
        return !(parseFloat(s.borderTopWidth) >= 1 && s.borderTopStyle !== 'none' &&
                 s.borderTopColor !== s.backgroundColor && s.borderTopColor !== around); })
      .map(el => el.outerHTML.slice(0, 100))""")
    context.close()
    assert bare == []
