"""Precompressed copies of the site's text files (`file.br`, `file.gz`), made once at build
so the server sends them without compressing on every request."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt", ".map"}
MIN_BYTES = 1024


def compress_site(site: Path) -> tuple[int, int]:
    """Write .br and .gz beside every compressible file; returns (files, bytes saved by br)."""
    count = saved = 0
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path.suffix not in COMPRESSIBLE:
            continue
        raw = path.read_bytes()
        if len(raw) < MIN_BYTES:
            continue
        br = brotli.compress(raw, quality=11)
        path.with_name(path.name + ".br").write_bytes(br)
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
        count += 1
        saved += len(raw) - len(br)
    return count, saved
