"""The search index with plain apostrophes.

Pages show typographic apostrophes and quotes (smarty; course/typography.py), so the index
Material's search plugin writes holds "partner’s" and "don’t". Readers type "partner's" with
the apostrophe on their keyboard, and the search engine (lunr) matches whole tokens: the word
was not found. The index's titles and texts get plain ' and " instead, and navigation.js
turns typographic quotes typed into the search box (phones type them) into plain ones, so
both sides meet. Results show the index's text, so a result reads "partner's"; the page
itself is unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def plain_quotes(index: dict) -> dict:
    for doc in index.get("docs", []):
        for key in ("title", "text"):
            if isinstance(doc.get(key), str):
                doc[key] = doc[key].translate(PLAIN)
    return index


def write_plain_quotes(site: Path) -> None:
    path = site / "search" / "search_index.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no search index to rewrite (is the search plugin listed in mkdocs.yml?)")
    index = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(plain_quotes(index), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
