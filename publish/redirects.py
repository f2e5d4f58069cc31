"""Old addresses that moved: a renamed worksheet's former address (its `formerly` in data/)
redirects to its page, on any host.

- `_redirects`, the file Netlify and Cloudflare Pages read (`/old/ /new/ 301`, one rule a line,
  a `:splat` rule for the old folder's files: its PDFs moved with it), which the bundled service
  reads too (waitlist/static.py, `moved_paths`);
- and, for a host that reads neither, a small page at the old address that sends the browser
  on (`<meta http-equiv="refresh">`) and links to the new address for a reader whose browser
  does not follow it. It is not in the sitemap and asks search engines not to index it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path

REDIRECTS = "_redirects"

PAGE = """<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="0; url={target}">
<link rel="canonical" href="{canonical}">
<title>This page has moved · {name}</title>
</head>
<body>
<main>
<h1>This page has moved</h1>
<p><a href="{target}">Go to its new address</a>.</p>
</main>
</body>
</html>
"""


def rules(moved: Mapping[str, str]) -> list[tuple[str, str]]:
    """(from, to) rules as site paths, files before folders (the first rule that matches wins):
    a file `worksheets/old/old-a4.pdf` -> its new path; a folder `worksheets/old/` -> its new
    folder, and `/worksheets/old/*` -> `/worksheets/new/:splat` for its other files."""
    files = [(f"/{old}", f"/{new}") for old, new in moved.items() if not old.endswith("/")]
    folders = [(f"/{old}", f"/{new}") for old, new in moved.items() if old.endswith("/")]
    return files + [rule for old, new in folders for rule in ((old, new), (old + "*", new + ":splat"))]


def write(site: Path, moved: Mapping[str, str], site_url: str, language: str = "en", name: str = "") -> None:
    """`_redirects` for `moved` (site paths, relative to the root: a folder ends with "/"), and
    a page at each old folder's address."""
    for old, new in moved.items():
        if (site / old).exists():
            raise FileExistsError(f"{old} is still part of the site; it cannot also redirect to {new}")
    lines = [f"{source} {target} 301" for source, target in rules(moved)]
    (site / REDIRECTS).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    for old, new in moved.items():
        if not old.endswith("/"):
            continue
        depth = "../" * old.strip("/").count("/") + "../"
        page = PAGE.format(language=escape(language), target=escape(f"{depth}{new}"), name=escape(name),
                           canonical=escape(f"{site_url.rstrip('/')}/{new}"))
        (site / old).mkdir(parents=True)
        (site / old / "index.html").write_text(page, encoding="utf-8")
