"""Benchmark: the size of the offline cache (publish/offline.py, publish/sw.js).

What a reader's browser stores after the first visit, read from the manifest in the built
site's sw.js: the number of files and their bytes as stored (raw: the worker keeps decoded
bodies), and as transferred by the bundled service to a browser that accepts brotli (the
`.br` copy when the build made one, else the service's gzip for text, else the file as it is).
The PDFs, kept only when the reader asks, are counted separately. Also the largest files, and
what a rebuild with one changed page transfers. Figures, not a pass/fail test.

Run: .venv/bin/python bench/offline_cache.py [--site-dir site]   (without it: a fresh build)
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from publish import offline
from waitlist.static import COMPRESSIBLE_TYPES, MIN_GZIP_BYTES, content_type_for

ROOT = Path(__file__).resolve().parent.parent


def transferred(path: Path) -> int:
    """Bytes the bundled service sends for `path` to a browser accepting br and gzip."""
    brotli_copy = path.with_name(path.name + ".br")
    if brotli_copy.is_file():
        return brotli_copy.stat().st_size
    raw = path.read_bytes()
    if content_type_for(path.name).startswith(COMPRESSIBLE_TYPES) and len(raw) >= MIN_GZIP_BYTES:
        return min(len(raw), len(gzip.compress(raw, compresslevel=6, mtime=0)))
    return len(raw)


def kib(size: int) -> str:
    return f"{size / 1024:8.1f} KiB"


def report(site: Path) -> None:
    held = offline.read_manifest((site / "sw.js").read_text(encoding="utf-8"))
    print(f"offline cache of {site} (build {held['build']})")
    for label, what in (("precached after the first visit", "files"), ("PDFs, on request", "pdfs")):
        paths = [site / p for p in offline.cached_paths(held, what)]
        raw = sum(p.stat().st_size for p in paths)
        sent = sum(transferred(p) for p in paths)
        print(f"  {label:33} {len(paths):4d} files  {kib(raw)} raw  {kib(sent)} transferred")
        if what == "files":
            pages = [u for u in held["files"] if u.endswith("/") or u.endswith(".html")]
            print(f"    of which pages                {len(pages):4d} files  "
                  f"{kib(sum((site / offline.site_file(u)).stat().st_size for u in pages))} raw")
            largest = sorted(paths, key=lambda p: p.stat().st_size, reverse=True)[:5]
            for path in largest:
                print(f"    {path.relative_to(site).as_posix():56} {kib(path.stat().st_size)}")
    page = site / "betrayal" / "index.html"
    if page.is_file():
        print(f"  a rebuild with one changed page transfers sw.js ({kib(transferred(site / 'sw.js')).strip()}) "
              f"and that page ({kib(transferred(page)).strip()}): the rest is copied from the previous cache")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--site-dir", type=Path, help="a built site (default: build one into a temporary folder)")
    args = parser.parse_args()
    if args.site_dir:
        report(args.site_dir)
        return
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", folder],
                                cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode:
            sys.exit(f"mkdocs build failed:\n{result.stderr[-3000:]}")
        report(Path(folder))


if __name__ == "__main__":
    main()
