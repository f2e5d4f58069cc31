"""Valid HTML where Material's base.html is not: its drawer and search toggles.

Material's base.html writes, outside any template block,

    <input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer" autocomplete="off">
    <input class="md-toggle" data-md-toggle="search" type="checkbox" id="__search" autocomplete="off">

and `autocomplete` is not allowed on a checkbox (the Nu validator: "Attribute “autocomplete” is
only allowed when the input type is …"; tests/test_validator.py). Overriding base.html for two
attributes would mean carrying a copy of Material's whole page skeleton, so the built page loses
exactly those two attributes here instead (hooks/publish.py, on every page Material renders).

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
