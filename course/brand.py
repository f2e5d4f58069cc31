"""The brand: the course's name, written once in mkdocs.yml, and what the build makes from it.

The name is mkdocs.yml's `site_name`. MkDocs requires that key and checks it before any hook
runs, so it cannot be derived from `extra`; it is the one place instead, and `extra.brand`
holds the rest: `tagline`, `app_name`, and optionally `short_name` (an installed app's label)
and `slug` (the start of file names: the workbook PDFs, the journal's exports), which is made
from the name when not given. `extra.landing.title` and `description` are the landing page's
`<title>` and description.

sitebuild/plugin.py checks all of this when a build starts and writes the result back into
`config.extra.brand` (name and slug filled in), which the templates, the PDFs, the link-preview
images, the web app manifest and the journal read. Nothing here knows about MkDocs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

KEYS = ("name", "tagline", "app_name", "short_name", "slug")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
WHERE = "mkdocs.yml"


class BrandError(ValueError):
    """Every problem with the brand's settings, one per line: `mkdocs.yml: field: found; do`."""


def slugify(text: str) -> str:
    """`text` as a file-name slug: ASCII letters and digits, lower case, words joined by
    hyphens ("Rebuilding Trust" gives "rebuilding-trust", "Café Été" "cafe-ete"); empty when
    nothing of it is Latin. The journal's scripts read the build's slug, never make their own."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _line(value: Any) -> str | None:
    """`value` as one line of text, or None when it is not a non-empty string on one line."""
    if not isinstance(value, str) or not value.strip() or re.search(r"[\x00-\x1f\x7f]", value.strip()):
        return None
    return " ".join(value.split())


def brand_settings(site_name: Any, extra: Mapping[str, Any]) -> dict[str, str]:
    """The brand, checked: {name, tagline, app_name, short_name, slug}. Raises BrandError
    listing every problem, each naming the field and what to write."""
    block = extra.get("brand")
    if block is None:
        block = {}
    if not isinstance(block, Mapping):
        raise BrandError(f"{WHERE}: extra.brand: found {block!r}; give a mapping with tagline and app_name")
    problems = [f"{WHERE}: extra.brand.{key}: not a setting of this block; the settings are {', '.join(KEYS[1:])} "
                f"(the course's name is site_name)" for key in block if key not in KEYS]
    name = _line(site_name)
    if name is None:
        problems.append(f"{WHERE}: site_name: found {site_name!r}; give the course's name on one line "
                        "(it is the brand: every page's title, the header, the PDFs)")
    if "name" in block and _line(block["name"]) != name:
        problems.append(f"{WHERE}: extra.brand.name: found {block['name']!r}, but site_name is {site_name!r}; the "
                        "course's name is written once, as site_name at the top of mkdocs.yml: set it there "
                        "and remove extra.brand.name")
    texts: dict[str, str] = {}
    for key, what in (("tagline", "one sentence saying what the course is"),
                      ("app_name", "the name of the app the waitlist is for")):
        value = _line(block.get(key))
        if value is None:
            problems.append(f"{WHERE}: extra.brand.{key}: found {block.get(key)!r}; give {what}, on one line")
        else:
            texts[key] = value
    short_name = block.get("short_name")
    if short_name is not None and _line(short_name) is None:
        problems.append(f"{WHERE}: extra.brand.short_name: found {short_name!r}; give the installed app's label "
                        "on one line, or leave it out to use site_name")
    slug = block.get("slug")
    if slug is not None and not (isinstance(slug, str) and SLUG.fullmatch(slug)):
        problems.append(f"{WHERE}: extra.brand.slug: found {slug!r}; give lower-case letters, digits and single "
                        "hyphens, such as my-course, or leave it out to make it from site_name")
    elif slug is None and name is not None and not slugify(name):
        problems.append(f"{WHERE}: extra.brand.slug: missing, and site_name {name!r} has no Latin letter or digit "
                        "to make file names from; give one, such as my-course")
    if problems:
        raise BrandError("\n".join(problems))
    assert name is not None
    return {
        "name": name,
        "tagline": texts["tagline"],
        "app_name": texts["app_name"],
        "short_name": _line(short_name) or name,
        "slug": slug or slugify(name),
    }


def landing_settings(extra: Mapping[str, Any], brand: Mapping[str, str]) -> dict[str, str | None]:
    """The landing page's `<title>` (None: the course's name alone) and description (by default
    the tagline), from `extra.landing.title` and `description`."""
    landing = extra.get("landing")
    landing = landing if isinstance(landing, Mapping) else {}
    problems = []
    result: dict[str, str | None] = {}
    for key, default in (("title", None), ("description", brand["tagline"])):
        value = landing.get(key)
        if value is not None and _line(value) is None:
            problems.append(f"{WHERE}: extra.landing.{key}: found {value!r}; give one line of text, or leave it out")
        result[key] = _line(value) or default
    if problems:
        raise BrandError("\n".join(problems))
    return result
