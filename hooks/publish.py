"""MkDocs hook: one fingerprinted stylesheet and hashed names for our scripts and modules; valid markup
for Material's toggles on every page; after the build, link-preview images, robots.txt, the
content security policy (`_headers`), the offline worker with the web app manifest and its
icons (publish/offline.py), and precompressed copies (cached by content: publish/compress.py).
Under `mkdocs serve` (`make dev`) only what an editor sees: no preview images, CSP file or
compressed copies. Logic lives in the publish/ package."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from markupsafe import Markup
from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publish import assets, compress, csp, markup, offline, outline, redirects, search, social  # noqa: E402

_assets: assets.Assets | None = None
_command = "build"  # or "serve", "gh-deploy": from on_startup when run by the mkdocs command
_colours: dict[str, str] = {}
log = logging.getLogger("mkdocs.hooks.publish")

# Scripts that change what Material's bundle does as it starts, so they run just before it:
# search on demand (the search worker and index wait until the reader reaches for search).
BEFORE_BUNDLE = ("assets/js/search.js",)
# Scripts for the page's content that wait for the reader's first interaction (or run at once
# when the browser holds something the reader saved): a first visit downloads only what shows
# the page (overrides/main.html, block scripts). Navigation (and "Leave this site" by Escape)
# must work from the start, so it does not wait.
ON_INTERACTION = ("assets/js/journal/main.js", "assets/js/print.js", "assets/js/waitlist.js", "assets/js/offline.js")
DEV_NOTICE = ("make dev: skipping compression, PDFs, preview images and the CSP file (not needed to preview pages; "
              "the worksheet PDFs already in .cache/pdf/ are copied, the others are missing); "
              "run make build for the full site")


def on_startup(command: str, dirty: bool) -> None:
    """`mkdocs serve` (an editor's preview) gets no offline worker: it would show stale pages; nor
    anything an editor does not see (`full_site`), so the page reloads soon after each save."""
    global _command
    _command = command
    if not full_site():
        log.info(DEV_NOTICE)


def offline_worker() -> bool:
    return _command != "serve"


def full_site() -> bool:
    """Preview images, the CSP file and compressed copies: not under `mkdocs serve`."""
    return _command != "serve"


def on_config(config):
    """Join Material's stylesheets and `extra_css` into one file, which the pages link instead;
    give each of `extra_javascript` a hashed name (an entry with `type: module` is an ES module:
    it and every module it imports, publish/assets.py). The pages load the scripts themselves,
    Material's bundle first (overrides/main.html, block scripts), so MkDocs writes no tags for them."""
    global _assets
    folders = [Path(config.docs_dir), *(Path(d) for d in config.theme.dirs)]
    scripts = [str(p) for p in config.extra_javascript]
    modules = [str(p) for p in config.extra_javascript if getattr(p, "type", "") == "module"]
    palette = config.theme.get("palette") or []
    palette = [palette] if isinstance(palette, dict) else palette
    # Material's default colour is indigo, for a palette entry that names none.
    colours = {entry.get(name) or "indigo" for entry in palette for name in ("primary", "accent")}
    _assets = assets.build(folders, [str(p) for p in config.extra_css], bool(palette),
                           scripts, modules, BEFORE_BUNDLE, ON_INTERACTION, colours)
    config.extra_css = []
    config.extra_javascript = []
    global _colours
    try:  # the header's colours, for the browser's toolbar and the web app manifest
        _colours = offline.theme_colours(_assets.files[_assets.stylesheet].decode("utf-8"))
    except offline.OfflineError as error:
        raise PluginError(f"Offline: {error}") from None
    # The page the offline worker shows for a page it does not hold (overrides/503.html). An
    # error template, so MkDocs gives it absolute URLs: it is shown in place of any page.
    config.theme.static_templates.add(offline.OFFLINE_PAGE)
    return config


def social_slug(page) -> str:
    """The preview image a page uses: its chapter's, or the landing page's."""
    return page.meta.get("chapter") or "home" if page and page.meta else "home"


def on_env(env, config, files):
    assert _assets is not None  # set by on_config
    env.globals["social_slug"] = social_slug
    env.globals["stylesheet"] = _assets.stylesheet
    env.globals["asset"] = _assets.asset
    env.globals["scripts"] = _assets.scripts
    env.globals["offline_worker"] = offline_worker()
    env.globals["theme_colours"] = _colours
    return env


def on_post_page(output: str, page, config) -> str:
    """Valid HTML for Material's drawer and search toggles, and "Skip to content" on every page,
    leading to the title (publish/markup.py says why)."""
    return markup.with_skip_link(markup.without_toggle_autocomplete(output, page.file.src_uri), page.file.src_uri)


def on_post_template(output: str, template_name: str, config) -> str:
    """The same for the pages Material renders without a Markdown source (404.html)."""
    if not template_name.endswith(".html"):
        return output
    return markup.with_skip_link(markup.without_toggle_autocomplete(output, template_name), template_name)


def template_dirs(config) -> list[Path]:
    """Where the inline scripts the pages may hold are written: the theme's templates (ours in
    overrides/, then Material's) and the macros' (macros/templates)."""
    folders = [Path(d) for d in config.theme.dirs]
    macros = config.plugins.get("macros")
    if macros and macros.config.get("include_dir"):
        folders.append(Path(config.config_file_path).parent / macros.config["include_dir"])
    return folders


def on_post_build(config) -> None:
    assert _assets is not None  # set by on_config
    site = Path(config.site_dir)
    _assets.write(site)
    project = Path(config.config_file_path).parent
    sys.path.insert(0, str(project))
    from macros.data import load_and_check_once

    course = load_and_check_once(project / "data", Path(config.docs_dir))
    brand = config.extra["brand"]  # checked, name and slug filled in (hooks/brand.py)
    cards = {"home": (config.extra["landing"]["promise"], "A free course")}
    for number, chapter in enumerate(course.chapters, 1):
        cards[chapter.id] = (chapter.title, f"Chapter {number}")
    if full_site():
        social.write_cards(site / "assets" / "social", cards, brand["name"])
    (site / "robots.txt").write_text(f"User-agent: *\nAllow: /\n\nSitemap: {config.site_url}sitemap.xml\n", encoding="utf-8")
    try:  # renamed worksheets' old addresses (publish/redirects.py)
        moved = {}
        for worksheet in course.worksheets.values():
            new = f"worksheets/{worksheet.id}/"
            for old in (f"worksheets/{former}/" for former in worksheet.formerly):
                moved.update({f"{old}{old.split('/')[1]}-{size}.pdf": f"{new}{worksheet.id}-{size}.pdf" for size in ("a4", "letter")})
                moved[old] = new
        redirects.write(site, moved, config.site_url or "", config.theme["language"], Markup(brand["name"]).unescape())
    except FileExistsError as error:
        raise PluginError(f"Redirects: {error}") from None
    search.write_plain_quotes(site)
    try:
        outline.externalise(site)
    except ValueError as error:
        raise PluginError(f"Journal outline: {error}") from None
    try:  # only the inline scripts our templates and Material's ship (publish/csp.py)
        if full_site():
            csp.write(site, template_dirs(config), config.extra["waitlist"]["action"])
    except csp.CspError as error:
        raise PluginError(f"Content security policy: {error}") from None
    # After everything that changes a file, before the compressed copies (publish/offline.py).
    folders = [Path(config.docs_dir), *(Path(d) for d in config.theme.dirs)]
    try:
        # site_description is escaped text (hooks/brand.py); the manifest is JSON, so plain text.
        offline.write(site, name=brand["name"], short_name=brand["short_name"],
                      description=Markup(config.site_description or "").unescape(), colours=_colours,
                      favicon_svg=assets.find(config.theme["favicon"], folders).read_text(encoding="utf-8"),
                      site_url=config.site_url, serve=not offline_worker(),
                      cache=Path(os.environ.get("RT_OFFLINE_CACHE") or project / ".cache" / "offline"))
    except (offline.OfflineError, FileNotFoundError) as error:
        raise PluginError(f"Offline: {error}") from None
    if full_site():
        write_compressed(site, project, unloaded_folders(config))


def unloaded_folders(config) -> tuple[str, ...]:
    """Folders of the built site whose files no page loads, so not worth compressed copies:
    lunr's language support, when search is in English only (Material loads it for other
    languages)."""
    search = config.plugins.get("material/search")
    languages = (search.config.lang if search else None) or [config.theme.get("language") or "en"]
    return ("assets/javascripts/lunr/",) if list(languages) == ["en"] else ()


def write_compressed(site: Path, project: Path, skip: tuple[str, ...] = ()) -> None:
    """Compressed copies, from `.cache/compress/` (or `$RT_COMPRESS_CACHE`) for unchanged files."""
    cache = Path(os.environ.get("RT_COMPRESS_CACHE") or project / ".cache" / "compress")
    try:
        report = compress.compress_site(site, cache, skip=skip)
    except compress.CompressError as error:
        raise PluginError(f"Compression: {error}") from None
    compress.CompressCache(cache).prune()
    log.info(f"Compressed copies: {report.compressed} made, {report.from_cache} from the cache")
