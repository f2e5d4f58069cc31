"""Precompressed copies of the site's text files (`file.br`, `file.gz`), made once at build
so the server sends them without compressing on every request.

- Each copy is cached under `.cache/compress/` (or `$RT_COMPRESS_CACHE`) by the sha256 of the
  file's bytes, the encoding and its level, so a rebuild only compresses files that changed. A
  cached copy is checked by decompressing it (a few milliseconds, against seconds to compress at
  brotli's highest level): a damaged entry is compressed again, never shipped.
- A copy from the cache is placed by publish/cachefiles.py: a hard link to the cache's entry
  where the file system allows, else a copy.
- Files that changed are compressed in parallel, one process per core (the brotli binding holds
  the GIL, so threads would not help).
- Source maps (`.map`) are shipped but not compressed: only the browser's developer tools fetch
  them, and only when open; compressing Material's 1 MB map took a second of every build.
- Every copy already beside a file (a `--dirty` build, or a site built over) is removed before
  anything is compressed or read from the cache: if compressing fails or is interrupted, a file
  is served plain (waitlist/static.py sends the plain file when no `.br`/`.gz` exists) and the
  build fails naming it, so no copy of older bytes is ever shipped beside newer ones.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import brotli

from publish import cachefiles, stamp

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt"}
MIN_BYTES = 1024
BROTLI_QUALITY = 11
GZIP_LEVEL = 9


class CompressError(Exception):
    pass


def _brotli(raw: bytes) -> bytes:
    return brotli.compress(raw, quality=BROTLI_QUALITY)


def _gzip(raw: bytes) -> bytes:
    return gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0)


@dataclass(frozen=True)
class Encoding:
    suffix: str  # of the copy beside the file
    key: str  # the encoding and its level: part of the cache key
    compress: Callable[[bytes], bytes]
    decompress: Callable[[bytes], bytes]


ENCODINGS = (
    Encoding(".br", f"br-{BROTLI_QUALITY}", _brotli, brotli.decompress),
    Encoding(".gz", f"gz-{GZIP_LEVEL}", _gzip, gzip.decompress),
)


@functools.cache
def code_stamp() -> str:
    """What made the cached copies: this module and the compressors' versions (publish/stamp.py)."""
    return stamp.stamp(stamp.of_files(Path(__file__)), stamp.of_versions("brotli"), zlib.ZLIB_RUNTIME_VERSION)


def cache_key(raw: bytes, encoding: Encoding, made_by: str = "") -> str:
    digest = hashlib.sha256(encoding.key.encode() + b"\0" + (made_by or code_stamp()).encode() + b"\0")
    digest.update(raw)
    return digest.hexdigest()


class CompressCache:
    """Compressed bytes in a folder, keyed by `cache_key`; None: no cache."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def path(self, key: str) -> Path | None:
        return self.folder / key if self.folder else None

    def get(self, key: str) -> bytes | None:
        path = self.path(key)
        if path is None or not path.is_file():
            return None
        path.touch()  # recently used: kept by prune()
        return path.read_bytes()

    def put(self, key: str, data: bytes) -> None:
        """Store atomically (file, then rename): a crash never leaves a truncated entry, and
        builds may share the cache at the same time."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.folder / key, data)

    def prune(self, days: float = 14, keep: int = 2000) -> None:
        """Forget entries no build has used for `days`, and all but the `keep` most recently used
        (ten builds' worth): builds for other addresses (tests, previews) share the cache."""
        if self.folder is not None:
            cachefiles.prune(self.folder, keep, days)


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, path)


def _install(target: Path, data: bytes, entry: Path | None) -> None:
    """`target` holding `data`: placed from `entry` (a cache file holding exactly `data`), or
    written when there is no cache or the entry went meanwhile."""
    if entry is not None:
        try:
            return cachefiles.place(entry, target)
        except FileNotFoundError:
            pass
    _write_atomically(target, data)


def _compress_job(job: tuple[int, bytes]) -> bytes:
    """In a worker process: one file's bytes in one encoding (by its index in ENCODINGS)."""
    index, raw = job
    return ENCODINGS[index].compress(raw)


@dataclass
class CompressReport:
    files: int = 0
    saved: int = 0  # bytes saved by brotli
    compressed: int = 0  # copies made this build
    from_cache: int = 0
    failed: list[str] = field(default_factory=list)


def compressible(site: Path) -> list[Path]:
    return [path for path in sorted(site.rglob("*"))
            if path.suffix in COMPRESSIBLE and path.is_file() and path.stat().st_size >= MIN_BYTES]


def _cached(cache: CompressCache, key: str, raw: bytes, encoding: Encoding) -> bytes | None:
    data = cache.get(key)
    try:
        return data if data is not None and encoding.decompress(data) == raw else None
    except Exception:  # a damaged entry: compressed again
        return None


def compress_site(site: Path, cache_dir: Path | None = None, workers: int | None = None,
                  skip: Collection[str] = ()) -> CompressReport:
    """Write .br and .gz beside every compressible file (but those under `skip`), from the cache
    when it holds them. CompressError names every file that could not be compressed (none of its
    copies is left)."""
    cache = CompressCache(cache_dir)
    report = CompressReport()
    every = compressible(site)
    for path in every:  # first, so that no copy of other bytes outlives an interruption
        for encoding in ENCODINGS:
            path.with_name(path.name + encoding.suffix).unlink(missing_ok=True)
    # `skip`: folders (relative to the site, ending in /) whose files no page loads.
    files = [path for path in every if not path.relative_to(site).as_posix().startswith(tuple(skip))]
    todo: list[tuple[Path, bytes, int]] = []  # (file, its bytes, index in ENCODINGS)
    for path in files:
        raw = path.read_bytes()
        report.files += 1
        for index, encoding in enumerate(ENCODINGS):
            copy = path.with_name(path.name + encoding.suffix)
            key = cache_key(raw, encoding)
            data = _cached(cache, key, raw, encoding)
            if data is None:
                todo.append((path, raw, index))
                continue
            _install(copy, data, cache.path(key))
            report.from_cache += 1
            report.saved += len(raw) - len(data) if encoding.suffix == ".br" else 0
    failed: set[Path] = set()
    for (path, raw, index), compressed in zip(todo, _compress_all([(i, raw) for _, raw, i in todo], workers), strict=True):
        encoding = ENCODINGS[index]
        if isinstance(compressed, BaseException):
            report.failed.append(f"{path.relative_to(site).as_posix()}{encoding.suffix}: {compressed!r}")
            failed.add(path)
            continue
        key = cache_key(raw, encoding)
        cache.put(key, compressed)
        _install(path.with_name(path.name + encoding.suffix), compressed, cache.path(key))
        report.compressed += 1
        report.saved += len(raw) - len(compressed) if encoding.suffix == ".br" else 0
    for path in failed:  # served plain rather than half compressed
        for encoding in ENCODINGS:
            path.with_name(path.name + encoding.suffix).unlink(missing_ok=True)
    if report.failed:
        raise CompressError("could not compress:\n" + "\n".join(report.failed))
    return report


def _compress_all(jobs: list[tuple[int, bytes]], workers: int | None) -> list[bytes | BaseException]:
    """Each job's compressed bytes or the exception it raised, in order; in parallel when there is
    more than one job and more than one core."""
    workers = workers or os.cpu_count() or 1
    if len(jobs) < 2 or workers < 2:
        return [_try(_compress_job, job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor  # only when something changed

    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        futures = [pool.submit(_compress_job, job) for job in jobs]
        return [future.exception() or future.result() for future in futures]


def _try(function: Callable[[tuple[int, bytes]], bytes], job: tuple[int, bytes]) -> bytes | BaseException:
    try:
        return function(job)
    except Exception as error:
        return error
