"""The smaller stylesheet changes nothing a reader sees (publish/assets.py `shrink_stylesheet`):
on the landing page, a chapter, a worksheet, the journal holding an answer and the Safety page,
in the light scheme on a phone and the dark one on a desktop, every element and its ::before
and ::after have the same computed style with the shipped sheet as with the whole joined one
(Material's stylesheets and ours, as `on_config` joins them) served in its place. Checked by
mutation: with a class the pages use taken out of the ones kept, the chapter differs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.helpers import chapter_with_prompt, settle, write_prompt
from tests.helpers import whole_stylesheet

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SHEET = re.compile(r".*/assets/stylesheets/rt\.[0-9a-f]{8}\.min\.css$")
# Per element (and its ::before and ::after where they are drawn: `content` is not "none") in
# document order: where it is and a hash of every computed property. Custom properties are
# compared on the root, where the tokens are set: elsewhere they matter through the properties
# that use them, which are compared everywhere. The hash keeps what crosses to Python small.
STYLES = """() => {
  const hash = (text) => { let h = 2166136261; for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); } return h >>> 0; };
  const root = getComputedStyle(document.documentElement);
  const every = Array.from(root);
  const names = every.filter((name) => !name.startsWith("--"));
  const out = [];
  document.querySelectorAll("*").forEach((element, index) => {
    const where = index + " " + element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
      (typeof element.className === "string" && element.className.trim() ? "." + element.className.trim().split(/\\s+/).join(".") : "");
    for (const pseudo of [null, "::before", "::after"]) {
      const style = getComputedStyle(element, pseudo);
      if (pseudo && style.content === "none") continue;
      const read = element === document.documentElement && !pseudo ? every : names;
      out.push([where + (pseudo || ""), hash(read.map((name) => style.getPropertyValue(name)).join(";"))]);
    }
  });
  return out;
}"""


def styles(page, path: str, served: str) -> list:  # type: ignore[no-untyped-def]
    page.goto(served + path)
    settle(page)
    return page.evaluate(STYLES)


# Both schemes and both widths, each once: what is left out depends on class names only, never on
# the scheme's attribute or a width's media query, which the kept rules carry as they were.
@pytest.mark.parametrize(("scheme", "width"), [("light", "phone"), ("dark", "desktop")])
def test_every_element_looks_the_same_with_the_whole_stylesheet(  # type: ignore[no-untyped-def]
        browser, served: str, site: Path, scheme: str, width: str) -> None:
    whole_sheet = whole_stylesheet()  # once per worker (functools.cache)
    shipped = next((site / "assets" / "stylesheets").glob("rt.*.min.css")).read_bytes()
    assert len(shipped) < 0.85 * len(whole_sheet)  # something was left out
    chapter, prompt = chapter_with_prompt(site)
    worksheet = next(p.parent.relative_to(site).as_posix() for p in sorted((site / "worksheets").glob("*/index.html")))
    context = browser.new_context(color_scheme=scheme, viewport=WIDTHS[width], reduced_motion="reduce")
    page = context.new_page()
    page.goto(served + chapter)
    settle(page)
    write_prompt(page, prompt, "An answer, so the journal shows an entry.")
    paths = ["", chapter, worksheet + "/", "journal/", "safety/"]
    with_shipped = {path: styles(page, path, served) for path in paths}
    page.route(SHEET, lambda route: route.fulfill(body=whole_sheet, content_type="text/css"))
    differences = {}
    for path in paths:
        with_whole = styles(page, path, served)
        assert [where for where, _ in with_whole] == [where for where, _ in with_shipped[path]], path
        changed = [where for (where, a), (_, b) in zip(with_whole, with_shipped[path], strict=True) if a != b]
        if changed:
            differences[path] = changed[:5]
    context.close()
    assert not differences, differences
