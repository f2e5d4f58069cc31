"""Typographic quotes for plain text from the data files: `'` and `"` become ’ ‘ “ ”.

The pages' Markdown gets its quotes from Python-Markdown's `smarty` extension (mkdocs.yml), but
text from data/*.yml reaches the pages through Jinja templates, the journal's JSON and the PDFs,
never through Markdown. The records convert it once, as they are loaded (`Prose` in model.py),
so every consumer shows the same curly text. Plain text in, plain text out: escaping is left
to the templates, and nothing but the two straight quote characters ever changes.

Why not the `smartypants` package: it reads its input as HTML (anything between `<` and `>`
is skipped as a tag), closes a quote that follows an em dash (`—"no"` → `—”no”`) and opens
the apostrophe of a decade (`'90s` → `‘90s`). The rules below follow smarty's, on plain text.
"""

from __future__ import annotations

import re

APOSTROPHE = "\u2019"  # ’, also the closing single quote
OPEN_SINGLE = "\u2018"  # ‘
OPEN_DOUBLE = "\u201c"  # “
CLOSE_DOUBLE = "\u201d"  # ”

# A quote opens a phrase after these (or at the start of the text): space, an opening bracket,
# a dash, a slash, or another opening quote ("'Nested' words" → “‘Nested’ words”).
OPENS_AFTER = frozenset("([{\u2014\u2013/" + OPEN_SINGLE + OPEN_DOUBLE)
# An apostrophe, not an opening quote, before a decade or a word with a letter left out.
ELISION = re.compile(r"\d\ds\b|(?:tis|twas|til|em|cause|n)\b", re.IGNORECASE)


def curly_quotes(text: str) -> str:
    """`text` with every straight quote made typographic, decided from its neighbours.

    - between two letters or digits, `'` is an apostrophe: don’t, partner’s, rock’n’roll;
    - before a decade or a common elision, too: the ’90s, ’til, rock ’n’ roll;
    - after a space, bracket, dash or opening quote (or at the start) and before a
      non-space, a quote opens: “a phrase”, —“no”, (‘aside’), “‘nested’ words”;
    - any other quote closes: partners’ answers, “no.”, ‘this’.
    """
    if "'" not in text and '"' not in text:
        return text
    out: list[str] = []
    for index, char in enumerate(text):
        if char not in "'\"":
            out.append(char)
            continue
        before = out[-1] if out else ""
        after = text[index + 1 : index + 2]
        opening = (not before or before.isspace() or before in OPENS_AFTER) and bool(after) and not after.isspace()
        if char == '"':
            out.append(OPEN_DOUBLE if opening else CLOSE_DOUBLE)
        elif before.isalnum() and after.isalnum():
            out.append(APOSTROPHE)
        elif opening and ELISION.match(text, index + 1):
            out.append(APOSTROPHE)
        else:
            out.append(OPEN_SINGLE if opening else APOSTROPHE)
    return "".join(out)
