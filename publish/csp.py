"""A strict content security policy for the built site.

Scripts are files from our own origin; the few inline scripts Material's templates emit are
allowed by their SHA-256 hash, computed here from the built pages, never hard-coded. Inline
data blocks (`application/json`, `application/ld+json`) are not executed and need no hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

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


def inline_script_hashes(html: str) -> set[str]:
    hashes = set()
    for match in INLINE_SCRIPT.finditer(html):
        attrs, body = match.group("attrs"), match.group("body")
        if "src=" in attrs or DATA_BLOCK.search(attrs) or not body.strip():
            continue
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes.add("'sha256-" + base64.b64encode(digest).decode("ascii") + "'")
    return hashes


def origin_of(url: str) -> str | None:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}" if parsed.scheme in {"http", "https"} and parsed.netloc else None


def policy(pages: Iterable[str], form_action: str = "") -> str:
    """The policy for a site whose built HTML pages are `pages`. A waitlist form that posts to
    a hosted provider (`form_action` on another origin) is allowed to post and be fetched."""
    hashes: set[str] = set()
    for html in pages:
        hashes |= inline_script_hashes(html)
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


def write(site: Path, form_action: str = "") -> str:
    pages = (p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html")))
    csp = policy(pages, form_action)
    (site / "_headers").write_text(headers_file(csp), encoding="utf-8")
    return csp
