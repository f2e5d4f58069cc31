"""Every colour of the site's and the PDFs' stylesheets is a design token (issue 29): no sheet but
tokens.css writes a colour itself. The browser check (tests/browser/test_look.py) reads the
computed colours of five pages; this one reads every rule, including print's and the PDFs', which
no screen shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

TOKENS = ROOT / "overrides/assets/css/tokens.css"
SHEETS = sorted((ROOT / "overrides/assets/css").glob("*.css")) + [ROOT / "macros/templates/print/pdf.css"]
COMMENT = re.compile(r"/\*.*?\*/", re.S)
# A colour written out: #rgb… hex, a colour function, or a named colour in a declaration's value.
LITERAL = re.compile(
    r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|"
    r":\s*[^;{}]*\b(?:white|black|red|green|blue|gr[ae]y|silver|cyan|teal|navy|maroon|purple|orange|yellow)\b(?![-\w])"
)


def colour_literals(css: str) -> list[str]:
    found = []
    for number, line in enumerate(COMMENT.sub(lambda m: "\n" * m.group().count("\n"), css).splitlines(), 1):
        # the `white-space` property and `nowrap` values are no colours
        code = re.sub(r"white-space\s*:[^;}]*", "", line)
        if LITERAL.search(code):
            found.append(f"{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda p: p.name)
def test_no_stylesheet_but_the_tokens_writes_a_colour(sheet: Path) -> None:
    if sheet == TOKENS:
        assert len(colour_literals(sheet.read_text(encoding="utf-8"))) >= 20  # the tokens themselves
        return
    found = colour_literals(sheet.read_text(encoding="utf-8"))
    assert not found, f"{sheet.relative_to(ROOT)}: colours that are no token (use var(--rt-…)): {found}"


def test_the_check_finds_colours_written_out() -> None:
    assert colour_literals("a { color: #999; }\n/* #fff in a comment */\nb { white-space: nowrap; }") == ["1: a { color: #999; }"]
    assert colour_literals("a {\n  border: 1px solid rgba(0, 0, 0, .2);\n}") == ["2: border: 1px solid rgba(0, 0, 0, .2);"]
    assert colour_literals("a { background: white; }") == ["1: a { background: white; }"]
    assert colour_literals("a { color: var(--rt-ink); }") == []
