"""The precompressed copies (publish/compress.py): cached by content, made again for a changed
file, never left stale or partial beside a file when compressing fails; and `mkdocs serve`
(`make dev`) writes none of what an editor does not see."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import brotli
import pytest

from publish import compress

ROOT = Path(__file__).resolve().parent.parent
TEXT = b"<p>Rebuilding trust, one small promise at a time.</p>\n" * 40  # over MIN_BYTES


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every input the brotli compressor is called with (run in this process: workers=1)."""
    calls: list[bytes] = []

    def counting(raw: bytes) -> bytes:
        calls.append(raw)
        return brotli.compress(raw, quality=compress.BROTLI_QUALITY)

    encodings = (compress.Encoding(".br", compress.ENCODINGS[0].key, counting, brotli.decompress), compress.ENCODINGS[1])
    monkeypatch.setattr(compress, "ENCODINGS", encodings)
    return calls


def site_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    site = tmp_path / "site"
    for name, data in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    return site


def test_an_unchanged_file_is_copied_from_the_cache_and_a_changed_one_compressed(tmp_path: Path, counted: list[bytes]) -> None:
    """A second build compresses only the file whose bytes changed; each copy decompresses to its file."""
    cache = tmp_path / "cache"
    compress.compress_site(site_with(tmp_path, {"a.html": TEXT, "b.js": TEXT + b"//b\n"}), cache, workers=1)
    assert len(counted) == 2
    counted.clear()
    site = site_with(tmp_path / "again", {"a.html": TEXT, "b.js": TEXT + b"//changed\n"})
    report = compress.compress_site(site, cache, workers=1)
    assert counted == [TEXT + b"//changed\n"]
    assert (report.compressed, report.from_cache) == (2, 2)  # b.js's .br and .gz; a.html's from the cache
    for name in ("a.html", "b.js"):
        raw = (site / name).read_bytes()
        assert brotli.decompress((site / f"{name}.br").read_bytes()) == raw
        assert gzip.decompress((site / f"{name}.gz").read_bytes()) == raw


def test_a_copy_from_the_cache_is_a_link_to_its_entry_or_written_where_links_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm build links each copy to the cache's entry (no bytes written again); a cache on
    another file system (os.link refused) still gives correct copies, written."""
    cache = tmp_path / "cache"
    compress.compress_site(site_with(tmp_path, {"a.html": TEXT}), cache, workers=1)
    site = site_with(tmp_path / "warm", {"a.html": TEXT})
    compress.compress_site(site, cache, workers=1)
    for encoding in compress.ENCODINGS:
        entry = cache / compress.cache_key(TEXT, encoding)
        assert (site / f"a.html{encoding.suffix}").stat().st_ino == entry.stat().st_ino

    def refused(source: object, target: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(compress.os, "link", refused)
    site = site_with(tmp_path / "elsewhere", {"a.html": TEXT})
    report = compress.compress_site(site, cache, workers=1)
    assert report.from_cache == 2
    assert brotli.decompress((site / "a.html.br").read_bytes()) == TEXT
    assert gzip.decompress((site / "a.html.gz").read_bytes()) == TEXT
    assert (site / "a.html.br").stat().st_ino != (cache / compress.cache_key(TEXT, compress.ENCODINGS[0])).stat().st_ino
    assert sorted(p.name for p in site.iterdir()) == ["a.html", "a.html.br", "a.html.gz"]  # no partial file left


def test_a_damaged_cache_entry_is_compressed_again_not_shipped(tmp_path: Path, counted: list[bytes]) -> None:
    cache = tmp_path / "cache"
    compress.compress_site(site_with(tmp_path, {"a.html": TEXT}), cache, workers=1)
    entry = cache / compress.cache_key(TEXT, compress.ENCODINGS[0])
    entry.write_bytes(entry.read_bytes()[:20])  # truncated, as by a crash mid-write
    site = site_with(tmp_path / "again", {"a.html": TEXT})
    compress.compress_site(site, cache, workers=1)
    assert len(counted) == 2
    assert brotli.decompress((site / "a.html.br").read_bytes()) == TEXT
    assert brotli.decompress(entry.read_bytes()) == TEXT


def test_a_file_that_fails_to_compress_keeps_no_copy_and_the_build_says_which(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old .br and .gz beside a changed file are removed, not left stale; the others are written."""
    site = site_with(tmp_path, {"a.html": TEXT, "b.js": TEXT + b"//b\n"})
    compress.compress_site(site, tmp_path / "cache", workers=1)
    (site / "a.html").write_bytes(TEXT + b"<p>changed</p>\n")

    def failing(raw: bytes) -> bytes:
        if b"changed" in raw:
            raise MemoryError("out of memory")
        return brotli.compress(raw, quality=compress.BROTLI_QUALITY)

    monkeypatch.setattr(compress, "ENCODINGS", (compress.Encoding(".br", "br-11", failing, brotli.decompress), compress.ENCODINGS[1]))
    with pytest.raises(compress.CompressError, match=r"a\.html\.br: MemoryError"):
        compress.compress_site(site, tmp_path / "cache", workers=1)
    assert not (site / "a.html.br").exists() and not (site / "a.html.gz").exists()
    assert brotli.decompress((site / "b.js.br").read_bytes()) == (site / "b.js").read_bytes()


def stale_copies(site: Path) -> list[str]:
    """The .br and .gz copies in `site` that do not decompress to the file beside them."""
    stale = []
    for copy in [*site.rglob("*.br"), *site.rglob("*.gz")]:
        decompress = brotli.decompress if copy.suffix == ".br" else gzip.decompress
        if decompress(copy.read_bytes()) != copy.with_suffix("").read_bytes():
            stale.append(copy.name)
    return stale


@pytest.mark.parametrize("where", ["reading the cache for another file", "compressing the changed file"])
def test_an_interrupted_compression_leaves_no_stale_copy_beside_a_changed_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A site compressed, then a file changed and compressed again over it (a `--dirty` build),
    interrupted (Ctrl-C, a killed build) before the changed file's new copies are written: its old
    .br and .gz, which decompress to its old bytes, are gone; no copy left beside any file is stale."""
    site = site_with(tmp_path, {"a.html": TEXT, "z.js": TEXT + b"//old\n"})
    compress.compress_site(site, tmp_path / "cache", workers=1)
    (site / "z.js").write_bytes(TEXT + b"//changed\n")

    def interrupted(*args: object) -> bytes:
        raise KeyboardInterrupt

    if where == "reading the cache for another file":  # a.html comes first, z.js is not reached
        monkeypatch.setattr(compress.CompressCache, "get", interrupted)
    else:
        monkeypatch.setattr(compress, "ENCODINGS", (compress.Encoding(".br", "br-11", interrupted, brotli.decompress),
                                                    compress.ENCODINGS[1]))
    with pytest.raises(KeyboardInterrupt):
        compress.compress_site(site, tmp_path / "cache", workers=1)
    assert not (site / "z.js.br").exists() and not (site / "z.js.gz").exists()
    assert stale_copies(site) == []


def test_a_failure_in_a_worker_process_is_reported_the_same_way(tmp_path: Path) -> None:
    """With the process pool: an input the compressor rejects (here: not bytes) fails its file only."""
    site = site_with(tmp_path, {"a.html": TEXT, "b.js": TEXT + b"//b\n"})
    jobs = [(0, TEXT), (0, "not bytes")]  # type: ignore[list-item]
    results = compress._compress_all(jobs, workers=2)  # noqa: SLF001
    assert brotli.decompress(results[0]) == TEXT and isinstance(results[1], BaseException)
    report = compress.compress_site(site, None, workers=2)
    assert report.compressed == 4 and not report.failed


def test_source_maps_and_small_files_are_not_compressed(tmp_path: Path) -> None:
    site = site_with(tmp_path, {"bundle.js.map": TEXT, "small.css": b"a{}"})
    compress.compress_site(site, None, workers=1)
    assert sorted(p.name for p in site.iterdir()) == ["bundle.js.map", "small.css"]


def test_folders_no_page_loads_get_no_copies_and_lose_old_ones(tmp_path: Path) -> None:
    """lunr's language support, in an English-only site (sitebuild/plugin.py unloaded_folders)."""
    site = site_with(tmp_path, {"assets/javascripts/lunr/min/lunr.de.min.js": TEXT, "app.js": TEXT,
                                "assets/javascripts/lunr/min/lunr.de.min.js.br": b"old"})
    compress.compress_site(site, None, workers=1, skip=("assets/javascripts/lunr/",))
    assert sorted(p.name for p in (site / "assets/javascripts/lunr/min").iterdir()) == ["lunr.de.min.js"]
    assert (site / "app.js.br").is_file() and (site / "app.js.gz").is_file()


def test_the_real_site_compresses_what_pages_load_and_not_lunrs_languages(site: Path) -> None:
    assert not list((site / "assets" / "javascripts" / "lunr").rglob("*.br"))
    assert list((site / "assets" / "stylesheets").glob("rt.*.min.css.br"))
    assert list((site / "assets" / "javascripts").glob("bundle.*.min.js.br"))


def test_a_cache_entry_is_written_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Written to a temporary name and renamed: a crash mid-write leaves no entry under the key."""
    def crash(self: Path, data: bytes) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", crash)
    with pytest.raises(OSError):
        compress.CompressCache(tmp_path).put("key", b"data")
    assert not (tmp_path / "key").exists()


def test_a_preview_build_writes_no_compressed_copy_pdf_preview_image_or_csp_file(tmp_path: Path) -> None:
    """What `mkdocs serve` does before it serves: the hooks' startup with command 'serve', then a build."""
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from mkdocs.config import load_config\n"
        "from mkdocs.commands.build import build\n"
        "config = load_config('mkdocs.yml', site_dir=sys.argv[1])\n"
        "config.plugins.on_startup(command='serve', dirty=False)\n"
        "build(config)\n"
    )
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "RT_PDF_CACHE": str(tmp_path / "empty-pdf-cache"),
           "RT_COMPRESS_CACHE": str(tmp_path / "compress-cache")}
    result = subprocess.run([sys.executable, "-c", script, str(site)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "make dev: skipping compression" in result.stderr
    assert (site / "index.html").is_file()
    written = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.suffix in {".br", ".gz", ".pdf"}]
    assert written == ["sitemap.xml.gz"]  # MkDocs' own, written by `mkdocs serve` too
    assert not (site / "_headers").exists() and not (site / "assets" / "social").exists()
    assert not (tmp_path / "compress-cache").exists()
