"""What the build does after MkDocs has written the pages: one named sequence, in this order.

Each step reads what the steps before it wrote, so the order is the contract:

1. **mail**: the bundled waitlist service's email wording (`extra.waitlist.messages`) beside
   the pages, `_mail.json`, which the service reads at start and never serves. Reads
   `mkdocs.yml`; writes `_mail.json` (service mode only).
2. **pdfs**: every worksheet's PDF, A4 and Letter, and the workbook (printing/pdf.py). Reads the
   course's data, the print templates and stylesheets, the fonts; writes
   `worksheets/<id>/<id>-<size>.pdf` and `worksheets/<slug>-workbook-<size>.pdf`, from
   `.cache/pdf/` when nothing they are made from changed.
3. **assets**: the one fingerprinted stylesheet, the hashed scripts and modules
   (publish/assets.py). Reads what `on_config` joined; writes `assets/rt.<hash>.css` and the
   scripts.
4. **social**: link-preview images, one per chapter and the landing page (publish/social.py).
   Writes `assets/social/*.png`.
5. **robots**: `robots.txt`, naming the sitemap.
6. **redirects**: renamed worksheets' old addresses (publish/redirects.py). Reads the data's
   `formerly`; writes a small page (and PDF redirects) at each old address.
7. **search**: quotations in the search index as plain text (publish/search.py). Rewrites
   `search/search_index.json`.
8. **outline**: the journal's outline moved out of its page into a file (publish/outline.py).
   Rewrites `journal/index.html`; writes its JSON.
9. **stylesheet**: the joined stylesheet without the rules no page can use (publish/assets.py
   `shrink_stylesheet`): Material styles features this site never shows. Reads every page,
   script and data file for the classes they can set; writes the smaller sheet under its own
   hashed name and links it from every page. After every step that changes a page.
10. **csp**: the content security policy (`_headers`) from every page's final markup, with a
    hash of each inline script our templates and Material's ship (publish/csp.py). Reads every
    page, so it comes after every step that changes one.
11. **offline**: the offline worker, its list of files with their hashes, the web app manifest
    and its icons (publish/offline.py). Reads every file, so it comes after everything that
    changes or adds one.
12. **compression**: precompressed `.gz` and `.br` copies, from `.cache/compress/` for files
    whose bytes did not change (publish/compress.py). Last: it copies what the others wrote.

Under `mkdocs serve` (`make dev`) the steps an editor does not see are skipped (`full_only`):
no link-preview images, no smaller stylesheet (the whole one is served), no CSP file, no
compressed copies, and the PDFs are copied from the cache but never laid out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

STEP_NAMES = ("mail", "pdfs", "assets", "social", "robots", "redirects", "search", "outline", "stylesheet", "csp", "offline",
              "compression")


@dataclass(frozen=True)
class Step:
    """One post-build step: its name (STEP_NAMES), what it does, and whether a preview
    (`mkdocs serve`) skips it."""

    name: str
    run: Callable[[], Any]
    full_only: bool = False


def run_steps(steps: list[Step], full_site: bool, log: Callable[[str], None]) -> list[str]:
    """Run `steps` in order (those a preview skips only when `full_site`); returns the names run.
    The steps must be given in STEP_NAMES' order: a step out of place is a programming error."""
    names = [step.name for step in steps]
    if names != [name for name in STEP_NAMES if name in names]:
        raise AssertionError(f"post-build steps out of order: {names}; the order is {STEP_NAMES}")
    done = []
    for step in steps:
        if step.full_only and not full_site:
            continue
        step.run()
        done.append(step.name)
    log(f"post-build steps: {', '.join(done)}")
    return done
