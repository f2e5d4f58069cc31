"""A strict content security policy for the built site.

Scripts are files from our own origin; the few inline scripts our templates (overrides/) and
Material's emit are allowed by their SHA-256 hash. Inline data blocks (`application/json`,
`application/ld+json`) are not executed and need no hash.

Which inline scripts are ours is decided from the template sources, not from the built pages:
hashing every inline script found in the pages would trust one that data slipped into a page
too. At build, every `<script>` without `src` in the templates (overrides/, the macros'
macros/templates and Material's) becomes a pattern: its text as written, where each `{{ expression }}`
may stand for any text without quotes, backslashes or angle brackets (Material's start-up
script takes the page's base URL, `"."` or `".."`, so its hash differs with the page's depth;
a value cannot leave the string it is put in). A script whose template holds `{% statements %}`
gives no pattern: none is used here, and if one ever is, the build says so. Each inline script
of each built page must match a pattern; its hash then goes into the policy. Any other inline
script, and any inline event handler attribute (`onclick=` …, which no hash can allow), fails
the build with the page's name. Hard-coding the hashes instead would break on every change to
a template or every Material update; rendering the templates here would need MkDocs' context.

Finding event handlers means parsing every page's HTML, the slowest part of this step (every
page holds the whole navigation, so the work grows with pages times nav entries). What each
page holds is kept in `.cache/csp.json` (or `$RT_CSP_CACHE`) by the sha256 of its text, so an
unchanged page is not parsed again; the cache keeps the pages of the last build only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

from publish import jsoncache, stamp

INLINE_SCRIPT = re.compile(r"<script(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</script>", re.S | re.I)
DATA_BLOCK = re.compile(r"""type\s*=\s*["']?application/(ld\+)?json""", re.I)

# The same headers the bundled service sends by default (waitlist/headers.py); the site builds
# without the service, so both keep their own copy and a test keeps them equal.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "X-Frame-Options": "DENY",
}


JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
JINJA_EXPRESSION = re.compile(r"\{\{-?.*?-?\}\}", re.S)
# What a template expression inside a shipped script may be: text that cannot end its string.
EXPRESSION_VALUE = r"""[^"'`<>\\]*"""


class CspError(Exception):
    """A built page holds an inline script or event handler that the project does not ship."""


def inline_scripts(html: str) -> list[str]:
    """The bodies of the executable inline scripts of a page (or template)."""
    bodies = []
    for match in INLINE_SCRIPT.finditer(html):
        attrs, body = match.group("attrs"), match.group("body")
        if "src=" in attrs or DATA_BLOCK.search(attrs) or not body.strip():
            continue
        bodies.append(body)
    return bodies


def script_hash(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def inline_script_hashes(html: str) -> set[str]:
    return {script_hash(body) for body in inline_scripts(html)}


def template_pattern(body: str) -> re.Pattern[str] | None:
    """The scripts a template's inline script can render to, or None when it holds statements."""
    if "{%" in body:
        return None
    parts = JINJA_EXPRESSION.split(body)
    return re.compile(EXPRESSION_VALUE.join(re.escape(part) for part in parts), re.S)


def shipped_scripts(template_dirs: Iterable[Path]) -> list[re.Pattern[str]]:
    """A pattern for every inline script in the templates under `template_dirs`."""
    patterns = []
    for folder in template_dirs:
        for template in _html_files(Path(folder)):
            source = JINJA_COMMENT.sub("", template.read_text(encoding="utf-8"))
            patterns += [p for body in inline_scripts(source) if (p := template_pattern(body))]
    return patterns


def _html_files(folder: Path) -> list[Path]:
    """The .html files under `folder`, but in hidden folders: Material's templates hold its
    fourteen thousand icons in `.icons/`, which walking took most of this step's time."""
    found = []
    for parent, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [Path(parent, name) for name in files if name.endswith(".html")]
    return sorted(found)


class _EventHandlers(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [f"<{tag} {name}=…>" for name, _ in attrs if name.startswith("on")]


def event_handlers(html: str) -> list[str]:
    """Inline event handler attributes (`onclick=` …) of a page's elements."""
    parser = _EventHandlers()
    parser.feed(html)
    parser.close()
    return parser.found


def checked_hashes(name: str, html: str, shipped: Sequence[re.Pattern[str]],
                   handlers: list[str] | None = None) -> set[str]:
    """The hashes of a page's inline scripts, each one the project ships; CspError otherwise.
    `handlers`: the page's `event_handlers`, when known already."""
    problems = [f"inline event handler {found}" for found in (event_handlers(html) if handlers is None else handlers)]
    hashes = set()
    for body in inline_scripts(html):
        if any(pattern.fullmatch(body) for pattern in shipped):
            hashes.add(script_hash(body))
        else:
            problems.append(f"inline script not in any template: <script>{_excerpt(body)}</script>")
    if problems:
        raise CspError(f"{name}: " + "; ".join(problems) + " (only the templates' inline scripts are allowed: publish/csp.py)")
    return hashes


def _excerpt(body: str, length: int = 60) -> str:
    text = " ".join(body.split())
    return text if len(text) <= length else text[:length] + "…"


def origin_of(url: str) -> str | None:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}" if parsed.scheme in {"http", "https"} and parsed.netloc else None


def policy(hashes: Iterable[str], form_action: str = "") -> str:
    """The policy allowing the inline scripts with these `hashes`. A waitlist form that posts to
    a hosted provider (`form_action` on another origin) is allowed to post and be fetched."""
    provider = origin_of(form_action)
    extra = f" {provider}" if provider else ""
    directives = [
        "default-src 'self'",
        "script-src 'self' " + " ".join(sorted(hashes)),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self'{extra}",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action 'self'{extra}",
        "frame-ancestors 'none'",
    ]
    return "; ".join(d.strip() for d in directives)


def headers_file(csp: str) -> str:
    """A Netlify/Cloudflare Pages style `_headers` file; the bundled service reads it too."""
    lines = ["/*", f"  Content-Security-Policy: {csp}"]
    lines += [f"  {name}: {value}" for name, value in SECURITY_HEADERS.items()]
    return "\n".join(lines) + "\n"


CACHE = Path(__file__).resolve().parent.parent / ".cache" / "csp.json"


def _read_cache(path: Path | None) -> dict[str, list[str]]:
    """The event handlers of each page of the last build, by the sha256 of its text; {} when
    there is none or it cannot be read (then every page is parsed)."""
    kept = jsoncache.read(path, code_stamp())
    return {k: v for k, v in kept.items() if isinstance(v, list) and all(isinstance(h, str) for h in v)}


@functools.cache
def code_stamp() -> str:
    """What the cached entries were made by: this module (publish/stamp.py)."""
    return stamp.stamp(stamp.of_files(Path(__file__)))


def site_hashes(site: Path, template_dirs: Iterable[Path], cache: Path | None = None) -> set[str]:
    """The hashes of the built site's inline scripts; CspError names each page that holds one
    the templates do not ship, or an inline event handler. `cache`: where the pages' event
    handlers are kept between builds (see the docstring); None: none kept."""
    shipped = shipped_scripts(template_dirs)
    known = _read_cache(cache)
    seen: dict[str, list[str]] = {}
    hashes: set[str] = set()
    errors = []
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        key = hashlib.sha256(html.encode("utf-8")).hexdigest()
        handlers = known.get(key)
        seen[key] = event_handlers(html) if handlers is None else handlers
        try:
            hashes |= checked_hashes(page.relative_to(site).as_posix(), html, shipped, seen[key])
        except CspError as error:
            errors.append(str(error))
    jsoncache.write(cache, seen, code_stamp())
    if errors:
        raise CspError("\n".join(errors))
    return hashes


def write(site: Path, template_dirs: Iterable[Path], form_action: str = "") -> str:
    cache = Path(os.environ.get("RT_CSP_CACHE") or CACHE)
    csp = policy(site_hashes(site, template_dirs, cache), form_action)
    (site / "_headers").write_text(headers_file(csp), encoding="utf-8")
    return csp
