"""The offline step (publish/offline.py): what the worker caches and under which hashes, the
build id, the PDFs kept apart, the web app manifest and its icons, the `mkdocs serve` worker,
and how the real build and the bundled service ship them."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image

from publish import offline
from publish.offline import OfflineError
from tests.conftest import ROOT, sitemap_paths
from waitlist.headers import read_netlify_headers
from waitlist.static import cache_control_for, content_type_for

FAVICON = (ROOT / "overrides" / "assets" / "images" / "favicon.svg").read_text(encoding="utf-8")
COLOURS = {"light": "#6b2c42", "dark": "#2b1f27", "background": "#ffffff"}


def page(depth: int, extra: str = "") -> str:
    """A page shaped like the build's: relative links, Material's configuration block."""
    up = "../" * depth
    return f"""<!doctype html><html><head>
<link rel="stylesheet" href="{up}assets/stylesheets/rt.0123abcd.min.css">
<link rel="stylesheet" href="{up}assets/css/print.0123abcd.css" media="print">
<link rel="icon" href="{up}assets/images/favicon.svg">
<link rel="manifest" href="{up}manifest.webmanifest" data-rt-worker>
<link rel="apple-touch-icon" href="{up}assets/images/apple-touch-icon.png">
<link rel="canonical" href="https://example.org/x/">
<link rel="preload" as="script" href="{up}assets/javascripts/bundle.0123abcd.min.js" data-rt-script>
<link rel="modulepreload" href="{up}assets/js/journal/main.0123abcd.js?v=1#x" data-rt-script>
<meta property="og:image" content="https://example.org/assets/social/home.png">
</head><body><a href="{up}worksheets/a/a-a4.pdf">PDF</a>{extra}
<script id="__config" type="application/json">{{"base": "{up or '.'}", "search": "{up}assets/javascripts/workers/search.0123abcd.min.js"}}</script>
</body></html>"""


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    files = {
        "index.html": page(0),
        "betrayal/index.html": page(1, '<img src="../assets/images/diagram.png" alt="">'),
        "worksheets/a/index.html": page(2),
        "waitlist/error/index.html": page(2),
        "404.html": page(0),
        # An error page: absolute URLs (MkDocs gives them to 404.html and 503.html).
        "503.html": page(0).replace('href="', 'href="/').replace('href="/https', 'href="https'),
        "assets/stylesheets/rt.0123abcd.min.css": "body{}",
        "assets/stylesheets/main.0123abcd.min.css": "unlinked{}",
        "assets/css/print.0123abcd.css": "@media print{}",
        "assets/images/favicon.svg": FAVICON,
        "assets/images/diagram.png": "png",
        "assets/images/discreet.svg": "<svg/>",  # linked by no page: a script may swap it in
        "assets/javascripts/bundle.0123abcd.min.js": "bundle",
        "assets/javascripts/bundle.0123abcd.min.js.map": "{}",
        "assets/javascripts/bundle.0123abcd.min.js.br": "br",
        "assets/javascripts/workers/search.0123abcd.min.js": "search",
        "assets/javascripts/lunr/min/lunr.de.min.js": "de",
        "assets/js/journal/main.0123abcd.js": "module",
        "assets/social/home.png": "png",
        "search/search_index.json": "{}",
        "sitemap.xml": "<urlset/>",
        "worksheets/a/a-a4.pdf": "%PDF-a4",
        "worksheets/a/a-letter.pdf": "%PDF-letter",
        "worksheets/workbook-a4.pdf": "%PDF-book",
    }
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    return site


def written(site: Path) -> offline.Manifest:
    built = offline.write(site, name="Rebuilding Trust", short_name="Rebuilding Trust", description="A course.",
                          colours=COLOURS, favicon_svg=FAVICON)
    assert built is not None
    return built


# --- what the worker caches -------------------------------------------------------------------


def test_the_manifest_lists_pages_as_directory_urls_and_what_they_load_with_their_hashes(small_site: Path) -> None:
    built = written(small_site)
    assert set(built.files) == {
        "./", "betrayal/", "worksheets/a/", "503.html",
        "assets/stylesheets/rt.0123abcd.min.css", "assets/css/print.0123abcd.css", "assets/images/favicon.svg",
        "assets/images/diagram.png", "assets/javascripts/bundle.0123abcd.min.js",
        "assets/js/journal/main.0123abcd.js", "sitemap.xml", "manifest.webmanifest",
        "assets/images/icon-192.png", "assets/images/icon-512.png", "assets/images/icon-maskable-512.png",
        "assets/images/apple-touch-icon.png", "assets/images/discreet.svg",
    }
    # Search, which the pages fetch only when the reader reaches for it, is kept when fetched.
    assert set(built.later) == {"search/search_index.json", "assets/javascripts/workers/search.0123abcd.min.js"}
    for url, digest in {**built.files, **built.later}.items():
        assert digest == hashlib.sha256((small_site / offline.site_file(url)).read_bytes()).hexdigest(), url


def test_left_out_compressed_copies_maps_previews_unused_files_and_the_waitlist_pages(small_site: Path) -> None:
    urls = list(written(small_site).files)
    assert not [u for u in urls if u.endswith((".br", ".gz", ".map", ".pdf", ".html")) and u != "503.html"]
    assert not [u for u in urls if u.startswith(("assets/social/", "waitlist/", "assets/javascripts/lunr/"))]
    assert "assets/stylesheets/main.0123abcd.min.css" not in urls  # in the site, linked by no page


def test_the_pdfs_are_listed_separately(small_site: Path) -> None:
    built = written(small_site)
    assert set(built.pdfs) == {"worksheets/a/a-a4.pdf", "worksheets/a/a-letter.pdf", "worksheets/workbook-a4.pdf"}
    assert built.pdf_bytes == sum(len(t) for t in ("%PDF-a4", "%PDF-letter", "%PDF-book"))
    assert not set(built.pdfs) & set(built.files)


def test_the_build_id_changes_if_and_only_if_a_cached_file_does(small_site: Path) -> None:
    first = written(small_site).build
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    # The same bytes written again, and files the worker does not cache: same build.
    (small_site / "betrayal/index.html").write_bytes((small_site / "betrayal/index.html").read_bytes())
    (small_site / "betrayal/index.html.br").write_bytes(b"new")
    (small_site / "assets/social/home.png").write_text("another preview", encoding="utf-8")
    (small_site / "waitlist/error/index.html").write_text("filled in", encoding="utf-8")
    assert written(small_site).build == first
    # One page changes: a new build, and only that page's hash differs.
    before = written(small_site).files
    (small_site / "betrayal/index.html").write_text(page(1, "<p>changed</p>"), encoding="utf-8")
    after = written(small_site)
    assert after.build != first
    assert [u for u in after.files if after.files[u] != before.get(u)] == ["betrayal/"]
    # A PDF changes: a new build too (the kept PDFs follow the build).
    (small_site / "worksheets/a/a-a4.pdf").write_text("%PDF-new", encoding="utf-8")
    assert written(small_site).build != after.build
    # The search index changes: a new build, though the worker fetches it only on demand.
    with_pdf = written(small_site).build
    (small_site / "search/search_index.json").write_text('{"docs": []}', encoding="utf-8")
    assert written(small_site).build != with_pdf


def test_a_file_a_page_loads_that_the_site_lacks_fails_the_build_naming_it(small_site: Path) -> None:
    (small_site / "assets/js/journal/main.0123abcd.js").unlink()
    with pytest.raises(OfflineError, match=r"^assets/js/journal/main\.0123abcd\.js: a page loads it, but it is not in the built site"):
        written(small_site)


def test_pages_under_a_base_path_resolve_absolute_references(small_site: Path) -> None:
    html = '<link rel="stylesheet" href="/course/assets/x.css"><script src="/elsewhere/y.js"></script>'
    assert offline.page_references(html, "503.html", "/course/") == ["assets/x.css"]
    assert offline.page_references('<img src="../a.png">', "b/", "/course/") == ["a.png"]
    assert offline.base_path_of("https://example.org/course") == "/course/"
    assert offline.base_path_of(None) == "/"


def test_the_worker_holds_the_manifest_and_the_headers_revalidate_it(small_site: Path) -> None:
    built = written(small_site)
    script = (small_site / "sw.js").read_text(encoding="utf-8")
    held = offline.read_manifest(script)
    assert held["build"] == built.build and held["files"] == built.files and held["pdfs"] == built.pdfs
    assert held["offlinePage"] == "503.html" and offline.MANIFEST_LINE not in script
    assert "addEventListener(\"fetch\"" in script and "crypto.subtle.digest" in script
    (small_site / "_headers").write_text("/*\n  X-Frame-Options: DENY\n", encoding="utf-8")
    written(small_site)
    written(small_site)  # once, however often the step runs
    assert read_netlify_headers(small_site / "_headers", "/sw.js") == {"Cache-Control": "no-cache"}
    assert read_netlify_headers(small_site / "_headers") == {"X-Frame-Options": "DENY"}


def test_under_mkdocs_serve_no_caching_worker_is_written(small_site: Path) -> None:
    """`mkdocs serve`: sw.js only removes a worker a built site left on the same address."""
    result = offline.write(small_site, name="R", short_name="R", description="", colours=COLOURS,
                           favicon_svg=FAVICON, serve=True)
    script = (small_site / "sw.js").read_text(encoding="utf-8")
    assert result is None and "MANIFEST" not in script and "unregister()" in script
    assert "addEventListener(\"fetch\"" not in script
    with pytest.raises(OfflineError, match="holds no manifest"):
        offline.read_manifest(script)
    # The plugin knows the command from MkDocs' startup event; the pages then carry no data-rt-worker.
    from sitebuild.plugin import RebuildingTrustPlugin

    plugin = RebuildingTrustPlugin()
    assert plugin.full_site is True
    plugin.on_startup(command="serve", dirty=False)
    assert plugin.full_site is False


# --- the web app manifest and its icons ---------------------------------------------------------


def test_the_web_manifest_uses_relative_urls_and_the_palette(small_site: Path) -> None:
    written(small_site)
    document = json.loads((small_site / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert document["name"] == "Rebuilding Trust" and document["short_name"] == "Rebuilding Trust"
    assert document["start_url"] == document["scope"] == "./" and document["display"] == "standalone"
    assert document["theme_color"] == "#6b2c42" and document["background_color"] == "#ffffff"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in document["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in document["icons"]:
        image = Image.open(small_site / icon["src"])
        assert image.format == "PNG" and f"{image.width}x{image.height}" == icon["sizes"]


def test_the_maskable_icon_keeps_the_heart_inside_the_safe_zone(small_site: Path) -> None:
    written(small_site)
    image = Image.open(small_site / "assets/images/icon-maskable-512.png").convert("RGBA").convert("RGB")
    size = image.width
    light = [(x, y) for x in range(0, size, 4) for y in range(0, size, 4) if min(image.getpixel((x, y))) > 200]
    assert light, "no heart drawn"
    # Launchers may crop to a circle of 80% of the width: everything drawn stays inside it.
    assert max(math.dist((x, y), (size / 2, size / 2)) for x, y in light) < 0.4 * size
    assert image.getpixel((0, 0)) == (0x6B, 0x2C, 0x42)  # full-bleed background
    rounded = Image.open(small_site / "assets/images/icon-192.png").convert("RGBA")
    assert rounded.getpixel((0, 0))[3] == 0 and rounded.getpixel((96, 20)) == (0x6B, 0x2C, 0x42, 255)
    # Palette PNGs, their solid areas in the exact colours: Chrome fetches the 192 px icon on a
    # first visit.
    for name in ("icon-192.png", "icon-512.png", "icon-maskable-512.png", "apple-touch-icon.png"):
        assert Image.open(small_site / "assets/images" / name).mode == "P", name
    assert (small_site / "assets/images/icon-192.png").stat().st_size < 3 * 1024
    touch = Image.open(small_site / "assets/images/apple-touch-icon.png").convert("RGB")
    assert touch.getpixel((2, 2)) == (0x6B, 0x2C, 0x42) and (255, 255, 255) in {touch.getpixel((x, 90)) for x in range(180)}


def test_svg_paths_become_polygons_and_unsupported_commands_say_so() -> None:
    [square] = offline.path_polygons("M1 1h2v2H1z")
    assert square == [(1, 1), (3, 1), (3, 3), (1, 3)]
    [line] = offline.path_polygons("m1 1 2 0 0 2")  # numbers after a moveto are linetos
    assert line == [(1, 1), (3, 1), (3, 3)]
    [curve] = offline.path_polygons("M0 0c0 1 1 1 1 0s1-1 1 0", steps=4)
    assert curve[0] == (0, 0) and curve[4] == (1, 0) and curve[-1] == (2, 0)
    assert len(offline.path_polygons("M0 0L1 1zM2 2L3 3z")) == 2
    with pytest.raises(OfflineError, match="only M L H V C S Z"):
        offline.path_polygons("M0 0A1 1 0 0 1 2 2")


def test_theme_colours_are_read_from_the_stylesheet_and_a_missing_one_fails() -> None:
    css = (':root,[data-md-color-scheme=default]{--md-primary-fg-color:#4051b5;--md-default-bg-color:#fff}'
           '.md-header{background-color:var(--md-primary-fg-color)}'
           ':root, [data-md-color-scheme="default"] { --md-primary-fg-color: #6b2c42; }'
           '[data-md-color-scheme="slate"] { --md-primary-fg-color: #e3a6b9; }'
           '[data-md-color-scheme="slate"] .md-header, [data-md-color-scheme="slate"] .md-tabs { background-color: #2b1f27; }')
    assert offline.theme_colours(css) == {"light": "#6b2c42", "dark": "#2b1f27", "background": "#fff"}
    without_header = css.rsplit("[data-md-color-scheme=\"slate\"] .md-header", 1)[0]
    assert offline.theme_colours(without_header)["dark"] == "#e3a6b9"
    with pytest.raises(OfflineError, match=r"--md-primary-fg-color \(light scheme\): expected a colour"):
        offline.theme_colours(":root{--md-primary-fg-color:var(--x)}")


def test_the_service_sends_the_worker_uncached_and_the_manifest_with_its_type() -> None:
    assert cache_control_for("sw.js") == "no-cache"
    assert content_type_for("manifest.webmanifest") == "application/manifest+json"


# --- the real build ---------------------------------------------------------------------------


def test_the_real_build_caches_every_page_and_what_it_loads(site: Path) -> None:
    held = offline.read_manifest((site / "sw.js").read_text(encoding="utf-8"))
    files = held["files"]
    pages = [p for p in sitemap_paths(site) if not p.startswith("waitlist/")]
    assert {p or "./" for p in pages} <= set(files)
    assert {"503.html", "manifest.webmanifest", "sitemap.xml"} <= set(files)
    assert "404.html" not in files
    assert any(re.fullmatch(r"assets/stylesheets/rt\.[0-9a-f]{8}\.min\.css", u) for u in files)
    # Search is not fetched at install: kept when the reader first uses it.
    later = held["later"]
    assert "search/search_index.json" in later and not set(later) & set(files)
    assert any(re.fullmatch(r"assets/javascripts/workers/search\.[0-9a-f]{8}\.min\.js", u) for u in later)
    assert any(re.fullmatch(r"assets/js/offline\.[0-9a-f]{8}\.js", u) for u in files)
    assert not [u for u in files if u.endswith((".br", ".gz", ".map", ".pdf")) or "/social/" in u or "/lunr/" in u]
    for url, digest in {**files, **later}.items():
        assert hashlib.sha256((site / offline.site_file(url)).read_bytes()).hexdigest() == digest, url
    assert len(held["pdfs"]) == len(list(site.rglob("*.pdf"))) > 10
    # The fillable PDFs too: a worksheet page links them beside the blank ones.
    assert any(u.endswith("-a4-fillable.pdf") for u in held["pdfs"]) and any(u.endswith("-a4.pdf") for u in held["pdfs"])
    # The worker was written before the compressed copies were made.
    assert (site / "sw.js.br").is_file() and (site / "sw.js.gz").is_file()


def test_every_page_links_the_manifest_and_theme_colours_for_both_schemes(site: Path) -> None:
    for path in ["", "betrayal/", "journal/"]:
        html = (site / path / "index.html").read_text(encoding="utf-8")
        assert re.search(r'<link rel="manifest" href="(\.\./)*manifest\.webmanifest" data-rt-worker>', html), path
        assert '<meta name="theme-color" media="(prefers-color-scheme: light)" content="#' in html
        assert '<meta name="theme-color" media="(prefers-color-scheme: dark)" content="#' in html
    offline_page = (site / "503.html").read_text(encoding="utf-8")
    assert "You’re offline" in offline_page and 'href="/manifest.webmanifest"' in offline_page


def test_the_service_sends_the_worker_uncached_and_the_manifest_as_a_manifest(served: str) -> None:
    with httpx.Client(base_url=served, headers={"Accept-Encoding": "br"}) as client:
        worker = client.get("/sw.js")
        assert worker.status_code == 200 and worker.headers["cache-control"] == "no-cache"
        assert worker.headers["content-type"].startswith("text/javascript")
        manifest = client.get("/manifest.webmanifest")
        assert manifest.headers["content-type"] == "application/manifest+json"
        assert "worker-src 'self'" in manifest.headers["content-security-policy"]
        assert "manifest-src 'self'" in manifest.headers["content-security-policy"]


def test_the_journal_outline_is_a_file_beside_its_page_and_the_worker_keeps_it(site: Path) -> None:
    """publish/outline.py: the Journal page no longer carries its 32 KB outline; it names the
    file, which holds the JSON the journal draws from, and the offline worker caches it."""
    page = (site / "journal" / "index.html").read_text(encoding="utf-8")
    assert "data-rt-journal-outline=" not in page
    [src] = re.findall(r'data-rt-journal-outline-src="(outline\.[0-9a-f]{8}\.json)"', page)
    plan = json.loads((site / "journal" / src).read_text(encoding="utf-8"))
    from course.data import load_course

    chapters = load_course(Path(__file__).resolve().parent.parent / "data").chapters
    assert [chapter["id"] for chapter in plan["chapters"]] == [chapter.id for chapter in chapters]
    assert all(chapter["items"] for chapter in plan["chapters"])
    held = offline.read_manifest((site / "sw.js").read_text(encoding="utf-8"))
    assert f"journal/{src}" in held["files"]


def test_an_outline_that_is_not_json_fails_the_build_naming_the_page(tmp_path: Path) -> None:
    from publish import outline

    (tmp_path / "journal").mkdir()
    (tmp_path / "journal" / "index.html").write_text("<div data-rt-journal-outline='{nope'></div>", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^journal/index\.html: the journal's outline is not JSON"):
        outline.externalise(tmp_path)


def test_a_cached_build_writes_the_same_files_without_drawing_or_parsing_unchanged_pages(small_site: Path, tmp_path: Path,
                                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The icons (a fifth of a second to draw, at every save under make dev) and what each page
    loads are kept in the cache folder; an unchanged page is not parsed again, a changed one is."""
    cache = tmp_path / "cache"

    def build() -> offline.Manifest:
        built = offline.write(small_site, name="R", short_name="R", description="", colours=COLOURS,
                              favicon_svg=FAVICON, cache=cache)
        assert built is not None
        return built

    first = build()
    written_files = {p: p.read_bytes() for p in sorted(small_site.rglob("*")) if p.is_file()}
    parsed: list[str] = []
    real_references = offline._references

    def counting(html: str, page: str, base_path: str = "/"):  # type: ignore[no-untyped-def]
        parsed.append(page)
        return real_references(html, page, base_path)

    monkeypatch.setattr(offline, "_references", counting)
    monkeypatch.setattr(offline, "icon", lambda *a, **k: pytest.fail("an icon was drawn again"))
    assert build() == first
    assert {p: p.read_bytes() for p in sorted(small_site.rglob("*")) if p.is_file()} == written_files
    assert parsed == []
    (small_site / "betrayal/index.html").write_text(page(1, "<p>changed</p>"), encoding="utf-8")
    assert build().files["betrayal/"] != first.files["betrayal/"]
    assert parsed == ["betrayal/"]
    # A damaged cache is only a slower build.
    (cache / offline.REFERENCES).write_text("{not json", encoding="utf-8")
    for kept in (cache / "icons").glob("*/icon-192.png"):
        kept.unlink()
    monkeypatch.undo()
    assert build().files == offline.manifest(small_site).files
    assert Image.open(small_site / "assets/images/icon-192.png").size == (192, 192)
