"""The journal's outline as a file of its own, fetched when the journal runs.

The Journal page lists every chapter's prompts and worksheets with the reader's answers; the
journal module draws that list from an outline (macros/journal.py) that the page carried in an
attribute, `data-rt-journal-outline='{…}'`: about 32 KB of JSON, 6 KB compressed, in the page
that a first visit downloads though the journal runs only once the reader does something
(overrides/main.html). After the build this moves it into `outline.<hash>.json` beside the page
and leaves `data-rt-journal-outline-src="outline.<hash>.json"`, which journal-page.js fetches
(same origin, named by its content, so cached for a year; the offline worker keeps it with the
page: publish/offline.py). Runs before the content security policy and the offline steps read
the pages.

Plain Python over the built site; sitebuild/plugin.py wires it into MkDocs.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

INLINE = re.compile(r"""\bdata-rt-journal-outline='([^']*)'""")
MARKER = "data-rt-journal-outline="
NAME = "outline.{hash}.json"


def externalise(site: Path) -> list[Path]:
    """Move every page's inline outline into a file beside the page; the files written."""
    written = []
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if MARKER not in text:
            continue
        found = INLINE.findall(text)
        if len(found) != 1:
            raise ValueError(f"{page.relative_to(site)}: expected one {MARKER}'…' attribute, found {len(found)}")
        data = html.unescape(found[0])
        try:
            json.loads(data)
        except ValueError as error:
            raise ValueError(f"{page.relative_to(site)}: the journal's outline is not JSON ({error})") from None
        name = NAME.format(hash=hashlib.sha256(data.encode("utf-8")).hexdigest()[:8])
        (page.parent / name).write_text(data, encoding="utf-8")
        page.write_text(INLINE.sub(f'data-rt-journal-outline-src="{name}"', text), encoding="utf-8")
        written.append(page.parent / name)
    return written
