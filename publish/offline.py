"""The course offline and installable: a service worker, a web app manifest and its icons.

After the build has written every file (our assets, the search quotes, the content security
policy) and before the precompressed copies are made, this writes at the site's root:

- `sw.js`, the service worker (its code is publish/sw.js), with this build's manifest: every
  file the offline course needs, by URL relative to the site's base, each with the SHA-256 of
  its bytes. The pages (as directory URLs, `betrayal/`), the offline page (503.html, shown for
  a page the worker does not hold when there is no connection), and what they load: the stylesheets and scripts they link, the images of
  assets/images/ (favicons, icons), the web app manifest and its icons, and the sitemap
  (Material's instant navigation reads it on every page: without it the pages reload in full
  offline, and each logs a failed request). Separately, `later`: Material's search worker and
  its index, which the pages fetch only when the reader first reaches for search
  (overrides/assets/js/search.js), so the first load stays within its budget; the worker
  fetches them at install with the rest (after the first visit is idle), so search works
  offline after a first visit. And the worksheet PDFs (blank and fillable) and the workbooks,
  which the worker keeps only when the reader asks (the "Keep worksheets PDFs offline" button). Left out: the
  `.br`/`.gz` copies (the browser decodes what it fetches), source maps, link-preview images,
  lunr's language files (an English site's search never loads them), and the waitlist's pages,
  which the service fills in per request. The build id is a hash of the manifest: the worker's
  own bytes change exactly when a file it caches does, and the browser installs a new worker
  only then. The worker fetches only what changed (publish/sw.js says how), checks every file
  against its hash, and never mixes two builds.
- `manifest.webmanifest`, so the course installs to a phone's home screen, with PNG icons drawn
  here from the favicon (like the link-preview images, with Pillow: no SVG renderer needed).
- A `/sw.js` block in `_headers`, for static hosts: the worker script is revalidated on every
  update check (`Cache-Control: no-cache`).

Under `mkdocs serve` (an editor's preview) the worker is not the caching one: `sw.js` is a
worker that removes itself and its caches (publish/sw-serve.js), for a browser that visited a
built site on the same address before; the pages do not register a worker there.

Plain Python over the built site; sitebuild/plugin.py wires it into MkDocs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from publish import jsoncache, stamp

if TYPE_CHECKING:
    from PIL import Image

HERE = Path(__file__).resolve().parent
WORKER = "sw.js"
WEB_MANIFEST = "manifest.webmanifest"
OFFLINE_PAGE = "503.html"
ERROR_PAGES = (OFFLINE_PAGE,)  # not 404.html: offline, no page is known to be missing
# Files every page needs besides what it links: the sitemap (instant navigation) and the web
# app manifest.
ALWAYS = ("sitemap.xml", WEB_MANIFEST)
# Files the pages fetch only when the reader first reaches for search: the index, and the search
# worker named in Material's configuration block (found in the pages).
LATER = ("search/search_index.json",)
# Small images the pages may swap in (the favicon, a neutral one for a discreet tab, the icons):
# all of them, whether or not a page links them as built.
IMAGE_FOLDERS = ("assets/images/",)
# Pages the service fills in per request (the error page) or that follow a POST.
EXCLUDED_PAGES = ("waitlist/",)
EXCLUDED_SUFFIXES = (".br", ".gz", ".map", ".pdf", ".html")
EXCLUDED_FOLDERS = ("assets/social/",)  # link-preview images: for other sites, not the reader
LINK_RELS = {"stylesheet", "preload", "modulepreload", "icon", "apple-touch-icon", "manifest"}
MANIFEST_LINE = "/* @rt-manifest */"
REFERENCES = "references.json"  # in the cache folder: what each page loads, by its hash
ICONS_FOLDER = "assets/images"
# (file name, size, purpose): 192 and 512 for Android and Chrome's install, a maskable one
# (full-bleed, the heart inside the safe zone) for adaptive launchers, 180 for iOS's home screen.
ICONS = (
    ("icon-192.png", 192, "any"),
    ("icon-512.png", 512, "any"),
    ("icon-maskable-512.png", 512, "maskable"),
)
APPLE_TOUCH_ICON = ("apple-touch-icon.png", 180)
FOREGROUND = "#ffffff"


class OfflineError(Exception):
    """Something the offline step needs is missing or not what it expects."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- what the worker caches --------------------------------------------------------------------


class _References(HTMLParser):
    """The URLs a page loads (stylesheets, scripts, icons, the manifest, images), and, in
    `later`, the search worker named in Material's configuration block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.later: list[str] = []
        self._config = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and LINK_RELS & set(values.get("rel", "").lower().split()) and values.get("href"):
            self.found.append(values["href"])
        elif tag in ("script", "img") and values.get("src"):
            self.found.append(values["src"])
        if values.get("data-rt-journal-outline-src"):  # fetched by the journal (publish/outline.py)
            self.found.append(values["data-rt-journal-outline-src"])
        elif tag == "script" and values.get("id") == "__config":
            self._config = True

    def handle_data(self, data: str) -> None:
        if self._config:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._config:
            self._config = False
            try:
                search = json.loads("".join(self._text)).get("search")
            except ValueError:
                raise OfflineError("Material's __config block is not JSON (has Material changed?)") from None
            if search:
                self.later.append(search)


def page_url(path: str) -> str:
    """The URL of a built page relative to the site's base: `betrayal/index.html` -> `betrayal/`,
    `index.html` -> `./`, `503.html` as it is."""
    if path == "index.html":
        return "./"
    return path.removesuffix("index.html") if path.endswith("/index.html") else path


def site_file(url: str) -> str:
    """The file a URL relative to the base names (the inverse of page_url)."""
    return "index.html" if url == "./" else url + "index.html" if url.endswith("/") else url


def _references(html: str, page: str, base_path: str = "/") -> tuple[list[str], list[str]]:
    """The same-origin files a page loads, and those it loads on demand (the search worker),
    relative to the site's base (`page` is the page's URL relative to the base, `base_path` the
    base's path on the server); query and fragment dropped."""
    parser = _References()
    parser.feed(html)
    parser.close()
    origin = "http://site.invalid"
    base = origin + base_path
    here = urljoin(base, "" if page == "./" else page)

    def resolve(references: list[str]) -> list[str]:
        found = []
        for reference in references:
            url = urljoin(here, reference)
            if not url.startswith(base):
                continue
            path = urlsplit(url).path.removeprefix(urlsplit(base).path)
            if path:
                found.append(path)
        return found

    return resolve(parser.found), resolve(parser.later)


def page_references(html: str, page: str, base_path: str = "/") -> list[str]:
    """The same-origin files a page loads as it opens, relative to the site's base."""
    return _references(html, page, base_path)[0]


def pages(site: Path) -> list[str]:
    """Every page the worker caches, as a path in the site. Not the pages at moved addresses
    (publish/redirects.py): a server answers them with a redirect, whose bytes are not the
    page's, and the worker would refuse its whole install."""
    found = [p.relative_to(site).as_posix() for p in sorted(site.rglob("index.html"))]
    found = [p for p in found if not p.startswith(EXCLUDED_PAGES) and p.removesuffix("index.html") not in moved_folders(site)]
    return found + [name for name in ERROR_PAGES if (site / name).is_file()]


def moved_folders(site: Path) -> set[str]:
    """The site's folders that moved (`/old/ /new/ 301` in `_redirects`), as `old/`."""
    try:
        rules = (site / "_redirects").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return set()
    return {rule.split()[0].strip("/") + "/" for rule in rules if rule.split() and rule.split()[0].endswith("/")}


def _hashes(site: Path, paths: Iterable[str]) -> dict[str, str]:
    files = {}
    for path in sorted(paths):
        if path.endswith(EXCLUDED_SUFFIXES) or path.startswith(EXCLUDED_FOLDERS) or path.endswith("/"):
            continue
        if not (site / path).is_file():
            raise OfflineError(f"{path}: a page loads it, but it is not in the built site")
        files[path] = sha256((site / path).read_bytes())
    return files


def offline_files(site: Path, base_path: str = "/", cache: Path | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """URL (relative to the base) -> SHA-256 of the bytes, for everything the offline course
    needs: what the worker caches as it installs, and what it keeps when the pages first fetch
    it (search: LATER and the search worker). `cache`: a folder where what each page loads is
    kept between builds, by the page's hash (an unchanged page is not parsed again)."""
    files: dict[str, str] = {}
    wanted: set[str] = set(name for name in ALWAYS if (site / name).is_file())
    later: set[str] = set(name for name in LATER if (site / name).is_file())
    made_by = stamp.stamp(stamp.of_files(Path(__file__)))  # the parser that found the references
    known = jsoncache.read(cache / REFERENCES if cache else None, made_by)
    seen: dict[str, list[list[str]]] = {}
    for path in pages(site):
        data = (site / path).read_bytes()
        url = page_url(path)
        files[url] = sha256(data)
        key = f"{files[url]} {url} {base_path}"
        found: Any = known.get(key)  # JSON from the cache: checked on the next line
        valid = isinstance(found, list) and len(found) == 2 and all(isinstance(part, list) for part in found)
        seen[key] = found if valid else [list(part) for part in _references(data.decode("utf-8"), url, base_path)]
        wanted.update(seen[key][0])
        later.update(seen[key][1])
    jsoncache.write(cache / REFERENCES if cache else None, seen, made_by)
    for folder in IMAGE_FOLDERS:
        wanted.update(p.relative_to(site).as_posix() for p in sorted((site / folder).glob("*")) if p.is_file())
    manifest = site / WEB_MANIFEST
    if manifest.is_file():  # its icons, relative to the manifest at the base
        wanted.update(icon["src"] for icon in json.loads(manifest.read_text(encoding="utf-8")).get("icons", []))
    files.update(_hashes(site, wanted - later))
    return dict(sorted(files.items())), _hashes(site, later)


def precache_files(site: Path, base_path: str = "/") -> dict[str, str]:
    """What the worker caches as it installs (offline_files)."""
    return offline_files(site, base_path)[0]


def pdf_files(site: Path) -> dict[str, str]:
    """The PDFs (each worksheet in A4 and Letter, blank and fillable, the workbooks), kept only
    on request: every PDF a worksheet page links opens offline once kept."""
    return {p.relative_to(site).as_posix(): sha256(p.read_bytes()) for p in sorted(site.rglob("*.pdf"))}


@dataclass(frozen=True)
class Manifest:
    files: dict[str, str]
    pdfs: dict[str, str]
    pdf_bytes: int
    later: dict[str, str] = field(default_factory=dict)

    @property
    def build(self) -> str:
        """The build's id: changes if and only if a cached file (or PDF) does."""
        text = json.dumps({"files": self.files, "pdfs": self.pdfs, "later": self.later}, sort_keys=True,
                          separators=(",", ":"))
        return sha256(text.encode("utf-8"))[:16]

    def as_json(self) -> str:
        data = {"build": self.build, "files": self.files, "later": self.later, "pdfs": self.pdfs,
                "pdfBytes": self.pdf_bytes, "offlinePage": OFFLINE_PAGE}
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


def manifest(site: Path, base_path: str = "/", cache: Path | None = None) -> Manifest:
    pdfs = pdf_files(site)
    files, later = offline_files(site, base_path, cache)
    return Manifest(files, pdfs, sum((site / p).stat().st_size for p in pdfs), later)


def worker_script(built: Manifest) -> str:
    """publish/sw.js with this build's manifest in place of its marker line."""
    source = (HERE / "sw.js").read_text(encoding="utf-8")
    if source.count(MANIFEST_LINE) != 1:
        raise OfflineError(f"publish/sw.js: expected the line {MANIFEST_LINE} once")
    return source.replace(MANIFEST_LINE, f"const MANIFEST = {built.as_json()};")


def read_manifest(script: str) -> dict:
    """The manifest a written sw.js holds (for tests and the benchmark)."""
    match = re.search(r"^const MANIFEST = (\{.*\});$", script, re.M)
    if not match:
        raise OfflineError("sw.js holds no manifest (written under mkdocs serve?)")
    return json.loads(match.group(1))


HEADERS_BLOCK = "\n/sw.js\n  Cache-Control: no-cache\n"


def add_headers(site: Path) -> None:
    """Static hosts: revalidate the worker on every update check."""
    headers = site / "_headers"
    text = headers.read_text(encoding="utf-8") if headers.is_file() else ""
    if "\n/sw.js\n" not in "\n" + text:
        headers.write_text(text + HEADERS_BLOCK, encoding="utf-8")


# --- the web app manifest and its icons ---------------------------------------------------------

RULE = re.compile(r"([^{}@;]+)\{([^{}]*)\}")
HEX_OR_FUNCTION = re.compile(r"#[0-9a-fA-F]{3,8}|(?:rgb|rgba|hsl|hsla)\([^()]*\)")


def _declarations(rules: list[tuple[list[str], str]], selector: str) -> dict[str, str]:
    """The declarations of every rule (`_rules`) whose selector list holds `selector`, in order,
    later ones winning, as the cascade does for rules of the same specificity."""
    found: dict[str, str] = {}
    for selectors, body in rules:
        if selector in selectors:
            for declaration in body.split(";"):
                name, colon, value = declaration.partition(":")
                if colon:
                    found[name.strip()] = value.strip()
    return found


def _colour(value: str | None, what: str) -> str:
    if not value or not HEX_OR_FUNCTION.fullmatch(value):
        raise OfflineError(f"{what}: expected a colour (#rrggbb), found {value!r}")
    return value


VAR = re.compile(r"var\((--[\w-]+)\)")


def _resolved(declarations: dict[str, str], scope: dict[str, str] | None = None) -> dict[str, str]:
    """`declarations` with each value that is a custom property (`var(--rt-accent)`, as the design
    tokens are used) replaced by that property's value in `scope` (by default the same
    declarations), followed a few steps."""
    scope = {**(scope or {}), **declarations}
    resolved = {}
    for name, value in declarations.items():
        for _ in range(5):
            found = VAR.fullmatch(value)
            if not found or found.group(1) not in scope:
                break
            value = scope[found.group(1)]
        resolved[name] = value
    return resolved


def theme_colours(css: str) -> dict[str, str]:
    """The header's colour in the light and dark schemes (the browser's toolbar takes it) and
    the light page background (an installed app's splash screen), from the site's stylesheet."""
    rules = [([s.strip().replace('"', "") for s in selectors.split(",")], body) for selectors, body in RULE.findall(css)]
    light = _resolved({**_declarations(rules, ":root"), **_declarations(rules, "[data-md-color-scheme=default]")})
    dark = _resolved({**light, **_declarations(rules, "[data-md-color-scheme=slate]")})
    dark_header = _resolved(_declarations(rules, "[data-md-color-scheme=slate] .md-header"), dark)
    return {
        "light": _colour(light.get("--md-primary-fg-color"), "--md-primary-fg-color (light scheme)"),
        "dark": _colour(dark_header.get("background-color") or dark.get("--md-primary-fg-color"),
                        "the header's background (dark scheme)"),
        "background": _colour(light.get("--md-default-bg-color", "#ffffff"), "--md-default-bg-color (light scheme)"),
    }


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
COMMAND = re.compile(r"[MmLlHhVvCcSsZz]|" + NUMBER.pattern)
ARGUMENTS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Z": 0}


def path_polygons(d: str, steps: int = 24) -> list[list[tuple[float, float]]]:
    """An SVG path's outlines as polygons (curves flattened): M, L, H, V, C, S and Z, absolute or
    relative, which is what icon paths like Material's are made of. Others raise OfflineError."""
    tokens = COMMAND.findall(d)
    if "".join(tokens).replace(" ", "") != re.sub(r"[\s,]", "", d):
        raise OfflineError(f"SVG path: only M L H V C S Z are drawn: {d[:60]}")
    polygons: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    x = y = 0.0
    control: tuple[float, float] | None = None
    command = ""
    index = 0
    while index < len(tokens):
        if not NUMBER.fullmatch(tokens[index]):
            command = tokens[index]
            index += 1
        if not command:
            raise OfflineError("SVG path: a number before any command")
        upper, relative = command.upper(), command.islower()
        count = ARGUMENTS[upper]
        args = [float(t) for t in tokens[index:index + count]]
        index += count
        if len(args) < count:
            raise OfflineError(f"SVG path: {command} needs {count} numbers")
        dx, dy = (x, y) if relative else (0.0, 0.0)
        if upper == "Z":
            if current:
                polygons.append(current)
                x, y = current[0]
            current, control = [], None
            continue
        if upper == "M":
            if current:
                polygons.append(current)
            x, y = args[0] + dx, args[1] + dy
            current, control = [(x, y)], None
            command = "l" if relative else "L"  # numbers after a moveto are linetos
            continue
        if upper in ("L", "H", "V"):
            if upper == "L":
                x, y = args[0] + dx, args[1] + dy
            elif upper == "H":
                x = args[0] + (dx if relative else 0.0)
            else:
                y = args[0] + (dy if relative else 0.0)
            current.append((x, y))
            control = None
            continue
        if upper == "S":
            first = (2 * x - control[0], 2 * y - control[1]) if control else (x, y)
            points = [first, (args[0] + dx, args[1] + dy), (args[2] + dx, args[3] + dy)]
        else:
            points = [(args[i] + dx, args[i + 1] + dy) for i in (0, 2, 4)]
        (x1, y1), (x2, y2), (x3, y3) = points
        for step in range(1, steps + 1):
            t = step / steps
            u = 1 - t
            current.append((u**3 * x + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                            u**3 * y + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3))
        x, y, control = x3, y3, (x2, y2)
    if current:
        polygons.append(current)
    return polygons


def svg_shape(svg: str) -> tuple[tuple[float, float, float, float], list[list[tuple[float, float]]]]:
    """The viewBox and the outlines of every path of a one-colour SVG icon."""
    box = re.search(r'viewBox="([^"]+)"', svg)
    paths = re.findall(r'<path[^>]*\sd="([^"]+)"', svg)
    if not box or not paths:
        raise OfflineError("the favicon SVG needs a viewBox and at least one <path d=...>")
    x, y, width, height = (float(n) for n in NUMBER.findall(box.group(1)))
    return (x, y, width, height), [polygon for d in paths for polygon in path_polygons(d)]


def icon(svg: str, size: int, background: str, foreground: str = FOREGROUND, *,
         share: float = 0.62, rounded: bool = False) -> Image.Image:
    """A square icon: the SVG's shape in `foreground`, `share` of the width, centred on
    `background` (full-bleed, or a rounded square with transparent corners). Drawn four times
    larger and scaled down, for smooth edges."""
    from PIL import Image, ImageChops, ImageDraw  # only when an icon is drawn (not cached): 9 ms

    scale = 4
    big = size * scale
    (left, top, width, height), polygons = svg_shape(svg)
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(big * 0.22), fill=background)
    else:
        draw.rectangle((0, 0, big, big), fill=background)
    unit = big * share / max(width, height)
    offset_x = (big - width * unit) / 2 - left * unit
    offset_y = (big - height * unit) / 2 - top * unit
    # The shape is filled even-odd, like SVG's default for these one-outline icons.
    mask = Image.new("1", (big, big), 0)
    for polygon in polygons:
        layer = Image.new("1", (big, big), 0)
        ImageDraw.Draw(layer).polygon([(offset_x + px * unit, offset_y + py * unit) for px, py in polygon], fill=1)
        mask = ImageChops.logical_xor(mask, layer)
    image.paste(Image.new("RGBA", (big, big), foreground), (0, 0), mask)
    return image.resize((size, size), Image.Resampling.LANCZOS)


# An icon is two colours and their anti-aliased edges: as a 64-colour palette PNG it keeps
# smooth edges at a quarter of the bytes (Chrome fetches the 192 px icon on a first visit, to
# see whether the site can be installed). The palette's entries close to the two colours, or
# to fully opaque or transparent, are made exactly those, so solid areas keep their colour.
ICON_COLOURS = 64
SNAP = 6  # sum of the channels' differences


def palette_png(image: Image.Image, path: Path, colours: tuple[str, ...]) -> None:
    from PIL import Image, ImageColor

    exact = [ImageColor.getrgb(colour)[:3] for colour in colours]
    method = Image.Quantize.FASTOCTREE if image.mode == "RGBA" else Image.Quantize.MEDIANCUT
    palette_image = image.quantize(ICON_COLOURS, method=method)
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    width = len(mode)
    palette = palette_image.getpalette(mode) or []
    snapped: list[int] = []
    for start in range(0, len(palette), width):
        entry = palette[start:start + width]
        rgb = next((c for c in exact if sum(abs(a - b) for a, b in zip(c, entry[:3], strict=True)) <= SNAP), tuple(entry[:3]))
        snapped += list(rgb)
        if mode == "RGBA":
            alpha = entry[3]
            snapped.append(255 if alpha >= 255 - SNAP else 0 if alpha <= SNAP else alpha)
    palette_image.putpalette(snapped, mode)
    palette_image.save(path, optimize=True)


def write_icons(site: Path, svg: str, background: str, cache: Path | None = None) -> list[dict[str, str]]:
    """The manifest's icons (and iOS's home screen icon) in assets/images/; returns the
    manifest's `icons` entries. `cache`: a folder where drawn icons are kept between builds, by
    a hash of the favicon, the colour and this module's code (drawing them takes a fifth of a
    second, at every save under `make dev`)."""
    folder = site / ICONS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = [name for name, _, _ in ICONS] + [APPLE_TOUCH_ICON[0]]
    key = sha256("\0".join([svg, background, FOREGROUND, Path(__file__).read_text(encoding="utf-8")]).encode("utf-8"))
    kept = cache / "icons" / key if cache else None
    if kept and all((kept / name).is_file() for name in names):
        for name in names:
            shutil.copyfile(kept / name, folder / name)
    else:
        for name, size, purpose in ICONS:
            maskable = purpose == "maskable"
            # Maskable: launchers crop to a circle of 80% of the width, so the shape stays well inside.
            drawn = icon(svg, size, background, share=0.5 if maskable else 0.62, rounded=not maskable)
            palette_png(drawn, folder / name, (background, FOREGROUND))
        name, size = APPLE_TOUCH_ICON
        palette_png(icon(svg, size, background, share=0.6).convert("RGB"), folder / name, (background, FOREGROUND))
        if kept:
            _keep_icons(folder, names, kept)
    return [{"src": f"{ICONS_FOLDER}/{name}", "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
            for name, size, purpose in ICONS]


def _keep_icons(folder: Path, names: list[str], kept: Path) -> None:
    """Into the cache, whole or not at all (a folder renamed into place); old keys removed."""
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=kept.parent, prefix=".partial-"))
        for name in names:
            shutil.copyfile(folder / name, partial / name)
        for old in kept.parent.iterdir():
            if old.is_dir() and not old.name.startswith(".") and old != kept:
                shutil.rmtree(old, ignore_errors=True)
        os.replace(partial, kept)
    except OSError:
        pass  # only a cache: the next build draws them again


def web_manifest(name: str, short_name: str, description: str, colours: dict[str, str],
                 icons: list[dict[str, str]]) -> dict:
    """The web app manifest; URLs relative to it, at the site's base, so the site can live under
    any path."""
    return {
        "id": "./",
        "name": name,
        "short_name": short_name,
        "description": description,
        "lang": "en",
        "dir": "ltr",
        "start_url": "./",
        "scope": "./",
        "display": "standalone",
        "background_color": colours["background"],
        "theme_color": colours["light"],
        "icons": icons,
    }


# --- the build step ---------------------------------------------------------------------------


def base_path_of(site_url: str | None) -> str:
    path = urlsplit(site_url or "/").path or "/"
    return path if path.endswith("/") else path + "/"


def write(site: Path, *, name: str, short_name: str, description: str, colours: dict[str, str],
          favicon_svg: str, site_url: str | None = None, serve: bool = False,
          cache: Path | None = None) -> Manifest | None:
    """Write the icons, the web app manifest and the worker into the built `site`; returns the
    worker's manifest (None under `mkdocs serve`, where the worker only removes itself).
    `cache`: a folder for what is kept between builds (icons, what each page loads)."""
    icons = write_icons(site, favicon_svg, colours["light"], cache)
    document = web_manifest(name, short_name, description, colours, icons)
    (site / WEB_MANIFEST).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if serve:
        (site / WORKER).write_text((HERE / "sw-serve.js").read_text(encoding="utf-8"), encoding="utf-8")
        return None
    built = manifest(site, base_path_of(site_url), cache)
    (site / WORKER).write_text(worker_script(built), encoding="utf-8")
    add_headers(site)
    return built


def cached_paths(built: dict, what: str = "files") -> Iterable[str]:
    """The site files behind a written manifest's URLs (`files` or `pdfs`)."""
    return (site_file(url) for url in built[what])
