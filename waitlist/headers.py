"""Security headers on every response, with the site's own ``_headers`` file taking priority.

The headers that only a document (or a worker) acts on, the content security policy,
``X-Frame-Options`` and ``Permissions-Policy``, about 800 bytes with the site's policy, are left
off the responses that are never a document: stylesheets, scripts other than workers, raster
images and fonts. A page's stylesheet and a dozen scripts each carried them, and over HTTP/1.1
(no header compression) they were about a sixth of what a first visit downloaded. Those
responses keep ``nosniff`` (which makes the browser refuse a script or stylesheet of the wrong
type) and the referrer policy (which applies to what a stylesheet loads). A worker's script
(``sw.js``, anything under a ``workers/`` folder) keeps everything: a worker runs under the
policy its own response carries. SVG, HTML, XML, JSON, PDFs and anything else keep everything:
opened on their own, some of them are documents.
"""

from __future__ import annotations

from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'; frame-ancestors 'none'"
)
DEFAULT_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": DEFAULT_CSP,
}


# Headers only a document or a worker acts on.
DOCUMENT_ONLY = frozenset({"content-security-policy", "x-frame-options", "permissions-policy"})
# Content types that are never shown as a document (without parameters).
SUBRESOURCE_TYPES = frozenset({
    "text/css", "text/javascript", "application/javascript",
    "image/png", "image/jpeg", "image/webp", "image/avif", "image/gif", "image/x-icon", "image/vnd.microsoft.icon",
    "font/woff2", "font/woff", "font/ttf", "font/otf",
})


def is_worker_script(path: str) -> bool:
    return path.endswith("/sw.js") or "/workers/" in path


def read_netlify_headers(path: Path, pattern: str = "/*") -> dict[str, str]:
    """The headers a Netlify-style ``_headers`` file gives for ``pattern`` (empty if none).

    The format: a line with a path pattern, then indented ``Name: value`` lines; ``#`` starts
    a comment. A name given twice for the same pattern gets its values joined with ", ".
    """
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    current: str | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[0].isspace():
            current = stripped
            continue
        name, colon, value = stripped.partition(":")
        if not colon or current is None or not name.strip():
            raise ValueError(f"{path}:{number}: expected 'Name: value' under a path pattern")
        if current == pattern:
            name, value = name.strip(), value.strip()
            key = next((known for known in found if known.lower() == name.lower()), name)
            found[key] = f"{found[key]}, {value}" if key in found else value
    return found


def site_headers(site_dir: Path) -> dict[str, str]:
    """The defaults, overridden by what ``SITE_DIR/_headers`` says for ``/*``."""
    headers = dict(DEFAULT_HEADERS)
    for name, value in read_netlify_headers(site_dir / "_headers").items():
        for known in [known for known in headers if known.lower() == name.lower()]:
            del headers[known]
        headers[name] = value
    return headers


class SecurityHeaders:
    """ASGI middleware adding fixed headers to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self._raw = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ]
        self._subresource = [item for item in self._raw if item[0].decode("latin-1") not in DOCUMENT_ONLY]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                kind = next((value for name, value in headers if name.lower() == b"content-type"), b"")
                kind = kind.split(b";")[0].strip().lower().decode("latin-1")
                wanted = self._raw
                if kind in SUBRESOURCE_TYPES and not is_worker_script(scope.get("path", "")):
                    wanted = self._subresource
                headers.extend(item for item in wanted if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
