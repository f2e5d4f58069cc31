"""publish/markup.py: Material's drawer and search toggles lose `autocomplete="off"` (not allowed
on a checkbox), and nothing else changes; markup it does not expect stops the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from publish.markup import without_toggle_autocomplete

DRAWER = '<input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer" autocomplete="off">'
SEARCH = '<input class="md-toggle" data-md-toggle="search" type="checkbox" id="__search" autocomplete="off">'
TEXT = '<input type="text" class="md-search__input" name="query" autocomplete="off">'
PAGE = f"<body>\n    {DRAWER}\n    {SEARCH}\n<p>autocomplete=\"off\"</p>{TEXT}</body>"


def test_only_the_two_toggles_lose_the_attribute() -> None:
    assert without_toggle_autocomplete(PAGE) == (
        '<body>\n    <input class="md-toggle" data-md-toggle="drawer" type="checkbox" id="__drawer">\n'
        '    <input class="md-toggle" data-md-toggle="search" type="checkbox" id="__search">\n'
        f'<p>autocomplete="off"</p>{TEXT}</body>'
    )


@pytest.mark.parametrize("page", [
    PAGE.replace(SEARCH, ""),  # a toggle gone
    PAGE.replace(DRAWER, DRAWER.replace(' autocomplete="off"', "")),  # Material dropped the attribute
    PAGE.replace(DRAWER, DRAWER.replace('type="checkbox" ', 'type="checkbox" name="x" ')),  # written otherwise
    PAGE.replace(SEARCH, SEARCH + SEARCH),  # twice
    "<body></body>",
], ids=["missing", "no-attribute", "changed", "twice", "none"])
def test_unexpected_toggle_markup_fails_loudly(page: str) -> None:
    with pytest.raises(ValueError, match=r"^chapter\.md: expected Material's md-toggle checkboxes drawer, search once each"):
        without_toggle_autocomplete(page, "chapter.md")


def test_materials_base_template_still_writes_the_toggles_as_expected() -> None:
    """The installed Material's base.html holds the exact markup this step rewrites."""
    from material import templates

    base = (Path(templates.__file__).parent / "base.html").read_text(encoding="utf-8")
    assert DRAWER in base and SEARCH in base
