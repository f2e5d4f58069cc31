"""Valid HTML where Material's base.html is not: its drawer and search toggles.

Material's base.html writes, outside any template block,

    <input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer" autocomplete="off">
    <input class="md-toggle" data-md-toggle="search" type="checkbox" id="__search" autocomplete="off">

and `autocomplete` is not allowed on a checkbox (the Nu validator: "Attribute “autocomplete” is
only allowed when the input type is …"; tests/test_validator.py). Overriding base.html for two
attributes would mean carrying a copy of Material's whole page skeleton, so the built page loses
exactly those two attributes here instead (sitebuild/plugin.py, on every page Material renders).

What the attribute did: it stops Firefox from restoring the two checkboxes' state on a reload.
Without it, a reload in Firefox may bring the drawer or search back open until Material's bundle
starts, which closes both on the first location it sees (bundle.ts, "Always close drawer and
search on navigation"). That is all: nothing else reads the attribute.

If Material's markup changes (the attribute gone, or written differently), this fails loudly
rather than silently doing nothing: look at the new base.html, then change or drop this step.
"""

from __future__ import annotations

import re

TOGGLES = ("drawer", "search")
TOGGLE = re.compile(
    r'<input class="md-toggle" data-md-toggle="(?P<name>[a-z]+)" type="checkbox" id="__(?P=name)"'
    r'(?P<autocomplete> autocomplete="off")>'
)


def without_toggle_autocomplete(html: str, where: str = "page") -> str:
    """`html` with `autocomplete="off"` removed from Material's two md-toggle checkboxes, and
    from nothing else. Raises ValueError naming `where` unless each toggle is found exactly once."""
    found = [m.group("name") for m in TOGGLE.finditer(html)]
    if sorted(found) != sorted(TOGGLES):
        raise ValueError(
            f"{where}: expected Material's md-toggle checkboxes {', '.join(TOGGLES)} once each with "
            f'autocomplete="off" (base.html), found {found or "none"}: see publish/markup.py'
        )
    return TOGGLE.sub(lambda m: m.group(0).replace(m.group("autocomplete"), ""), html)


# --- "Skip to content" on every page ---------------------------------------------------------

SKIP = re.compile(r'(<div data-md-component="skip">)(.*?)(</div>)', re.S)
TITLE = re.compile(r"<h1\b([^>]*)>")
SKIP_LABEL = "Skip to content"


def with_skip_link(html: str, where: str = "page") -> str:
    """`html` with a "Skip to content" link that leads to the page's title and moves focus there.

    Material's base.html writes the link only when a page has a table of contents (its first
    entry is the target), so the generated worksheet pages and 404.html had none, and where it
    was written, following it moved no focus: its target was a heading that cannot take focus.
    Here every page's link points at the first <h1> inside <main>, which gets an id (if it has
    none) and tabindex="-1" (navigation.js gives the same to the title after an instant
    navigation). Raises ValueError naming `where` if Material's skip container or the title is
    not found: look at the new base.html, then change this step."""
    skip = SKIP.search(html)
    main = html.find("<main")
    title = TITLE.search(html, main) if main >= 0 else None
    if not skip or not title:
        raise ValueError(f"{where}: expected Material's skip container and an <h1> in <main>: see publish/markup.py")
    attributes = title.group(1)
    found = re.search(r'\bid="([^"]+)"', attributes)
    target = found.group(1) if found else "rt-title"
    if not found:
        attributes += f' id="{target}"'
    if "tabindex=" not in attributes:
        attributes += ' tabindex="-1"'
    html = html[: title.start()] + f"<h1{attributes}>" + html[title.end():]
    link = f'\n      <a href="#{target}" class="md-skip">{SKIP_LABEL}</a>\n    '
    return html[: skip.start(2)] + link + html[skip.end(2):]
