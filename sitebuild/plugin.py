"""The site's build, as one MkDocs plugin: `rebuilding-trust` in mkdocs.yml's `plugins:`, after
`macros` (registered by pyproject.toml's entry point; the Makefile installs the project in
editable mode).

What it does, by MkDocs event, in the order MkDocs calls them:

- `on_startup`: which command runs (`mkdocs serve` previews skip what an editor does not see).
- `on_config`, first (priority 100, before mkdocs-macros reads `extra`): the brand
  (course/brand.py), the waitlist's and the organisation's settings (sitebuild/waitlist.py),
  "Leave this site" (sitebuild/quick_exit.py) and the journal's settings are checked, and the
  course is loaded and checked once (course/data.py) for the macros (macros/__init__.py reads it
  from this plugin: `of(config)`), the generated worksheet pages and the PDFs. The worksheets
  join the nav.
- `on_config`, then (priority 0): Material's stylesheets and `extra_css` joined into one file,
  our scripts given hashed names (publish/assets.py); the header's colours read from it.
- `on_files`: a hosted waitlist's build leaves out the bundled service's pages; one generated
  page per worksheet (`worksheets/<id>.md`: a `worksheet()` macro call).
- `on_page_markdown` (after the macros ran): the landing page's title and description from
  `extra.landing`, a worksheet page's from its data, as escaped text.
- `on_page_content` (before anything reads the HTML): the macros' HTML blocks back in place of
  their tokens (macros/blocks.py).
- `on_env`: the templates' globals (stylesheet, scripts, the safety note, the helpline
  countries, computed facts) and Jinja's bytecode cache under `.cache/jinja/`.
- `on_page_context`: each page's running header for print (printing/pdf.py).
- `on_post_page`, `on_post_template`: valid markup for Material's toggles and "Skip to content".
- `on_post_build`: the steps of sitebuild/steps.py, in its order (PDFs → assets → CSP →
  offline → compression).

All state lives on the plugin object, made new for each build (and each live reload).

Why the title and description of generated pages are set after the macros: mkdocs-macros
renders Jinja it finds in a page's title (`{{ 7*7 }}` became "49"), and MkDocs' and Material's
templates print `page.title`, `page.meta.title` and `page.meta.description` without escaping.
They are set as `Markup` holding the escaped text: the templates print it as it is, `| e`
leaves it alone, and `| striptags` gives back the plain text.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from jinja2 import FileSystemBytecodeCache
from markupsafe import Markup, escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files

from course.brand import BrandError, brand_settings, landing_settings
from course.data import Course, CourseDataError, load_and_check_once
from course.facts import course_facts
from course.helplines import countries
from macros.blocks import BlockLostError, Blocks
from macros.journal import JournalSettingsError, journal_settings
from macros.render import PDF_SIZES, Renderer
from printing.pack import GUIDE, GuidePage, guide_page, ordered_guide, record_guide, write_pack
from printing.pdf import PdfCache, PdfMaker, glyph_problems, running_header_style, site_from_config, write_pdfs
from publish import assets, compress, csp, markup, offline, outline, redirects, search, social

from . import quick_exit, waitlist
from .steps import Step, run_steps

NAME = "rebuilding-trust"  # the entry point's name (pyproject.toml), as mkdocs.yml lists it
log = logging.getLogger(f"mkdocs.plugins.{NAME}")

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


def of(config: Any) -> RebuildingTrustPlugin:
    """The build's plugin, from an MkDocs configuration (mkdocs-macros' `env.conf`)."""
    plugin = config["plugins"].get(NAME)
    if not isinstance(plugin, RebuildingTrustPlugin):
        raise PluginError(f"mkdocs.yml: plugins: `{NAME}` is missing; list it after `macros` "
                          "(the macros read the course it loads)")
    return plugin


def cache_folder(variable: str, project: Path, name: str) -> Path:
    """A cache's folder: `$variable`, else `.cache/<name>/` in the project."""
    return Path(os.environ.get(variable) or project / ".cache" / name)


class RebuildingTrustPlugin(BasePlugin):  # no config options
    def __init__(self) -> None:
        self.command = "build"  # or "serve", "gh-deploy": from on_startup when run by the mkdocs command
        self.course: Course | None = None
        self.blocks = Blocks()
        self.landing: dict[str, str | None] = {}
        self.assets: assets.Assets | None = None
        self.colours: dict[str, str] = {}
        self.guide: dict[str, GuidePage] = {}  # the facilitator's guide's pages, for the therapist's pack

    # -- state ---------------------------------------------------------------------------------

    @property
    def full_site(self) -> bool:
        """Preview images, the CSP file, compressed copies and laid-out PDFs: not under `mkdocs serve`."""
        return self.command != "serve"

    def this_build(self) -> Course:
        """The course on_config loaded (once per build: asking for every page would look at every
        data file and page once per page)."""
        if self.course is None:
            raise PluginError("the course is read in on_config, which has not run")
        return self.course

    # -- events ----------------------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command
        if not self.full_site:
            log.info(DEV_NOTICE)

    @event_priority(100)  # before the plugins: mkdocs-macros reads `extra` when it starts
    def _check_settings(self, config: MkDocsConfig) -> MkDocsConfig:
        """The settings in mkdocs.yml, checked and completed (each module names the field of a
        mistake), and the course loaded: see the module's docstring."""
        try:
            brand = brand_settings(config.site_name, config.extra)
            self.landing = landing_settings(config.extra, brand)
        except BrandError as error:
            raise PluginError(str(error)) from None
        config.extra["brand"] = brand
        config.site_name = Markup(escape(brand["name"]))
        config.site_description = Markup(escape(config.site_description or brand["tagline"]))
        try:
            block, organisation, source = waitlist.settings(config.extra, config.site_url or "/")
        except waitlist.WaitlistError as error:
            raise PluginError(str(error)) from None
        if isinstance(config.extra.get("waitlist"), dict):
            config.extra["waitlist"].update(block)  # the same dictionary, wherever it is already held
        else:
            config.extra["waitlist"] = block
        config.extra["organisation"] = organisation
        if block["mode"] == "hosted":
            log.info(f"waitlist: the form posts to {block['provider']}; the bundled service's pages are left out")
        else:
            log.info(f"waitlist: the bundled service, {'sending' if block['mail'] else 'sending no'} email ({source}); "
                     "the privacy note says so (extra.waitlist.mail: true|false to set it)")
        try:
            config.extra["quick_exit"] = quick_exit.check(config.extra.get("quick_exit"),
                                                          quick_exit.locator(config.config_file_path))
        except quick_exit.QuickExitError as error:
            raise PluginError(str(error)) from None
        try:  # the journal's lock and discreet mode (overrides/partials/rt-lock.html, main.html)
            journal_settings(config.extra)
        except JournalSettingsError as error:
            raise PluginError(str(error)) from None
        self.blocks = Blocks()
        self.guide = {}
        try:
            self.course = load_and_check_once(Path(config.config_file_path).parent / "data", Path(config.docs_dir))
        except CourseDataError as error:
            raise PluginError(str(error)) from None
        pages = [f"worksheets/{worksheet_id}.md" for worksheet_id in self.ordered_worksheets()]
        for item in config.nav or []:
            if isinstance(item, dict) and "Worksheets" in item:
                item["Worksheets"] = ["worksheets/index.md", *pages]
        return config

    @event_priority(0)
    def _join_assets(self, config: MkDocsConfig) -> MkDocsConfig:
        """Join Material's stylesheets and `extra_css` into one file, which the pages link instead;
        give each of `extra_javascript` a hashed name (an entry with `type: module` is an ES
        module: it and every module it imports, publish/assets.py). The pages load the scripts
        themselves, Material's bundle first (overrides/main.html, block scripts), so MkDocs
        writes no tags for them."""
        folders = [Path(config.docs_dir), *(Path(d) for d in config.theme.dirs)]
        scripts = [str(p) for p in config.extra_javascript]
        modules = [str(p) for p in config.extra_javascript if getattr(p, "type", "") == "module"]
        palette = config.theme.get("palette") or []
        palette = [palette] if isinstance(palette, dict) else palette
        # Material's default colour is indigo, for a palette entry that names none.
        colours = {entry.get(name) or "indigo" for entry in palette for name in ("primary", "accent")}
        self.assets = assets.build(folders, [str(p) for p in config.extra_css], bool(palette),
                                   scripts, modules, BEFORE_BUNDLE, ON_INTERACTION, colours)
        config.extra_css = []
        config.extra_javascript = []
        try:  # the header's colours, for the browser's toolbar and the web app manifest
            self.colours = offline.theme_colours(self.assets.files[self.assets.stylesheet].decode("utf-8"))
        except offline.OfflineError as error:
            raise PluginError(f"Offline: {error}") from None
        # The page the offline worker shows for a page it does not hold (overrides/503.html). An
        # error template, so MkDocs gives it absolute URLs: it is shown in place of any page.
        config.theme.static_templates.add(offline.OFFLINE_PAGE)
        return config

    on_config = CombinedEvent(_check_settings, _join_assets)

    def ordered_worksheets(self) -> list[str]:
        return [w.id for w in self.this_build().ordered_worksheets()]

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """A hosted waitlist's build leaves out the bundled service's pages (and so every link to
        them); each worksheet gets a page, `worksheets/<id>.md`, which only calls its macro."""
        if config.extra["waitlist"]["mode"] == "hosted":
            for path in waitlist.SERVICE_ONLY:
                file = files.get_file_from_path(path)
                if file is not None:
                    files.remove(file)
        course = self.this_build()
        for worksheet_id in self.ordered_worksheets():
            worksheet = course.worksheets[worksheet_id]
            # Ids are checked against a pattern of lowercase letters, digits and hyphens (course/data.py).
            content = f"---\nworksheet_id: {worksheet.id}\n---\n\n{{{{ worksheet({worksheet.id!r}) }}}}\n"
            files.append(File.generated(config, f"worksheets/{worksheet.id}.md", content=content))
        return files

    @event_priority(0)
    def _landing_meta(self, markdown: str, *, page, config: MkDocsConfig, files: Files) -> str:
        if page.is_homepage:
            if self.landing.get("title"):
                page.meta["title"] = Markup(escape(self.landing["title"]))
            if self.landing.get("description"):
                page.meta["description"] = Markup(escape(self.landing["description"]))
        return markdown

    @event_priority(-100)  # after mkdocs-macros has rendered the page
    def _worksheet_meta(self, markdown: str, *, page, config: MkDocsConfig, files: Files) -> str:
        """A generated worksheet page's title and description, as escaped text."""
        worksheet_id = page.meta.get("worksheet_id")
        if worksheet_id and page.file.generated_by:
            worksheet = self.this_build().worksheets[worksheet_id]
            page.meta["title"] = escape(str(worksheet.title))
            page.meta["description"] = escape(str(worksheet.summary))
        return markdown

    on_page_markdown = CombinedEvent(_landing_meta, _worksheet_meta)

    @event_priority(100)  # before anything reads the page's HTML (Material's search among them)
    def on_page_content(self, html: str, *, page, config: MkDocsConfig, files: Files) -> str:
        """The macros' HTML blocks back in place of their tokens (macros/blocks.py); the
        facilitator's guide's pages kept for the therapist's pack (printing/pack.py)."""
        try:
            html = self.blocks.restore(page.file.src_uri, html, page.present_anchor_ids)
        except BlockLostError as error:
            raise PluginError(str(error)) from None
        if page.file.src_uri.startswith(GUIDE):
            self.guide[page.url] = guide_page(page.url, page.title, html, config.site_url or "")
        return html

    def on_env(self, env, *, config: MkDocsConfig, files: Files):
        """The templates' globals: the stylesheet and scripts (hashed names), the page's preview
        image, the header's colours, the safety note the macros render (styled by the reader's
        chosen country), renamed worksheets (journal/store.js moves their answers) and the
        computed facts.

        The theme's templates (Material's and ours, a hundred of them) are compiled once, not at
        every build: Jinja's bytecode cache keeps the compiled code under `.cache/jinja/` (or
        `$RT_JINJA_CACHE`), checked against a hash of each template's source."""
        if self.assets is None:
            raise PluginError("the assets are joined in on_config, which has not run")
        env.globals["social_slug"] = social_slug
        env.globals["stylesheet"] = self.assets.stylesheet
        env.globals["asset"] = self.assets.asset
        env.globals["scripts"] = self.assets.scripts
        env.globals["offline_worker"] = self.full_site  # a preview would show stale pages
        env.globals["theme_colours"] = self.colours
        course = self.this_build()
        renderer = Renderer(course, site_url=config.site_url or "")
        env.globals["safety_note"] = lambda base_url: renderer.safety_note(base_url.rstrip("/") + "/")
        env.globals["helpline_countries"] = [c["code"] for c in countries(course.helplines)]
        # "former=id …": saved answers move to a renamed worksheet's id (journal/store.js moveRenamed).
        env.globals["renamed_worksheets"] = " ".join(f"{old}={w.id}" for w in course.worksheets.values() for old in w.formerly)
        env.globals["facts"] = course_facts(course, Path(config.docs_dir))
        cache = cache_folder("RT_JINJA_CACHE", Path(config.config_file_path).parent, "jinja")
        cache.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = FileSystemBytecodeCache(str(cache))
        return env

    def on_page_context(self, context, *, page, config: MkDocsConfig, nav):
        """The running header's <style>, for overrides/main.html to put in the page's <head>: a
        <style> in the body may not set `:root` (the Nu validator rejects it). Material's instant
        navigation swaps the head's elements that differ, so it follows the page. The title is
        HTML by now: the header prints words, so entities become the characters they stand for;
        on the landing page the site's name says it."""
        title = "" if page.is_homepage else Markup(page.title or "").striptags()
        context["print_header"] = running_header_style(title, site_from_config(config), page.url)
        return context

    def on_post_page(self, output: str, *, page, config: MkDocsConfig) -> str:
        """Valid HTML for Material's drawer and search toggles, and "Skip to content" on every
        page, leading to the title (publish/markup.py says why)."""
        return markup.with_skip_link(markup.without_toggle_autocomplete(output, page.file.src_uri), page.file.src_uri)

    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        """The same for the pages Material renders without a Markdown source (404.html)."""
        if not template_name.endswith(".html"):
            return output_content
        return markup.with_skip_link(markup.without_toggle_autocomplete(output_content, template_name), template_name)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """The post-build steps (sitebuild/steps.py), in their order."""
        site = Path(config.site_dir)
        project = Path(config.config_file_path).parent
        course = self.this_build()
        brand = config.extra["brand"]  # checked, name and slug filled in (on_config)
        assets_ = self.assets
        if assets_ is None:
            raise PluginError("the assets are joined in on_config, which has not run")
        folders = [Path(config.docs_dir), *(Path(d) for d in config.theme.dirs)]

        def mail() -> None:
            block = config.extra["waitlist"]
            if block["mode"] == "service":
                wording = waitlist.mail_wording(block["messages"], str(brand.get("name") or config.site_name),
                                                 str(brand.get("app_name") or "the app"))
                waitlist.write_mail_file(site, wording)

        def pdfs() -> None:
            self.write_pdfs(config, course, project)

        def social_cards() -> None:
            cards = {"home": (config.extra["landing"]["promise"], "A free course")}
            for number, chapter in enumerate(course.chapters, 1):
                cards[chapter.id] = (chapter.title, f"Chapter {number}")
            social.write_cards(site / "assets" / "social", cards, brand["name"])

        def robots() -> None:
            (site / "robots.txt").write_text(f"User-agent: *\nAllow: /\n\nSitemap: {config.site_url}sitemap.xml\n",
                                             encoding="utf-8")

        def moved_worksheets() -> None:
            moved = {}
            for worksheet in course.worksheets.values():
                new = f"worksheets/{worksheet.id}/"
                for old in (f"worksheets/{former}/" for former in worksheet.formerly):
                    moved.update({f"{old}{old.split('/')[1]}-{size}{kind}.pdf": f"{new}{worksheet.id}-{size}{kind}.pdf"
                                  for size in ("a4", "letter") for kind in ("", "-fillable")})
                    moved[old] = new
            try:
                redirects.write(site, moved, config.site_url or "", config.theme["language"], Markup(brand["name"]).unescape())
            except FileExistsError as error:
                raise PluginError(f"Redirects: {error}") from None

        def journal_outline() -> None:
            try:
                outline.externalise(site)
            except ValueError as error:
                raise PluginError(f"Journal outline: {error}") from None

        def shrink_stylesheet() -> None:  # the pages are final: only now is it known what they use
            assets_.stylesheet = assets.shrink_stylesheet(site, assets_.stylesheet,
                                                          cache_folder("RT_STYLESHEET_CACHE", project, "stylesheet"))

        def security_policy() -> None:  # only the inline scripts our templates and Material's ship
            try:
                csp.write(site, template_dirs(config), config.extra["waitlist"]["action"])
            except csp.CspError as error:
                raise PluginError(f"Content security policy: {error}") from None

        def offline_files() -> None:
            try:
                # site_description is escaped text (on_config); the manifest is JSON, so plain text.
                offline.write(site, name=brand["name"], short_name=brand["short_name"],
                              description=Markup(config.site_description or "").unescape(), colours=self.colours,
                              favicon_svg=assets.find(config.theme["favicon"], folders).read_text(encoding="utf-8"),
                              site_url=config.site_url, serve=not self.full_site,
                              cache=cache_folder("RT_OFFLINE_CACHE", project, "offline"))
            except (offline.OfflineError, FileNotFoundError) as error:
                raise PluginError(f"Offline: {error}") from None

        def compressed() -> None:
            write_compressed(site, project, unloaded_folders(config))

        run_steps([
            Step("mail", mail),
            Step("pdfs", pdfs),
            Step("assets", lambda: assets_.write(site)),
            Step("social", social_cards, full_only=True),
            Step("robots", robots),
            Step("redirects", moved_worksheets),
            Step("search", lambda: search.write_plain_quotes(site)),
            Step("outline", journal_outline),
            Step("stylesheet", shrink_stylesheet, full_only=True),
            Step("csp", security_policy, full_only=True),
            Step("offline", offline_files),
            Step("compression", compressed, full_only=True),
        ], self.full_site, log.debug)

    def write_pdfs(self, config: MkDocsConfig, course: Course, project: Path) -> None:
        """Every worksheet's PDFs, blank and fillable, and the workbook, A4 and Letter, from
        `.cache/pdf/` (or `$RT_PDF_CACHE`) when their inputs' bytes are unchanged. A worksheet longer than two
        pages is a warning, which fails `mkdocs build --strict`. A preview never lays one out:
        it copies what the cache has. `RT_PDF=0` switches PDFs off (bench/macros_build.py)."""
        if os.environ.get("RT_PDF", "1") == "0":
            log.info("Worksheet PDFs switched off (RT_PDF=0)")
            return
        unprintable = glyph_problems(course)  # once per course: the check's result is reused
        if unprintable:  # a PDF with boxes for letters is not published
            raise PluginError("\n".join(str(problem) for problem in unprintable))
        cache = PdfCache(cache_folder("RT_PDF_CACHE", project, "pdf"))
        started = time.perf_counter()
        maker = PdfMaker(course, site_from_config(config))
        folder = Path(config.site_dir) / "worksheets"
        report = write_pdfs(maker, folder, cache, lay_out=self.full_site)
        for problem in report.problems:
            log.warning(problem)
        if not report.problems:
            guide = ordered_guide(self.guide, [c.id for c in course.chapters])
            pack = write_pack(maker, guide, folder, cache, report, self.full_site)
            if len(pack) == len(PDF_SIZES):  # what `make check` reports (printing/pack.py)
                record_guide(cache, maker.site.url, guide, Path(config.docs_dir))
            if pack:
                log.info("The therapist's pack: " + ", ".join(f"{pages} pages in {dict(PDF_SIZES)[size]}"
                                                             for size, pages in pack.items()))
        if report.missing:
            log.info(f"{report.missing} worksheet PDF(s) are not in the cache yet; `make build` lays them out")
        if self.full_site:
            cache.prune()
        joined = (f"; sheets joined: {maker.shared} laid out by the check, {maker.relaid} laid out again"
                  if maker.shared or maker.relaid else "")
        log.info(f"Worksheet PDFs: {report.laid_out} laid out, {report.from_cache} from the cache "
                 f"({report.layouts} layouts{joined}, {time.perf_counter() - started:.2f} s)")


def social_slug(page) -> str:
    """The preview image a page uses: its chapter's, or the landing page's."""
    return page.meta.get("chapter") or "home" if page and page.meta else "home"


def template_dirs(config: MkDocsConfig) -> list[Path]:
    """Where the inline scripts the pages may hold are written: the theme's templates (ours in
    overrides/, then Material's) and the macros' (macros/templates)."""
    folders = [Path(d) for d in config.theme.dirs]
    macros = config.plugins.get("macros")
    if macros and macros.config.get("include_dir"):
        folders.append(Path(config.config_file_path).parent / macros.config["include_dir"])
    return folders


def unloaded_folders(config: MkDocsConfig) -> tuple[str, ...]:
    """Folders of the built site whose files no page loads, so not worth compressed copies:
    lunr's language support, when search is in English only (Material loads it for other
    languages)."""
    search_plugin = config.plugins.get("material/search")
    languages = (search_plugin.config.lang if search_plugin else None) or [config.theme.get("language") or "en"]
    return ("assets/javascripts/lunr/",) if list(languages) == ["en"] else ()


def write_compressed(site: Path, project: Path, skip: tuple[str, ...] = ()) -> None:
    """Compressed copies, from `.cache/compress/` (or `$RT_COMPRESS_CACHE`) for unchanged files."""
    cache = cache_folder("RT_COMPRESS_CACHE", project, "compress")
    try:
        report = compress.compress_site(site, cache, skip=skip)
    except compress.CompressError as error:
        raise PluginError(f"Compression: {error}") from None
    compress.CompressCache(cache).prune()
    log.info(f"Compressed copies: {report.compressed} made, {report.from_cache} from the cache")

