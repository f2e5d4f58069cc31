""""Leave this site" (the quick exit): a link in the header of every page, and Escape pressed
three times within a second.

- Pressed (clicked, or Escape × 3 from a text box, or with search open on a phone), the page is
  blanked before the browser leaves it, and the neutral page set in mkdocs.yml
  (`extra.quick_exit.url`) replaces it in the history: Back goes to the page before, never to
  the one the reader left. Two presses, three spread over more than a second, or a held-down
  key do not leave. The neutral site is not told where the reader came from (no Referer).
- It is the first or second Tab stop, and in view, uncovered and at least 24 px on a 320, 360
  and 1280 px wide screen, light and dark, scrolled or not, with focus shown.
- Browsing, hovering and focusing it sends no request to any other origin.
- An answer typed just before leaving is saved.
- A mistake in `extra.quick_exit` fails the build, naming the field.

The neutral page is never fetched: every request to its origin is answered by a stub here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from mkdocs.utils.yaml import yaml_load

from tests.browser.helpers import FOCUS, RECORD_UNFOCUSED, first_chapter
from tests.conftest import ROOT, sitemap_paths
from tests.helpers import PROJECT_PARTS

CONFIGURED = yaml_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["extra"]["quick_exit"]
NEUTRAL = CONFIGURED["url"]
NEUTRAL_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(NEUTRAL))
EXIT = "[data-rt-quick-exit]"
READY = "html[data-rt-scripts=ready]"

# Before the page's own scripts: what the page looked like at the moment the browser started to
# leave it, kept in the site's localStorage (read back after coming back). `emptied` is when the
# body lost its last child; `beforeunload` and `pagehide` record what was on screen then.
RECORDER = """(() => {
  if (location.origin !== %(origin)r) return;
  const log = (what) => {
    try {
      const all = JSON.parse(localStorage.getItem("qe-test-log") || "[]");
      const body = document.body;
      all.push({ what, at: performance.now(), path: location.pathname,
                 children: body ? body.childElementCount : -1,
                 text: body ? body.textContent.trim().length : -1,
                 hidden: getComputedStyle(document.documentElement).visibility === "hidden",
                 title: document.title });
      localStorage.setItem("qe-test-log", JSON.stringify(all));
    } catch (error) { /* nothing to record */ }
  };
  addEventListener("beforeunload", () => log("beforeunload"));
  addEventListener("pagehide", () => log("pagehide"));
  const watch = () => new MutationObserver(() => {
    if (document.body && document.body.childElementCount === 0) log("emptied");
  }).observe(document.body, { childList: true });
  if (document.body) watch(); else document.addEventListener("DOMContentLoaded", watch);
})();"""

SCREENS = {
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
WIDTHS = {
    "320": {"viewport": {"width": 320, "height": 640}, "is_mobile": True, "has_touch": True},
    "360": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    "1280": {"viewport": {"width": 1280, "height": 800}},
}


def stub(requests: list[dict]):  # type: ignore[no-untyped-def]
    """A route handler standing in for the neutral site; records what it was asked."""
    def handle(route) -> None:  # type: ignore[no-untyped-def]
        requests.append({"url": route.request.url, "referer": route.request.headers.get("referer"),
                         "navigation": route.request.is_navigation_request()})
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Weather</title><p>Sunny.</p>")
    return handle


def new_context(browser, served: str, **options):  # type: ignore[no-untyped-def]
    """A context whose requests to the neutral site are answered by a stub."""
    context = browser.new_context(**options)
    context.neutral_requests = []
    context.route(f"{NEUTRAL_ORIGIN}/**", stub(context.neutral_requests))
    context.add_init_script(RECORDER % {"origin": served.rstrip("/")})
    return context


def ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(READY, state="attached")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def records(context, served: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """What RECORDER kept, read from a fresh page of the site (not the one that was left)."""
    page = context.new_page()
    page.goto(served + "sources/")
    log = page.evaluate("JSON.parse(localStorage.getItem('qe-test-log') || '[]')")
    page.close()
    return log


def leave_by(page, how: str) -> None:  # type: ignore[no-untyped-def]
    if how == "click":
        page.locator(EXIT).click()
    elif how == "tap":
        page.locator(EXIT).tap()
    elif how == "keyboard":  # Tab to it, Enter
        for _ in range(2):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({EXIT!r})"):
                break
        page.keyboard.press("Enter")
    elif how == "escape-in-a-field":
        page.locator("textarea[data-rt-key^='prompt:']").first.focus()
        for _ in range(3):
            page.keyboard.press("Escape")
    elif how == "escape-with-search-open":
        page.locator("[data-rt-search-open]").click()
        page.wait_for_function("() => document.getElementById('__search').checked")
        page.keyboard.type("trust")
        for _ in range(3):
            page.keyboard.press("Escape")
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["click", "tap", "keyboard", "escape-in-a-field", "escape-with-search-open"])
def test_leaving_blanks_the_page_and_replaces_it_in_the_history(browser, served: str, site: Path, how: str) -> None:  # type: ignore[no-untyped-def]
    screen = SCREENS["phone"] if how in ("tap", "escape-with-search-open") else SCREENS["desktop"]
    context = new_context(browser, served, **screen)
    page = context.new_page()
    chapter = first_chapter(site)
    page.goto(served + "introduction/")
    page.goto(served + chapter)
    ready(page)
    length = page.evaluate("history.length")
    assert context.neutral_requests == []

    leave_by(page, how)
    page.wait_for_url(NEUTRAL)
    assert page.evaluate("history.length") == length, "a new history entry: the course page is still one Back away"
    assert [r["url"] for r in context.neutral_requests] == [NEUTRAL]
    assert context.neutral_requests[0]["navigation"]
    assert context.neutral_requests[0]["referer"] is None, "the neutral site was told where the reader came from"

    page.go_back()
    page.wait_for_load_state()
    assert page.url == served + "introduction/", f"Back went to {page.url}"

    # The body was emptied, and nothing was on screen any more when the browser began to leave
    # (beforeunload, which Chromium fires inside location.replace(), and pagehide).
    log = [r for r in records(context, served) if r["path"] == "/" + chapter]
    assert "emptied" in [r["what"] for r in log], f"the page was not emptied: {log}"
    leaving = [r for r in log if r["what"] in ("beforeunload", "pagehide")]
    assert leaving, log
    for record in leaving:
        assert record["children"] == 0 and record["text"] == 0 and record["hidden"], f"something still on screen: {record}"
        assert "Rebuilding" not in record["title"] and record["title"] in ("", urlsplit(NEUTRAL).hostname), record
    context.close()


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_escape_three_times_leaves_on_a_first_visit_before_the_content_scripts(browser, served: str, site: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    """The content's scripts wait for a first interaction (overrides/main.html); leaving does
    not: three Escapes as the very first thing the reader does still leave."""
    context = new_context(browser, served, reader_interacts=False, **SCREENS[screen])
    page = context.new_page()
    page.goto(served + first_chapter(site))
    page.wait_for_selector("html[data-rt-scripts=waiting]", state="attached")
    for _ in range(3):
        page.keyboard.press("Escape")
    page.wait_for_url(NEUTRAL)
    assert [r["url"] for r in context.neutral_requests] == [NEUTRAL]
    context.close()


@pytest.mark.parametrize("presses", ["two", "three-over-more-than-a-second", "held-down"])
def test_escape_that_is_not_three_presses_in_a_second_stays(browser, served: str, site: Path, presses: str) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser, served, **SCREENS["desktop"])
    page = context.new_page()
    chapter = first_chapter(site)
    page.goto(served + chapter)
    ready(page)
    page.locator("textarea[data-rt-key^='prompt:']").first.focus()
    if presses == "two":
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    elif presses == "three-over-more-than-a-second":
        for n in range(3):
            if n:
                page.wait_for_timeout(600)
            page.keyboard.press("Escape")
    else:  # one press held down: the browser repeats it (event.repeat)
        for _ in range(5):
            page.keyboard.down("Escape")
        page.keyboard.up("Escape")
    page.wait_for_timeout(1200)
    assert page.url.split("#")[0] == served + chapter  # Material's anchor tracking may add a #part
    assert page.locator(".md-content h1").is_visible()
    assert context.neutral_requests == []
    # Then three presses in a second do leave.
    for _ in range(3):
        page.keyboard.press("Escape")
    page.wait_for_url(NEUTRAL)
    context.close()


@pytest.mark.parametrize("how", ["click", "escape-in-a-field"])
def test_an_answer_typed_just_before_leaving_is_saved(browser, served: str, site: Path, how: str) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser, served, **SCREENS["desktop"])
    page = context.new_page()
    chapter = first_chapter(site)
    page.goto(served + chapter)
    ready(page)
    box = page.locator("textarea[data-rt-key^='prompt:']").first
    key = box.get_attribute("data-rt-key")
    box.click()
    answer = "Written a moment before leaving."
    page.keyboard.type(answer)  # no pause: the journal's save is still waiting (debounced)
    if how == "click":
        page.locator(EXIT).click()
    else:
        for _ in range(3):
            page.keyboard.press("Escape")
    page.wait_for_url(NEUTRAL)

    again = context.new_page()
    again.goto(served + chapter)
    ready(again)
    again.wait_for_function(
        "key => document.querySelector(`[data-rt-key=\"${key}\"]`).value !== ''", arg=key, timeout=5000)
    assert again.locator(f'[data-rt-key="{key}"]').input_value() == answer
    context.close()


EXIT_STATE = """(sel) => {
  const el = document.querySelector(sel);
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  // Points across the control, inset from its rounded corners: each must be the control.
  const points = [];
  for (const fx of [0.25, 0.5, 0.75]) for (const fy of [0.3, 0.5, 0.7]) points.push([r.left + r.width * fx, r.top + r.height * fy]);
  const covers = points.map(([x, y]) => document.elementFromPoint(x, y))
    .filter((top) => !top || (top !== el && !el.contains(top)))
    .map((top) => top ? `${top.tagName.toLowerCase()}.${String(top.className).split(' ')[0]}` : 'nothing');
  return {
    rect: [r.left, r.top, r.width, r.height],
    inside: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
    shown: s.visibility === 'visible' && s.display !== 'none' && parseFloat(s.opacity) === 1,
    covers: [...new Set(covers)],
    text: el.textContent.trim(),
    name: el.getAttribute('aria-label') || el.textContent.trim(),
  };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_it_is_in_view_uncovered_and_big_enough_on_every_kind_of_page(browser, served: str, site: Path, width: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser, served, color_scheme=scheme, reduced_motion="reduce", **WIDTHS[width])
    page = context.new_page()
    worksheet = next(p for p in sitemap_paths(site) if p.startswith("worksheets/") and p != "worksheets/")
    problems = []
    for path in ["", "introduction/", first_chapter(site), worksheet, "journal/", "safety/", "no-such-page/"]:
        page.goto(served + path)
        ready(page)
        for where in ("top", "scrolled"):
            if where == "scrolled":
                page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight / 2)")
                page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            state = page.evaluate(EXIT_STATE, EXIT)
            at = f"{path or '/'} ({where}): {state['rect']}"
            if not (state["inside"] and state["shown"]):
                problems.append(f"not wholly in view: {at}")
            if state["covers"]:
                problems.append(f"covered by {state['covers']}: {at}")
            if state["rect"][2] < 24 or state["rect"][3] < 24:
                problems.append(f"smaller than 24 × 24 px: {at}")
            if state["name"] != CONFIGURED["label"]:
                problems.append(f"named {state['name']!r}, not {CONFIGURED['label']!r}: {at}")
    # Colour contrast and target size, as axe sees them, in this scheme.
    results = Axe().run(page, context=EXIT, options={"runOnly": {"type": "rule", "values": ["color-contrast", "target-size", "link-name"]}})
    problems += [f"axe {v['id']}: {v['nodes'][0]['failureSummary']}" for v in results.response["violations"]]
    context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("screen", SCREENS)
def test_it_is_the_first_or_second_tab_stop_and_shows_its_focus(browser, served: str, site: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser, served, **SCREENS[screen])
    page = context.new_page()
    problems = []
    for path in ["", first_chapter(site), "journal/", "safety/", "no-such-page/"]:
        page.goto(served + path)
        ready(page)
        page.evaluate(RECORD_UNFOCUSED)
        stops = []
        for _ in range(2):
            page.keyboard.press("Tab")
            page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            stops.append(page.evaluate("document.activeElement.outerHTML.slice(0, 80)"))
            if page.evaluate(f"document.activeElement.matches({EXIT!r})"):
                break
        else:
            problems.append(f"{path or '/'}: the first two Tab stops are {stops}")
            continue
        info = page.evaluate(FOCUS)
        if not (info["inside"] and info["uncovered"] and info["shows"]):
            problems.append(f"{path or '/'}: focused, but {info}")
        if len(stops) == 2 and "md-skip" not in stops[0]:
            problems.append(f"{path or '/'}: the stop before it is {stops[0]}, not the skip link")
    context.close()
    assert not problems, "\n".join(problems)


def test_with_the_menu_open_on_a_phone_it_still_leaves_in_one_tap(browser, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser, served, **SCREENS["phone"])
    page = context.new_page()
    page.goto(served + first_chapter(site))
    ready(page)
    page.locator("[data-rt-drawer-open]").click()
    page.wait_for_timeout(400)
    assert page.evaluate("document.getElementById('__drawer').checked")
    state = page.evaluate(EXIT_STATE, EXIT)
    assert state["inside"] and not state["covers"], state
    assert page.evaluate(f"!document.querySelector({EXIT!r}).closest('[inert]')")
    page.locator(EXIT).tap()
    page.wait_for_url(NEUTRAL)
    context.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_browsing_and_pointing_at_it_sends_nothing_to_another_origin(browser, served: str, site: Path, screen: str) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser, served, **SCREENS[screen])
    elsewhere: list[str] = []
    own = (served.rstrip("/") + "/", "data:", "blob:")
    # The context's requests: the pages' and their workers' (search, the offline cache).
    context.on("request", lambda request: None if request.url.startswith(own) else elsewhere.append(request.url))
    page = context.new_page()
    page.goto(served)
    ready(page)
    # An instant navigation (Material's), and full loads of other kinds of page.
    page.evaluate("window.__rtSamePage = 1")
    page.locator(".rt-hero__start").click()
    page.wait_for_url(served + "introduction/")
    assert page.evaluate("window.__rtSamePage") == 1, "a full reload, not an instant navigation"
    for path in [first_chapter(site), "worksheets/", "journal/", "safety/"]:
        page.goto(served + path)
        ready(page)
        page.locator(EXIT).hover()
        page.wait_for_timeout(300)
        page.keyboard.press("Tab")
        page.locator(EXIT).focus()
        page.mouse.move(5, 300)
        page.wait_for_timeout(300)
    page.wait_for_timeout(500)
    assert context.neutral_requests == []
    context.close()
    assert elsewhere == [], elsewhere


def test_without_javascript_it_is_an_ordinary_link_to_the_neutral_page(browser, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    context = new_context(browser, served, java_script_enabled=False)
    page = context.new_page()
    page.goto(served + first_chapter(site))
    link = page.locator(EXIT)
    assert link.is_visible()
    assert link.get_attribute("href") == NEUTRAL
    assert "noreferrer" in link.get_attribute("rel").split()
    link.click()
    page.wait_for_url(NEUTRAL)
    context.close()


# --- the settings: a mistake fails the build, naming the field ----------------------------------


def test_the_settings_are_checked() -> None:
    from sitebuild import quick_exit as hook

    assert hook.check(None) == hook.DEFAULTS
    assert hook.check({"url": " https://www.bbc.com/news ", "label": "Leave  now"}) == {
        "url": "https://www.bbc.com/news", "label": "Leave now"}
    assert hook.check({"url": "https://example.org/"})["label"] == hook.DEFAULTS["label"]
    bad = {
        "extra.quick_exit.url: missing": {"label": "Leave"},
        "extra.quick_exit.url: found ''": {"url": ""},
        "extra.quick_exit.url: found 'http://www.bbc.com/weather', which is not an https://": {"url": "http://www.bbc.com/weather"},
        "extra.quick_exit.url: found 'javascript:alert(1)'": {"url": "javascript:alert(1)"},
        "extra.quick_exit.url: found '/weather'": {"url": "/weather"},
        "extra.quick_exit.url: found 'https://me:secret@example.org/'": {"url": "https://me:secret@example.org/"},
        "extra.quick_exit.url: found 'https://example.org/\"onclick=x'": {"url": 'https://example.org/"onclick=x'},
        "extra.quick_exit.url: found 42": {"url": 42},
        "extra.quick_exit.label: found ' '": {"url": "https://example.org/", "label": " "},
        "extra.quick_exit.label: found 'Leave this site right now, please'": {"url": "https://example.org/", "label": "Leave this site right now, please"},
        "extra.quick_exit.lable: not a setting": {"url": "https://example.org/", "lable": "Leave"},
        "extra.quick_exit: found 'https://example.org/'": "https://example.org/",
    }
    for expected, block in bad.items():
        with pytest.raises(hook.QuickExitError) as error:
            hook.check(block, "mkdocs.yml:95")
        assert f"mkdocs.yml:95: {expected}" in str(error.value), str(error.value)




@pytest.mark.parametrize("block, field, line", [
    # the line named: the field's own, or the block's where the field is missing
    ("  quick_exit:\n    label: Leave this site\n    url: http://www.bbc.com/weather\n", "extra.quick_exit.url", 2),
    ("  quick_exit:\n    label: Leave this site\n", "extra.quick_exit.url", 0),
], ids=["not-https", "missing"])
def test_a_mistake_in_the_settings_fails_the_build(tmp_path: Path, block: str, field: str, line: int) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_PARTS:
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    start = config.index("  quick_exit:\n")
    end = config.index("\n", config.index("    label:", start)) + 1
    (project / "mkdocs.yml").write_text(config[:start] + block + config[end:], encoding="utf-8")
    line += config[:start].count("\n") + 1
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=project, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1", "SITE_URL": "http://127.0.0.1:8000/"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"mkdocs.yml:{line}: {field}:" in output, output
    assert "Traceback" not in output
