"""Serving the built site: directory URLs, 404 page, precompressed files, cache headers.

Small files are kept in memory (checked against the file's size and mtime on each request),
with a gzip copy made once for text types that have no precompressed ``.gz`` beside them.
Large files are streamed from disk, with byte ranges. The ``.br``/``.gz`` copies of a file are
only ever sent as an encoding of that file, never at their own address.

Why not servestatic (4.4, the ASGI port of WhiteNoise), which does most of this? Weighed
against it, this module is kept because:

- A new build replaces ``site/`` under a running service, and pages must follow (DEPLOY.md:
  no restart for content). servestatic reads the directory once at start; its
  ``autorefresh`` mode looks every request up on disk from a worker thread and is meant
  for development.
- It reads every response from disk, through a thread pool it makes per response; here a
  small file is sent from memory. With bench/waitlist_load.py's client (20 connections, a
  small page, uvicorn, this 2-core machine) this module served 6,600-8,900 requests/s and
  servestatic 440-770 (280-590 with ``autorefresh``).
- The service needs more than a file server: ``404.html`` with status 404, ``read_page`` for
  the error page it fills in, on-the-fly gzip for text the build did not compress, its own
  cache rules (``sw.js`` never cached). Those would stay here around servestatic.
- One dependency fewer (servestatic brings asgiref).

What servestatic does right was taken over and tested in tests/waitlist/test_static.py:
compressed copies not served at their own address, a ``Range`` it cannot parse ignored
rather than refused, and a directory redirect that cannot leave the site.
"""

from __future__ import annotations

import gzip
import mimetypes
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import brotli
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

HTML_CACHE = "no-cache"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=600"
MAX_CACHED_FILE_BYTES = 512 * 1024
MAX_CACHE_BYTES = 64 * 1024 * 1024
MIN_GZIP_BYTES = 256

# The offline worker (publish/offline.py): the browser checks it for a new build on every
# visit, and must always get the current one.
NO_CACHE_NAMES = frozenset({"sw.js"})
# A hex hash of 8+ characters right before the extension(s): bundle.f1a2b3c4.min.js
FINGERPRINTED = re.compile(r"[.-][0-9a-fA-F]{8,}(?:\.[A-Za-z0-9]+)+$")
HIDDEN_NAMES = frozenset({"_headers", "_redirects", "_mail.json"})  # read by the service, never served
# encoding -> suffix of the precompressed file, in order of preference
PRECOMPRESSED = {"br": ".br", "gzip": ".gz"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
}
# What mimetypes calls an encoding (x.tar.gz: a tar file, gzip-encoded), as a media type.
ENCODED_TYPES = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}
RANGE_SPEC = re.compile(r"(\d*)-(\d*)")
COMPRESSIBLE_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/manifest+json",
    "image/svg+xml",
)


@dataclass(frozen=True)
class _Variant:
    """One representation of a file: as is, or compressed."""

    path: str
    size: int
    etag: str
    body: bytes | None  # None: too large to keep, streamed from ``path``


@dataclass
class _Entry:
    key: tuple[int, int]  # (mtime_ns, size) of the file these were made from
    content_type: str
    cache_control: str
    identity: _Variant
    encoded: dict[str, _Variant] = field(default_factory=dict)

    @property
    def weight(self) -> int:
        variants = [self.identity, *self.encoded.values()]
        return sum(len(variant.body or b"") for variant in variants)


def cache_control_for(name: str) -> str:
    if name.endswith(".html") or name in NO_CACHE_NAMES:
        return HTML_CACHE
    if FINGERPRINTED.search(name):
        return IMMUTABLE_CACHE
    return SHORT_CACHE


def content_type_for(name: str) -> str:
    suffix = os.path.splitext(name)[1].lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(name)
    if encoding is not None:
        # data.csv.gz is gzip data, not CSV: sent as such, its bytes are what the file holds.
        return ENCODED_TYPES.get(encoding, "application/octet-stream")
    return guessed or "application/octet-stream"


def valid_range(header: str) -> bool:
    """Whether a Range header is a well-formed ``bytes=`` range set (RFC 9110, 14.1.2).

    Anything else (another unit, a syntax error, a last byte before the first) is ignored
    and the whole file sent, as RFC 9110 allows, rather than refused with 400.
    """
    unit, equals, ranges = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return False
    specs = [spec.strip() for spec in ranges.split(",") if spec.strip()]
    for spec in specs:
        match = RANGE_SPEC.fullmatch(spec)
        if match is None:
            return False
        first, last = match.group(1), match.group(2)
        if (not first and not last) or (first and last and int(last) < int(first)):
            return False
    return bool(specs)


def accepted_encodings(header: str) -> frozenset[str]:
    """The codings an Accept-Encoding header allows (q > 0), ``*`` standing for br and gzip."""
    accepted: set[str] = set()
    refused: set[str] = set()
    for item in header.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if not coding.strip():
            continue
        quality = params.strip()
        refused_here = quality.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000")
        (refused if refused_here else accepted).add(coding.strip())
    if "*" in accepted:
        accepted |= {"br", "gzip"} - refused
    return frozenset(accepted - refused)


def compress_for(body: bytes, accept_encoding: str) -> tuple[bytes, dict[str, str]]:
    """A page made per request, compressed as the client allows (br, else gzip): the body and
    the headers to add. The pages made here hold no secret beside what a visitor typed, so
    compressing them gives nothing away."""
    headers = {"Vary": "Accept-Encoding"}
    if len(body) < MIN_GZIP_BYTES:
        return body, headers
    accepted = accepted_encodings(accept_encoding)
    if "br" in accepted:
        return brotli.compress(body, quality=5), {**headers, "Content-Encoding": "br"}
    if "gzip" in accepted:
        return gzip.compress(body, compresslevel=6, mtime=0), {**headers, "Content-Encoding": "gzip"}
    return body, headers


def moved_paths(root: Path) -> dict[str, str]:
    """The site's moved addresses, from the `_redirects` file the build writes (publish/redirects.py,
    in the format Netlify and Cloudflare Pages read): old path -> new path. A rule for an old
    folder's files (`/old/* /new/:splat 301`) becomes a prefix: "/old/" -> "/new/"."""
    moved: dict[str, str] = {}
    try:
        text = (Path(root) / "_redirects").read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return moved
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0].startswith("#"):
            continue
        source, target = parts[0], parts[1]
        if source.endswith("/*") and target.endswith("/:splat"):
            source, target = source[:-1], target[: -len(":splat")]
        if source.startswith("/") and target.startswith("/") and not target.startswith("//"):
            moved[source] = target
    return moved


class StaticSite:
    """An ASGI app answering GET and HEAD from a directory of built pages."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._moved = moved_paths(Path(root))
        self._entries: dict[str, _Entry] = {}
        self._cached_bytes = 0
        self._encodings: dict[str, frozenset[str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _send_plain(send, 405, b"Method not allowed", [(b"allow", b"GET, HEAD")])
            return
        url_path: str = scope["path"]
        moved = self._moved_to(url_path)
        if moved is not None:
            await _send_plain(send, 301, b"Moved", [(b"location", moved.encode())])
            return
        fs_path = self._fs_path(url_path)
        if fs_path is not None and _is_compressed_copy(fs_path):
            fs_path = None
        info = _stat(fs_path) if fs_path else None
        if info is not None and stat.S_ISDIR(info.st_mode) and not url_path.endswith("/"):
            await self._redirect_to_directory(scope, send)
            return
        entry = self._entry(fs_path, info) if fs_path and info is not None else None
        if entry is None:
            await self.send_not_found(scope, send)
            return
        await self._send_entry(scope, receive, send, entry, 200)

    def _moved_to(self, url_path: str) -> str | None:
        """Where a moved address went (`_redirects`), or None: an exact rule, else the longest
        folder rule whose folder holds the path."""
        if not self._moved:
            return None
        if url_path in self._moved:
            return self._moved[url_path]
        folders = [source for source in self._moved if source.endswith("/") and url_path.startswith(source)]
        if not folders:
            return None
        source = max(folders, key=len)
        return self._moved[source] + url_path[len(source):]

    def read_page(self, url_path: str) -> bytes | None:
        """The bytes of a page the site has (for pages the service fills in), or None."""
        fs_path = self._fs_path(url_path)
        info = _stat(fs_path) if fs_path else None
        entry = self._entry(fs_path, info) if fs_path and info is not None else None
        if entry is None:
            return None
        if entry.identity.body is not None:
            return entry.identity.body
        with open(entry.identity.path, "rb") as file:
            return file.read()

    async def send_not_found(self, scope: Scope, send: Send) -> None:
        fs_path = os.path.join(self.root, "404.html")
        info = _stat(fs_path)
        entry = self._entry(fs_path, info) if info is not None else None
        if entry is None:
            await _send_plain(send, 404, b"Not found", [(b"cache-control", HTML_CACHE.encode())])
            return
        await self._send_entry(scope, None, send, entry, 404)

    def _fs_path(self, url_path: str) -> str | None:
        """The file a URL path names, or None for paths that must not reach the disk."""
        if "\x00" in url_path or "\\" in url_path or not url_path.startswith("/"):
            return None
        parts = [part for part in url_path.split("/") if part]
        for part in parts:
            if part.startswith(".") or part.removesuffix(".br").removesuffix(".gz") in HIDDEN_NAMES:
                return None
        if url_path.endswith("/"):
            parts.append("index.html")
        return os.path.join(self.root, *parts)

    def _entry(self, fs_path: str, info: os.stat_result) -> _Entry | None:
        if not stat.S_ISREG(info.st_mode):
            return None
        key = (info.st_mtime_ns, info.st_size)
        entry = self._entries.get(fs_path)
        if entry is not None and entry.key == key:
            return entry
        real = os.path.realpath(fs_path)
        if not real.startswith(self.root + os.sep):  # a symlink out of the site
            return None
        entry = _load_entry(fs_path, key)
        if self._cached_bytes + entry.weight > MAX_CACHE_BYTES:
            self._entries.clear()
            self._cached_bytes = 0
        old = self._entries.pop(fs_path, None)
        self._cached_bytes += entry.weight - (old.weight if old else 0)
        self._entries[fs_path] = entry
        return entry

    def _accepted(self, scope: Scope) -> frozenset[str]:
        header = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                header = value
                break
        text = header.decode("latin-1")
        accepted = self._encodings.get(text)
        if accepted is None:
            accepted = accepted_encodings(text)
            if len(self._encodings) < 256:
                self._encodings[text] = accepted
        return accepted

    async def _send_entry(
        self, scope: Scope, receive: Receive | None, send: Send, entry: _Entry, status: int
    ) -> None:
        accepted = self._accepted(scope)
        variant, coding = entry.identity, None
        for name in PRECOMPRESSED:
            if name in accepted and name in entry.encoded:
                variant, coding = entry.encoded[name], name
                break
        cache_control = entry.cache_control if status == 200 else HTML_CACHE
        headers = [(b"cache-control", cache_control.encode()), (b"etag", variant.etag.encode())]
        if entry.encoded:
            headers.append((b"vary", b"Accept-Encoding"))
        if status == 200 and _not_modified(scope, variant.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-type", entry.content_type.encode()))
        if coding:
            headers.append((b"content-encoding", coding.encode()))
        if variant.body is None and receive is not None:
            scope = _without_bad_range(scope)
            response = FileResponse(
                variant.path,
                status_code=status,
                media_type=entry.content_type,
                headers={name.decode(): value.decode() for name, value in headers},
            )
            await response(scope, receive, send)
            return
        body = variant.body if variant.body is not None else _read(variant.path)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def _redirect_to_directory(self, scope: Scope, send: Send) -> None:
        raw_path: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
        # One leading slash: //evil.example/ would be another site (a protocol-relative URL).
        location = b"/" + raw_path.split(b"?", 1)[0].lstrip(b"/") + b"/"
        if scope.get("query_string"):
            location += b"?" + scope["query_string"]
        await _send_plain(send, 301, b"Moved", [(b"location", location)])


def _load_entry(fs_path: str, key: tuple[int, int]) -> _Entry:
    name = os.path.basename(fs_path)
    content_type = content_type_for(name)
    identity = _variant(fs_path, key[1], _etag(key, ""))
    entry = _Entry(key, content_type, cache_control_for(name), identity)
    for coding, suffix in PRECOMPRESSED.items():
        info = _stat(fs_path + suffix)
        if info is not None and stat.S_ISREG(info.st_mode):
            entry.encoded[coding] = _variant(fs_path + suffix, info.st_size, _etag(key, coding))
    compressible = content_type.startswith(COMPRESSIBLE_TYPES)
    body = identity.body
    if compressible and "gzip" not in entry.encoded and body and len(body) >= MIN_GZIP_BYTES:
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        if len(packed) < len(body):
            entry.encoded["gzip"] = _Variant(fs_path, len(packed), _etag(key, "gzip"), packed)
    return entry


def _variant(path: str, size: int, etag: str) -> _Variant:
    body = _read(path) if size <= MAX_CACHED_FILE_BYTES else None
    return _Variant(path, size, etag, body)


def _etag(key: tuple[int, int], coding: str) -> str:
    suffix = f"-{coding}" if coding else ""
    return f'"{key[0]:x}-{key[1]:x}{suffix}"'


def _not_modified(scope: Scope, etag: str) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            tags = [tag.strip().removeprefix("W/") for tag in value.decode("latin-1").split(",")]
            return etag in tags or "*" in tags
    return False


def _is_compressed_copy(fs_path: str) -> bool:
    """``x.br`` or ``x.gz`` beside ``x``: the build's compressed copy, not a file of its own."""
    for suffix in PRECOMPRESSED.values():
        if fs_path.endswith(suffix) and os.path.isfile(fs_path[: -len(suffix)]):
            return True
    return False


def _without_bad_range(scope: Scope) -> Scope:
    """The scope without a Range header that ``valid_range`` rejects (Starlette answers 400)."""
    headers = scope["headers"]
    for name, value in headers:
        if name == b"range" and not valid_range(value.decode("latin-1")):
            kept = [(key, val) for key, val in headers if key not in (b"range", b"if-range")]
            return {**scope, "headers": kept}
    return scope


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


async def _send_plain(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
