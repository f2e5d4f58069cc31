"""What the publish step adds to the built site: unique titles and descriptions, canonical
and link-preview tags that point at real files, preview images, robots.txt, a content
security policy that allows exactly the inline scripts our templates and Material's ship, and precompressed
copies that decompress to the originals."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import urlparse

import brotli
import httpx
import pytest
from bs4 import BeautifulSoup
from PIL import Image

from publish import csp, social
from publish.compress import MIN_BYTES
from publish.csp import CspError, inline_script_hashes, policy, site_hashes
from tests.conftest import page_paths, sitemap_paths


def pages(site: Path) -> dict[str, BeautifulSoup]:
    return {p: BeautifulSoup((site / p / "index.html").read_text(encoding="utf-8"), "lxml") for p in page_paths(site)}


def local_file(site: Path, base_url: str, url: str) -> Path:
    assert url.startswith(base_url), url
    path = urlparse(url).path.removeprefix(urlparse(base_url).path)
    target = site / path
    return target / "index.html" if url.endswith("/") else target


def test_every_page_has_a_unique_title_and_description(site: Path) -> None:
    docs = pages(site)
    titles = [d.title.get_text(strip=True) for d in docs.values()]
    descriptions = [d.select_one('meta[name="description"]')["content"] for d in docs.values()]
    assert len(set(titles)) == len(titles), sorted(titles)
    assert len(set(descriptions)) == len(descriptions), sorted(descriptions)
    assert all(10 <= len(d) <= 200 for d in descriptions)


def test_canonical_and_open_graph_tags_point_at_existing_files(site: Path, base_url: str) -> None:
    for path, doc in pages(site).items():
        canonical = doc.select_one('link[rel="canonical"]')["href"]
        assert canonical == base_url + path
        assert local_file(site, base_url, canonical).exists()
        og = {m["property"]: m["content"] for m in doc.select("meta[property^='og:']")}
        assert og["og:url"] == canonical and og["og:title"] and og["og:description"]
        assert local_file(site, base_url, og["og:image"]).exists(), (path, og["og:image"])
        assert doc.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"


def test_preview_images_exist_with_the_right_size(site: Path) -> None:
    images = sorted((site / "assets" / "social").glob("*.png"))
    assert {p.stem for p in images} >= {"home", "betrayal", "consistency", "empathy", "forgiveness", "intimacy", "practices"}
    for image in images:
        assert Image.open(image).size == (1200, 630)


def test_robots_and_sitemap(site: Path, base_url: str) -> None:
    assert f"Sitemap: {base_url}sitemap.xml" in (site / "robots.txt").read_text(encoding="utf-8")
    assert len(sitemap_paths(site)) > 20


def test_landing_page_has_course_structured_data(site: Path) -> None:
    import json

    doc = pages(site)[""]
    data = json.loads(doc.select_one('script[type="application/ld+json"]').string)
    assert data["@type"] == "Course" and data["isAccessibleForFree"] is True


def test_the_policy_allows_every_inline_script_by_hash_and_nothing_unsafe(site: Path) -> None:
    headers = (site / "_headers").read_text(encoding="utf-8")
    csp = re.search(r"Content-Security-Policy: (.*)", headers).group(1)
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    hashes = set()
    for html in site.rglob("*.html"):
        hashes |= inline_script_hashes(html.read_text(encoding="utf-8"))
    assert hashes, "Material's templates emit inline scripts; expected their hashes"
    assert all(h in script_src for h in hashes)
    assert "frame-ancestors 'none'" in csp


def test_hashes_are_computed_not_hard_coded() -> None:
    one = policy(inline_script_hashes("<script>var a=1</script>"))
    two = policy(inline_script_hashes('<script>var a=2</script><script type="application/json">{"x":1}</script>'))
    assert one != two and two.count("sha256-") == 1
    assert "https://formspree.io" in policy([], "https://formspree.io/f/abc")


SHIPPED = """{# <script>commented()</script> #}
<script>start("{{ config.extra.scope | d(base_url) }}")</script>
<script>loader()</script>
<script type="application/json">{{ data | tojson }}</script>"""


def scratch_site(tmp_path: Path, pages: dict[str, str]) -> tuple[Path, list[Path]]:
    """A template folder holding SHIPPED, and a built site holding `pages`."""
    templates, site = tmp_path / "templates", tmp_path / "site"
    (templates / "partials").mkdir(parents=True)
    (templates / "partials" / "shipped.html").write_text(SHIPPED, encoding="utf-8")
    for name, html in pages.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(html, encoding="utf-8")
    return site, [templates]


def test_the_policy_allows_the_templates_scripts_as_rendered_on_each_page(tmp_path: Path) -> None:
    """A template's expression may be filled with any text that stays inside its string (the
    base URL differs with the page's depth); data blocks need no hash."""
    site, templates = scratch_site(tmp_path, {
        "index.html": '<script>start(".")</script><script>loader()</script><script type="application/json">{"a":1}</script>',
        "a/index.html": '<script>start("..")</script><script>loader()</script>',
    })
    hashes = site_hashes(site, templates)
    assert hashes == inline_script_hashes('<script>start(".")</script><script>start("..")</script><script>loader()</script>')


@pytest.mark.parametrize("html, found", [
    ("<script>alert(1)</script>", "inline script not in any template: <script>alert(1)</script>"),
    ('<script>start("");alert(1);("")</script>', "inline script not in any template"),
    ("<script>commented()</script>", "inline script not in any template"),
    ('<button onclick="go()">Go</button>', "inline event handler <button onclick=…>"),
    ('<img src=x ONERROR="go()">', "inline event handler <img onerror=…>"),
])
def test_a_page_with_a_script_the_templates_do_not_ship_fails_naming_the_page(tmp_path: Path, html: str, found: str) -> None:
    site, templates = scratch_site(tmp_path, {"index.html": "<script>loader()</script>", "worksheets/x/index.html": html})
    with pytest.raises(CspError) as error:
        site_hashes(site, templates)
    assert str(error.value).startswith("worksheets/x/index.html: ") and found in str(error.value)
    assert "index.html: " not in str(error.value).removeprefix("worksheets/x/index.html: ")


def test_escaped_text_that_looks_like_a_handler_is_not_one(tmp_path: Path) -> None:
    site, templates = scratch_site(tmp_path, {
        "index.html": '<meta content="&#34; onfocus=&#34;alert(1)"><p>" onfocus="alert(1) &lt;script&gt;</p>',
    })
    assert site_hashes(site, templates) == set()


def test_the_cached_parse_of_a_page_finds_what_parsing_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages' event handlers are kept by the hash of each page's text (.cache/csp.json): an
    unchanged page is not parsed again, a page changed to hold a handler fails as without the
    cache, and a damaged cache file is ignored."""
    cache = tmp_path / "csp.json"
    site, templates = scratch_site(tmp_path, {"index.html": "<script>loader()</script>", "a/index.html": "<p>ok</p>"})
    assert site_hashes(site, templates, cache) == site_hashes(site, templates)
    with monkeypatch.context() as patched:
        patched.setattr(csp, "event_handlers", lambda html: pytest.fail("an unchanged page was parsed again"))
        assert site_hashes(site, templates, cache) == inline_script_hashes("<script>loader()</script>")
    (site / "a" / "index.html").write_text('<p>ok</p><button onclick="go()">Go</button>', encoding="utf-8")
    saved = cache.read_text(encoding="utf-8")
    for damaged in (None, "{not json", '{"x": 1}', saved.replace('"stamp": "', '"stamp": "older code ')):
        if damaged is not None:
            cache.write_text(damaged, encoding="utf-8")
        with pytest.raises(CspError, match=r"a/index\.html: inline event handler <button onclick=…>"):
            site_hashes(site, templates, cache)


def test_a_cached_preview_card_is_the_card_drawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Preview cards are kept by what they are drawn from (.cache/social/): a cached card is the
    drawn card byte for byte, and another site name draws another card."""
    cards, cache = {"home": ("Trust can be rebuilt", "A free course")}, tmp_path / "cache"
    [drawn] = social.write_cards(tmp_path / "first", cards, "Rebuilding Trust", cache)
    with monkeypatch.context() as patched:
        patched.setattr(social, "card", lambda *args: pytest.fail("a cached card was drawn again"))
        [copied] = social.write_cards(tmp_path / "again", cards, "Rebuilding Trust", cache)
    assert copied.read_bytes() == drawn.read_bytes()
    [renamed] = social.write_cards(tmp_path / "renamed", cards, "Another Course", cache)
    assert renamed.read_bytes() != drawn.read_bytes()


def test_precompressed_copies_match_their_originals(site: Path) -> None:
    html = site / "index.html"
    assert brotli.decompress((site / "index.html.br").read_bytes()) == html.read_bytes()
    assert gzip.decompress((site / "index.html.gz").read_bytes()) == html.read_bytes()
    bundles = list((site / "assets" / "javascripts").glob("bundle.*.min.js"))
    assert bundles and all(Path(str(b) + ".br").exists() for b in bundles)


def test_static_hosts_get_the_same_security_headers_as_the_bundled_service() -> None:
    from publish.csp import SECURITY_HEADERS
    from waitlist.headers import DEFAULT_HEADERS

    assert SECURITY_HEADERS == {k: v for k, v in DEFAULT_HEADERS.items() if k != "Content-Security-Policy"}


# --- one stylesheet, hashed names, scripts preloaded and run after the first paint -------------

FINGERPRINT = re.compile(r"\.[0-9a-f]{8}(?:\.min)?\.(?:css|js)$")


def select_all(doc: BeautifulSoup, selector: str) -> list:
    """`selector`'s matches in the page and inside its <template>s (which select() leaves out),
    in document order."""
    return [element for element in doc.find_all(True) if element.css.match(selector)]


def test_every_page_links_one_fingerprinted_stylesheet_and_preloads_its_scripts_in_order(site: Path) -> None:
    for path, doc in pages(site).items():
        screen = [link["href"] for link in doc.select('link[rel~="stylesheet"]') if link.get("media") != "print"]
        printed = [link["href"] for link in doc.select('link[rel~="stylesheet"][media="print"]')]
        assert len(screen) == 1 and FINGERPRINT.search(screen[0]), (path, screen)
        assert len(printed) == 1 and FINGERPRINT.search(printed[0]), (path, printed)
        assert not doc.select("script[src]"), (path, "scripts are added by main.html's loader, not by tags")
        preloads = select_all(doc, 'link[rel="preload"][as="script"]')
        modules = select_all(doc, 'link[rel="modulepreload"]')
        assert all(p.has_attr("data-rt-script") for p in preloads), path
        assert all(p.get("fetchpriority") == "low" for p in [*preloads, *modules]), path
        loaded = select_all(doc, "link[data-rt-script]")  # what the loader adds, in this order
        # The content's scripts wait for the reader in a <template> (not fetched until then);
        # the rest are preloaded with the page.
        later = doc.select_one("template[data-rt-later]")
        assert [p["href"] for p in later.select("link[data-rt-script]")] == [p["href"] for p in loaded[3:]], path
        assert set(later.select('link[rel="modulepreload"]')) == set(modules), path
        scripts = [p["href"] for p in loaded]
        assert len(scripts) == 7 and all(FINGERPRINT.search(src) for src in scripts), (path, scripts)
        # Search on demand first (it changes what the bundle does as it starts), Material's
        # bundle (marked for the loader), then ours in extra_javascript's order: they use its document$.
        assert "/js/search." in scripts[0] and "/javascripts/bundle." in scripts[1], path
        assert [p["href"] for p in doc.select("link[data-rt-bundle]")] == [scripts[1]], path
        assert [re.sub(r"^.*?assets/js/|\.[0-9a-f]{8}\.js$", "", src) for src in scripts[2:]] == [
            "navigation", "journal/main", "print", "waitlist", "offline"]
        # The journal is an ES module, preloaded with every module it imports, itself last.
        assert [p["rel"] for p in loaded] == [["preload"], ["preload"], ["preload"], ["modulepreload"], ["preload"], ["preload"], ["preload"]], path
        graph = [p["href"] for p in modules]
        assert graph[-1] == scripts[3] and all(FINGERPRINT.search(src) for src in graph), (path, graph)
        hashed = {p.name for p in (site / "assets" / "js" / "journal").glob("*.js") if FINGERPRINT.search(p.name)}
        assert {src.rsplit("/", 1)[-1] for src in graph} == hashed, path
        for ref in [*screen, *printed, *scripts, *graph]:
            assert (site / path / ref).resolve().is_file(), (path, ref)


def test_the_journal_modules_import_each_other_by_their_hashed_names(site: Path) -> None:
    """publish/assets.py rewrote every import of the built modules to a hashed file that exists;
    no module imports another by its source name, which the site does not serve."""
    folder = site / "assets" / "js" / "journal"
    modules = [p for p in folder.glob("*.js") if FINGERPRINT.search(p.name)]
    assert {"main", "store", "journal-page"} <= {p.name.split(".")[0] for p in modules}
    specifiers = []
    for module in modules:
        # Minified: several statements to a line.
        for specifier in re.findall(r"""(?:^|[;}])\s*(?:import|export)\b[^;"'()]*?from\s*["']([^"']+)["']""", module.read_text(encoding="utf-8"), re.M):
            specifiers.append(specifier)
            assert FINGERPRINT.search(specifier) and (module.parent / specifier).resolve().is_file(), (module.name, specifier)
    assert len(specifiers) >= len(modules)
    assert not (folder / "main.js").exists() and not (folder / "store.js").exists()


def test_the_bundle_is_found_in_materials_template_or_the_build_says_so(tmp_path: Path) -> None:
    from publish.assets import material_bundle
    (tmp_path / "base.html").write_text("<script src=\"{{ 'assets/javascripts/bundle.0123abcd.min.js' | url }}\">", encoding="utf-8")
    assert material_bundle([tmp_path]) == "assets/javascripts/bundle.0123abcd.min.js"
    (tmp_path / "base.html").write_text("<script src=\"{{ 'assets/javascripts/app.js' | url }}\">", encoding="utf-8")
    with pytest.raises(ValueError, match=r"base.html: no assets/javascripts/bundle\.\*\.min\.js script found"):
        material_bundle([tmp_path])


def test_the_joined_stylesheet_holds_materials_rules_and_ours_in_order(site: Path) -> None:
    from publish.assets import minified
    from tests.helpers import whole_stylesheet

    text = whole_stylesheet().decode("utf-8")  # before the rules no page uses are left out
    material = sorted((site / "assets" / "stylesheets").glob("main.*.min.css"))[0].read_text(encoding="utf-8")
    ours = [minified(p, (Path("overrides") / p).read_bytes()).decode("utf-8") for p in
            ("assets/css/rt.css", "assets/css/journal.css", "assets/css/landing.css")]
    material = minified("main.css", material.split("/*# sourceMappingURL")[0].replace('@charset "UTF-8";', "").encode()).decode()
    positions = [text.index(material[:2000]), *(text.index(part) for part in ours)]
    assert positions == sorted(positions)
    assert "sourceMappingURL" not in text and text.count("@charset") == 1
    # The separate copies of ours are gone, so nothing unhashed is served by mistake.
    assert not (site / "assets" / "css" / "rt.css").exists()
    assert not (site / "assets" / "js" / "journal.js").exists()
    assert not (site / "assets" / "js" / "journal" / "main.js").exists()


def test_a_fingerprint_changes_with_the_content(tmp_path: Path) -> None:
    from publish.assets import Assets, fingerprinted

    assert fingerprinted("assets/js/a.js", b"one") != fingerprinted("assets/js/a.js", b"two")
    assert re.fullmatch(r"assets/js/a\.[0-9a-f]{8}\.js", fingerprinted("assets/js/a.js", b"one"))
    (tmp_path / "theme" / "assets").mkdir(parents=True)
    (tmp_path / "theme" / "assets" / "x.js").write_text("let x = 1\n", encoding="utf-8")
    assets = Assets([tmp_path / "docs", tmp_path / "theme"])
    name = assets.asset("assets/x.js")
    site = tmp_path / "site"
    (site / "assets").mkdir(parents=True)
    (site / "assets" / "x.js").write_text("let x = 1\n", encoding="utf-8")
    assert assets.write(site) == [name]
    assert (site / name).read_text(encoding="utf-8") == "let x=1" and not (site / "assets" / "x.js").exists()  # minified


def test_joining_refuses_what_would_break_and_names_the_file(tmp_path: Path) -> None:
    from publish.assets import Assets, find, join_css, material_stylesheets

    with pytest.raises(ValueError, match=r"^assets/css/x\.css: url\(img/a\.png\) would break once joined"):
        join_css([("assets/css/x.css", ".a { background: url(img/a.png) }")])
    assert "url(data:" in join_css([("a.css", ".a { background: url(data:image/png;base64,AA==) }")])
    with pytest.raises(FileNotFoundError, match=r"^assets/css/missing\.css: not found in any of "):
        find("assets/css/missing.css", [tmp_path])
    (tmp_path / "base.html").write_text("<link href=\"{{ 'assets/stylesheets/other.css' | url }}\">", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^base\.html: no assets/stylesheets/main\.\*\.min\.css link found"):
        material_stylesheets([tmp_path], palette=True)
    with pytest.raises(FileNotFoundError, match=r"^assets/x\.js: not found"):
        Assets([tmp_path]).asset("assets/x.js")


def test_the_real_site_caches_every_linked_asset_for_a_year_and_pages_not_at_all(site: Path, served: str) -> None:
    """Against `make serve`'s service on the built site: the stylesheet, print rules and scripts a
    page links are hashed, so they are cached for a year and sent as brotli; the page is not."""
    doc = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "lxml")
    links = [link["href"] for link in select_all(doc, 'link[rel~="stylesheet"], link[rel="preload"][as="script"], link[rel="modulepreload"]')]
    modules = select_all(doc, 'link[rel="modulepreload"]')
    # the stylesheet, print rules, search on demand, the bundle, our four scripts and the journal's modules
    assert len(modules) > 1 and len(links) == 8 + len(modules), links
    with httpx.Client(base_url=served, headers={"Accept-Encoding": "br, gzip"}) as client:
        page = client.get("/")
        assert page.headers["cache-control"] == "no-cache" and page.headers["content-encoding"] == "br"
        for href in links:
            response = client.get("/" + href.removeprefix("./"))
            assert response.status_code == 200, href
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable", href
            if len(response.content) >= MIN_BYTES:  # smaller files are not worth compressing
                assert response.headers["content-encoding"] == "br", href


def test_the_palette_switching_rule_is_left_out_of_the_joined_stylesheet(site: Path) -> None:
    """Material's file still has the rule (an upgrade that changes it fails here); ours lacks it."""
    from publish.assets import DROPPED_RULES

    folder = site / "assets" / "stylesheets"
    material = "".join(p.read_text(encoding="utf-8") for p in [*folder.glob("main.*.min.css"), *folder.glob("palette.*.min.css")])
    joined = sorted(folder.glob("rt.*.min.css"))[0].read_text(encoding="utf-8")
    for rule in DROPPED_RULES:
        assert rule in material and rule not in joined
    assert "[data-md-color-switching]" not in joined


def test_rules_for_colours_the_palette_does_not_use_are_left_out() -> None:
    from publish.assets import without_unused_colours

    css = ('@charset "UTF-8";a{b:c}[data-md-color-primary=red]{--x:1}'
           '[data-md-color-primary=custom] .y,[data-md-color-accent=pink] .z{--y:2}'
           '@media screen{[data-md-color-primary=red] .q{x:1}.k{y:2}}@media print{[data-md-color-accent=red]{z:1}}')
    assert without_unused_colours(css, {"custom"}) == \
        '@charset "UTF-8";a{b:c}[data-md-color-primary=custom] .y{--y:2}@media screen{.k{y:2}}'


def test_rules_that_need_a_class_no_page_can_have_are_left_out() -> None:
    from publish.assets import ClassNames, without_unused_rules

    used = ClassNames(frozenset({"a", "b", "rt-tools__"}), ("rt-tools__",))
    css = ('@charset "UTF-8";.a{x:1}.z{x:2}.a,.z .b{x:3}.a:not(.z){x:4}:is(.z,.a) p{x:5}'
           '@media screen{.z{x:6}}@media print{.a{x:7}}@font-face{font-family:F}'
           '[data-x=","],.z{x:8}.rt-tools__scheme{x:9}div{x:10}.b.z,.b>.a{x:11}')
    assert without_unused_rules(css, used) == (
        '@charset "UTF-8";.a{x:1}.a{x:3}.a:not(.z){x:4}:is(.z,.a) p{x:5}@media print{.a{x:7}}'
        '@font-face{font-family:F}[data-x=","]{x:8}.rt-tools__scheme{x:9}div{x:10}.b>.a{x:11}')


def test_the_classes_a_site_can_set_are_read_from_its_pages_scripts_and_data(tmp_path: Path) -> None:
    from publish.assets import class_names_in

    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text(
        "<p class='one  two'>three</p><template><b class=\"four\"></b></template>"
        "<script>document.body.classList.add('five')</script><i data-class=\"x\">six</i>", encoding="utf-8")
    (tmp_path / "tools.js").write_text('button.className = "md-button rt-drawer-tools__" + name;', encoding="utf-8")
    (tmp_path / "outline.json").write_text('{"kind": "seven"}', encoding="utf-8")
    (tmp_path / "skipped.js").write_text('"eight"', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("nine", encoding="utf-8")
    names = class_names_in(tmp_path, skip=[tmp_path / "skipped.js"])
    for name in ("one", "two", "four", "five", "md-button", "rt-drawer-tools__scheme", "seven"):
        assert name in names, name
    for name in ("three", "six", "x", "eight", "nine", "rt-drawer"):
        assert name not in names, name


def test_the_smaller_stylesheet_gets_its_own_name_and_every_page_links_it(tmp_path: Path) -> None:
    from publish.assets import JOINED_STYLESHEET, shrink_stylesheet

    old = JOINED_STYLESHEET.format(hash="0123abcd")
    (tmp_path / old).parent.mkdir(parents=True)
    (tmp_path / old).write_text(".used{color:red}.unused{color:blue}", encoding="utf-8")
    for page in ("index.html", "a/index.html"):
        (tmp_path / page).parent.mkdir(exist_ok=True)
        (tmp_path / page).write_text(f'<link rel="stylesheet" href="/{old}"><p class="used">', encoding="utf-8")
    new = shrink_stylesheet(tmp_path, old)
    assert new != old and re.fullmatch(r"assets/stylesheets/rt\.[0-9a-f]{8}\.min\.css", new)
    assert (tmp_path / new).read_text(encoding="utf-8") == ".used{color:red}" and not (tmp_path / old).exists()
    for page in ("index.html", "a/index.html"):
        assert (tmp_path / page).read_text(encoding="utf-8") == f'<link rel="stylesheet" href="/{new}"><p class="used">'
    assert shrink_stylesheet(tmp_path, new) == new  # nothing left to leave out: the same file


def test_the_shipped_stylesheet_holds_no_rule_the_site_cannot_use(site: Path) -> None:
    """Material's rules for features the site does not use (content tabs, the blog's posts, the
    cookie consent) are in Material's file and not in ours; what is left is all in use."""
    from publish.assets import JOINED_STYLESHEET, class_names_in, minified, without_unused_rules

    folder = site / "assets" / "stylesheets"
    (shipped,) = folder.glob("rt.*.min.css")
    material = next(folder.glob("main.*.min.css")).read_text(encoding="utf-8")
    joined = shipped.read_text(encoding="utf-8")
    for rule in (".tabbed-set", ".md-post", ".md-consent", ".md-banner"):
        assert rule in material and rule not in joined, rule
    left = without_unused_rules(joined, class_names_in(site, skip=[shipped]))
    assert minified(JOINED_STYLESHEET, left.encode("utf-8")).decode("utf-8") == joined


def test_the_joined_stylesheet_keeps_only_the_palettes_own_colours(site: Path) -> None:
    joined = sorted((site / "assets" / "stylesheets").glob("rt.*.min.css"))[0].read_text(encoding="utf-8")
    named = set(re.findall(r"\[data-md-color-(?:primary|accent)=[\"']?([\w-]+)", joined))
    assert named <= {"custom"}, named  # mkdocs.yml's palette: primary and accent "custom"
    material = sorted((site / "assets" / "stylesheets").glob("palette.*.min.css"))[0].read_text(encoding="utf-8")
    assert "[data-md-color-primary=indigo]" in material  # Material's file has them: they were left out


def test_every_cache_key_changes_with_the_code_and_libraries_that_make_its_entries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 27: keys of bytes, not of hand-kept lists. The stamp of a cache's maker changes with
    any byte of its module and any version of the libraries it names."""
    from importlib import metadata

    from publish import compress, stamp

    module = tmp_path / "maker.py"
    module.write_text("x = 1\n", encoding="utf-8")
    before = stamp.of_files(module)
    module.write_text("x = 2\n", encoding="utf-8")
    assert stamp.of_files(module) != before
    versions = stamp.of_versions("brotli")
    monkeypatch.setattr(stamp, "version", lambda name: metadata.version(name) + ".post1")
    assert stamp.of_versions("brotli") != versions
    compress.code_stamp.cache_clear()
    other = compress.code_stamp()
    monkeypatch.undo()
    compress.code_stamp.cache_clear()
    assert compress.cache_key(b"text", compress.ENCODINGS[0]) != compress.cache_key(b"text", compress.ENCODINGS[0], other)
