"""Fingerprinted assets: one stylesheet for the screen, and content-hashed names for our files.

The screen needs Material's main and palette stylesheets and ours. As five files they cost a
phone on a slow network one connection each before the first paint; joined into one file they
cost one request, which the browser can send on the page's own connection. The joined file and
each of our scripts and print rules are named after a hash of their content (`rt.1a2b3c4d.min.css`,
`navigation.5e6f7a8b.js`), so the server caches them for a year and a change gets a new name.

ES modules are loaded as they are, without a bundler. A script is a module when mkdocs.yml says
so (`- path: assets/js/journal/main.js` with `type: module`), and so is every file it imports.
A module's static imports (`import … from "./store.js"`, `import "./x.js"`, `export … from
"./x.js"`, each starting a line) must be relative and name a file; they are rewritten to the
hashed names (`"./store.1a2b3c4d.js"`), the imported files first, so a module's hash covers the
names of what it imports: a change in store.js renames every module that imports it, directly
or not. A bare or absolute specifier, a missing file, a cycle or a dynamic `import("…")` of a
file is refused (ValueError naming the file). The page preloads every module of the graph
(overrides/main.html), so the browser fetches them at once, not one import after another.

Our scripts and stylesheets are shipped minified (comments and spacing removed, names kept:
rjsmin and rcssmin, small well-kept libraries that only remove what the language ignores), the
joined stylesheet too: for readers on a weak connection they were about a third comments. The
readable sources are the ones in overrides/; the hash is of the shipped bytes.

Plain Python over the theme's folders; sitebuild/plugin.py wires it into MkDocs.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections.abc import Collection, Container, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import rcssmin
import rjsmin

from publish import cachefiles, stamp

# The stylesheets Material's base.html links, e.g. 'assets/stylesheets/main.57a0d79d.min.css'
MATERIAL_STYLESHEET = re.compile(r"'(assets/stylesheets/(?:main|palette)\.[0-9a-f]+\.min\.css)'")
# The script Material's base.html loads, e.g. 'assets/javascripts/bundle.a5f9d56c.min.js'
MATERIAL_BUNDLE = re.compile(r"'(assets/javascripts/bundle\.[0-9a-f]+\.min\.js)'")
SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/")
CHARSET = re.compile(r'@charset\s+"[^"]*";')
# url(...) that is not a data: URL would point somewhere else once the file moves.
RELATIVE_URL = re.compile(r"""url\(\s*(?!['"]?data:)([^)]*)\)""")
JOINED_STYLESHEET = "assets/stylesheets/rt.{hash}.min.css"
# A module's static import or re-export, at the start of a line: `import { a } from "./a.js"`,
# `import * as b from './b.js'`, `import "./c.js"`, `export { d } from "./d.js"`. Group 1 is
# everything before the quoted specifier (group 3). Lines in comments start with `*` or `//`.
STATIC_IMPORT = re.compile(r"""^([ \t]*(?:import|export)\b(?:[^;"'`()]*?\bfrom)?\s*)(["'])([^"'\n]*)\2""", re.M)
# `import("./x.js")`: a file loaded on demand would keep its unhashed name, which is not served.
DYNAMIC_IMPORT = re.compile(r"""\bimport\s*\(\s*(["'`])([^"'`]*)\1""")
# Rules of Material's left out of the joined file, each for a reason:
# - Material's palette sets [data-md-color-switching] on <body> when every page starts (and on
#   each switch), reads a computed style, and removes it a frame later. This rule, which stops
#   transitions while the colours change, makes each of those a restyle of every element on
#   the page inside the script's start-up task, the longest task a page has. Without it the
#   colours of links and buttons fade for a tenth of a second when the reader switches.
#   tests/test_publish.py checks Material's file still has the rule, so an upgrade that renames
#   it is noticed.
DROPPED_RULES = (
    "[data-md-color-switching] *,[data-md-color-switching] :after,[data-md-color-switching] :before"
    "{transition-duration:0s!important}",
)


def find(path: str, folders: list[Path]) -> Path:
    """The first of `folders` (docs, then the theme's own before Material's) that has `path`."""
    for folder in folders:
        if (folder / path).is_file():
            return folder / path
    raise FileNotFoundError(f"{path}: not found in any of {', '.join(str(f) for f in folders)}")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def minified(path: str, data: bytes) -> bytes:
    """A script or stylesheet without comments and spacing (names and strings kept); any other
    file as it is."""
    if path.endswith(".js"):
        return rjsmin.jsmin(data.decode("utf-8")).encode("utf-8")
    if path.endswith(".css"):
        return rcssmin.cssmin(data.decode("utf-8")).encode("utf-8")
    return data


def fingerprinted(path: str, data: bytes) -> str:
    """assets/js/navigation.js -> assets/js/navigation.<hash of data>.js"""
    stem, dot, suffix = path.rpartition(".")
    return f"{stem}.{digest(data)}.{suffix}" if dot else f"{path}.{digest(data)}"


def material_stylesheets(folders: list[Path], palette: bool) -> list[str]:
    """The stylesheets Material's base.html links, in its order (the palette's only if used)."""
    base = find("base.html", folders).read_text(encoding="utf-8")
    paths = MATERIAL_STYLESHEET.findall(base)
    if not any("/main." in p for p in paths):
        raise ValueError("base.html: no assets/stylesheets/main.*.min.css link found (has Material changed?)")
    return [p for p in dict.fromkeys(paths) if palette or "/palette." not in p]


def material_bundle(folders: list[Path]) -> str:
    """The script Material's base.html loads (its name carries Material's own hash)."""
    found = MATERIAL_BUNDLE.findall(find("base.html", folders).read_text(encoding="utf-8"))
    if not found:
        raise ValueError("base.html: no assets/javascripts/bundle.*.min.js script found (has Material changed?)")
    return found[0]


# Material's palette stylesheet colours the header and links for each of its named colours
# (`[data-md-color-primary=indigo]`…): a rule per colour, for colours the site does not use.
PALETTE_ATTRIBUTE = re.compile(r"""\[data-md-color-(?:primary|accent)=["']?([\w-]+)["']?\]""")


def without_unused_colours(css: str, used: Collection[str]) -> str:
    """The stylesheet without the selectors that name a primary or accent colour not in `used`
    (a rule left with none goes); every other rule as it was."""
    import tinycss2

    def selectors(prelude: list) -> list[list]:
        groups: list[list] = [[]]
        for token in prelude:
            if token.type == "literal" and token.value == ",":
                groups.append([])
            else:
                groups[-1].append(token)
        return groups

    def walk(rules: list) -> str:
        out = []
        for rule in rules:
            if rule.type == "qualified-rule" and PALETTE_ATTRIBUTE.search(tinycss2.serialize(rule.prelude)):
                kept = [group for group in selectors(rule.prelude)
                        if all(colour in used for colour in PALETTE_ATTRIBUTE.findall(tinycss2.serialize(group)))]
                if kept:
                    out.append(",".join(tinycss2.serialize(group).strip() for group in kept)
                               + "{" + tinycss2.serialize(rule.content) + "}")
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content is not None:
                inner = walk(tinycss2.parse_rule_list(rule.content))
                if inner.strip():
                    out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
            else:
                out.append(tinycss2.serialize([rule]))
        return "".join(out)

    return walk(tinycss2.parse_stylesheet(css))


# Where a class name can come from in a built site: a class attribute (pages, templates inside
# them, HTML strings in the search index), or a name in a script (Material's bundle and ours:
# `classList.add("md-x")`, `el("p", {"class": "rt-x"})`). A script that builds a class from a
# prefix (`"rt-drawer-tools__" + name`) names the prefix: a name ending in "-" or "_" keeps
# every class it begins.
CLASS_ATTRIBUTE = re.compile(r"""(?<![\w-])class\s*=\s*(?:"([^"]*)"|'([^']*)')""")
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
NAME = re.compile(r"[A-Za-z_][\w-]*")
SELECTOR_CLASS = re.compile(r"\.(-?[A-Za-z_][\w-]*)")
# The argument of a functional pseudo-class (`:not(.x)`, `:is(.a, .b)`), nested once: a class
# there need not be on the element for the rule to apply, so it is not read.
PSEUDO_ARGUMENT = re.compile(r"\((?:[^()]|\([^()]*\))*\)")


@dataclass(frozen=True)
class ClassNames:
    """The class names a built site can put on an element (`class_names_in`)."""

    names: frozenset[str]
    prefixes: tuple[str, ...]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self.names or name.startswith(self.prefixes))


CLASS_SOURCES = (".html", ".js", ".mjs", ".json")
SHRINK_KEEP = 20  # smaller stylesheets kept: builds for other addresses share the cache


def class_names_in(site: Path, skip: Collection[Path] = ()) -> ClassNames:
    """Every class name the pages (`.html`), scripts (`.js`, `.mjs`) and data files (`.json`)
    of `site` can set, but for the files in `skip`."""
    names: set[str] = set()
    skipped = {path.resolve() for path in skip}
    for path in sorted(site.rglob("*")):
        if path.suffix not in CLASS_SOURCES or not path.is_file() or path.resolve() in skipped:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            for groups in CLASS_ATTRIBUTE.findall(text):
                names.update("".join(groups).split())
            for script in INLINE_SCRIPT.findall(text):
                names.update(NAME.findall(script))
        else:
            names.update(NAME.findall(text))
    prefixes = tuple(sorted(name for name in names if name.endswith(("-", "_"))))
    return ClassNames(frozenset(names), prefixes)


def without_unused_rules(css: str, used: Container[str]) -> str:
    """The stylesheet without the selectors that need a class not in `used` (a rule left with
    none goes, and so does an @media or @supports block left empty); everything else exactly as
    it was written (cut from the text, never written out again by the parser, which would
    change how a custom property's value reads). Material's stylesheet styles every feature it
    has (content tabs, the blog, the cookie consent, the version selector…): a quarter of the
    joined sheet's bytes are for elements this site never makes."""
    import tinycss2

    lines = [0]
    for index, char in enumerate(css):
        if char == "\n":
            lines.append(index + 1)

    def offset(node: Any) -> int:  # a tinycss2 node: where it starts in `css`
        return lines[node.source_line - 1] + node.source_column - 1

    def needed(selector: str) -> bool:
        return all(name in used for name in SELECTOR_CLASS.findall(PSEUDO_ARGUMENT.sub("()", selector)))

    def walk(nodes: list, end: int) -> str:
        out = []
        for index, node in enumerate(nodes):
            if node.type in ("whitespace", "comment"):
                continue
            start = offset(node)
            stop = offset(nodes[index + 1]) if index + 1 < len(nodes) else end
            text = css[start:stop]
            if node.type == "qualified-rule":
                brace = block_start(text)
                parts = split_selectors(text[:brace])
                kept = [part.strip() for part in parts if needed(part)]
                if len(kept) == len(parts):
                    out.append(text)
                elif kept:
                    out.append(",".join(kept) + text[brace:])
            elif node.type == "at-rule" and node.lower_at_keyword in ("media", "supports") and node.content is not None:
                brace, close = block_start(text), text.rindex("}")
                inner = walk(tinycss2.parse_rule_list(node.content), start + close)
                if inner.strip():
                    out.append(text[:brace + 1] + inner + text[close:])
            else:
                out.append(text)
        return "".join(out)

    return walk(tinycss2.parse_stylesheet(css), len(css))


def block_start(rule: str) -> int:
    """Where a rule's `{` block starts (not a `{` in a quoted attribute value)."""
    quote = ""
    for index, char in enumerate(rule):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "{":
            return index
    raise ValueError(f"no block in {rule[:80]!r}")


def split_selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas (not those inside `:is(…)` or `[a=","]`)."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(prelude):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(prelude[start:index])
            start = index + 1
    parts.append(prelude[start:])
    return parts


def shrink_stylesheet(site: Path, name: str, cache: Path | None = None) -> str:
    """Leave out of the built site's joined stylesheet `name` (JOINED_STYLESHEET) the rules no
    page, script or data file of the site can use, and name the smaller file by its own hash;
    every page that links the old name links the new one. Returns the new name.

    Done once the pages are final (the steps after it only read them), because only then is it
    known which classes the site uses; a page that starts using a class gets a stylesheet with
    its rules under a new name, so no browser keeps an old copy. With `cache` (a folder), the
    smaller sheet is kept under a key of the sheet's bytes, every file the classes are read
    from and the code (publish/stamp.py): a build that changed none of them reads it back."""
    old = site / name
    css = old.read_bytes()
    sources = [path for path in sorted(site.rglob("*")) if path.suffix in CLASS_SOURCES and path.is_file()
               and path != old]
    key = hashlib.sha256(shrink_stamp().encode() + b"\0" + css)
    for path in sources:
        key.update(b"\0" + path.relative_to(site).as_posix().encode() + b"\0" + path.read_bytes())
    entry = cache / f"{key.hexdigest()}.css" if cache else None
    if entry and entry.is_file():
        data = entry.read_bytes()
        entry.touch()  # recently used: kept by prune()
    else:
        used = class_names_in(site, skip=[old])
        data = minified(JOINED_STYLESHEET, without_unused_rules(css.decode("utf-8"), used).encode("utf-8"))
        if cache and entry:
            cache.mkdir(parents=True, exist_ok=True)
            partial = entry.with_name(f".{entry.name}.{os.getpid()}")
            partial.write_bytes(data)
            os.replace(partial, entry)  # whole or not at all: builds may run at the same time
            cachefiles.prune(cache, SHRINK_KEEP, 14, ".css")
    new = JOINED_STYLESHEET.format(hash=digest(data))
    if new == name:
        return name
    (site / new).write_bytes(data)
    old.unlink()
    old_file, new_file = posixpath.basename(name), posixpath.basename(new)
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if old_file in text:
            page.write_text(text.replace(old_file, new_file), encoding="utf-8")
    return new


def shrink_stamp() -> str:
    """What made a smaller stylesheet: this module and the CSS libraries' versions."""
    return stamp.stamp(stamp.of_files(Path(__file__)), stamp.of_versions("tinycss2", "rcssmin"))


def join_css(parts: list[tuple[str, str]]) -> str:
    """One stylesheet from (name, text) parts, in order; refuses relative url() references."""
    out = []
    for name, text in parts:
        bad = RELATIVE_URL.findall(text)
        if bad:
            raise ValueError(f"{name}: url({bad[0]}) would break once joined; use a data: URL or a full path")
        text = CHARSET.sub("", SOURCE_MAP.sub("", text)).strip()
        for rule in DROPPED_RULES:
            text = text.replace(rule, "")
        out.append(f"/* {name} */\n{text}\n")
    return '@charset "UTF-8";\n' + "".join(out)


@dataclass(frozen=True)
class Script:
    """A script a page runs, under its hashed name. For a module, `imports` are the hashed names
    of every module it imports, directly or not, the imported first: the page preloads them."""

    src: str
    module: bool = False
    imports: tuple[str, ...] = ()
    bundle: bool = False  # Material's bundle: the page is "ready" for it once it has run
    later: bool = False  # waits for the reader's first interaction (overrides/main.html)


@dataclass
class Assets:
    """What the templates link, and the files the build must write for them."""

    folders: list[Path]
    stylesheet: str = ""
    scripts: list[Script] = field(default_factory=list)  # in the order they must run, Material's first
    files: dict[str, bytes] = field(default_factory=dict)  # output path -> content
    replaced: set[str] = field(default_factory=set)  # source paths now served under a hashed name
    names: dict[str, str] = field(default_factory=dict)  # source path -> fingerprinted path
    imports: dict[str, list[str]] = field(default_factory=dict)  # module's source path -> the source paths it imports

    def asset(self, path: str) -> str:
        """The fingerprinted path of one of our files (for templates: `asset('assets/js/x.js')`);
        read once per build, however many pages link it."""
        if path not in self.names:
            data = minified(path, find(path, self.folders).read_bytes())
            self.names[path] = fingerprinted(path, data)
            self.files[self.names[path]] = data
            self.replaced.add(path)
        return self.names[path]

    def module(self, path: str, _importers: tuple[str, ...] = ()) -> str:
        """The fingerprinted path of an ES module, its imports rewritten to their own
        fingerprinted paths (which are made first); read once per build. `_importers`: the
        modules on the way here, to refuse a cycle."""
        if path in self.imports:
            return self.names[path]
        text = find(path, self.folders).read_text(encoding="utf-8")
        dynamic = DYNAMIC_IMPORT.search(text)
        if dynamic and dynamic.group(2).startswith((".", "/")):
            raise ValueError(f"{path}: import({dynamic.group(1)}{dynamic.group(2)}{dynamic.group(1)}) would keep an "
                             "unhashed name, which is not served; use a static import")
        chain = (*_importers, path)
        imported: list[str] = []

        def rewrite(match: re.Match[str]) -> str:
            before, quote, specifier = match.groups()
            if not specifier.startswith(("./", "../")):
                raise ValueError(f'{path}: import "{specifier}" is not relative (./ or ../): '
                                 "modules are loaded without a bundler")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
            if target.startswith("../") or not any((folder / target).is_file() for folder in self.folders):
                raise ValueError(f'{path}: import "{specifier}": {target} is not found')
            if target in chain:
                circle = " → ".join(posixpath.basename(p) for p in (*chain[chain.index(target):], target))
                raise ValueError(f'{path}: import "{specifier}" makes a cycle ({circle}); '
                                 "modules must not import each other in a circle")
            hashed = self.module(target, chain)
            imported.append(target)
            return before + quote + posixpath.join(posixpath.dirname(specifier), posixpath.basename(hashed)) + quote

        data = minified(path, STATIC_IMPORT.sub(rewrite, text).encode("utf-8"))
        self.names[path] = fingerprinted(path, data)
        self.files[self.names[path]] = data
        self.replaced.add(path)
        self.imports[path] = imported
        return self.names[path]

    def graph(self, path: str) -> list[str]:
        """The source paths of every module `path` imports, directly or not, each after the
        modules it imports (once `module(path)` has run)."""
        order: list[str] = []

        def visit(current: str) -> None:
            for dependency in self.imports[current]:
                if dependency not in order:
                    visit(dependency)
                    order.append(dependency)

        visit(path)
        return order

    def script(self, path: str, module: bool = False) -> Script:
        """One of `extra_javascript` as the pages load it."""
        if not module:
            return Script(self.asset(path))
        return Script(self.module(path), True, tuple(self.names[p] for p in self.graph(path)))

    def write(self, site: Path) -> list[str]:
        """Write the fingerprinted files into the built site and drop the unhashed copies."""
        for name, data in self.files.items():
            target = site / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for path in self.replaced:
            (site / path).unlink(missing_ok=True)
        return sorted(self.files)


def build(folders: list[Path], extra_css: list[str], palette: bool, extra_javascript: Sequence[str] = (),
          modules: Collection[str] = (), before_bundle: Collection[str] = (), later: Collection[str] = (),
          colours: Collection[str] | None = None) -> Assets:
    """Join Material's stylesheets and `extra_css` (found in `folders`) into one named file;
    list the scripts to run under hashed names: those of `extra_javascript` in `before_bundle`
    (they change what the bundle does as it starts), Material's bundle, then the rest of
    `extra_javascript` (those in `modules` as ES modules, with every module they import; those
    in `later` marked to wait for the reader's first interaction). With `colours` (the primary
    and accent colours the palette uses), the rules for Material's other colours are left out."""
    for names, what in ((before_bundle, "to run before Material's bundle"), (later, "to wait for the reader")):
        missing = sorted(set(names) - set(extra_javascript))
        if missing:
            raise ValueError(f"{', '.join(missing)}: {what}, list it in mkdocs.yml's extra_javascript")
    if set(before_bundle) & set(later):
        raise ValueError(f"{', '.join(sorted(set(before_bundle) & set(later)))}: cannot both run before the bundle and wait")
    assets = Assets(folders)
    first = [assets.script(path) for path in extra_javascript if path in before_bundle]
    rest = [replace(assets.script(path, path in modules), later=path in later)
            for path in extra_javascript if path not in before_bundle]
    assets.scripts = [*first, Script(material_bundle(folders), bundle=True), *rest]
    sources = material_stylesheets(folders, palette) + list(extra_css)
    parts = [(path, find(path, folders).read_text(encoding="utf-8")) for path in sources]
    if colours is not None:  # Material's palette stylesheet (parsed only where the rules are)
        parts = [(path, without_unused_colours(text, colours) if PALETTE_ATTRIBUTE.search(text) else text)
                 for path, text in parts]
    text = join_css(parts)
    data = minified(JOINED_STYLESHEET, text.encode("utf-8"))
    assets.stylesheet = JOINED_STYLESHEET.format(hash=digest(data))
    assets.files[assets.stylesheet] = data
    assets.replaced.update(extra_css)
    return assets

