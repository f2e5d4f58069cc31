"""MkDocs hook: the brand, from mkdocs.yml only (macros/brand.py checks it).

The course's name is `site_name`, written once: MkDocs requires that key before any hook runs,
so it is the one place, and `extra.brand.name` is filled in from it here (a different
`extra.brand.name` fails the build, naming both). Checked when the build starts, before the
plugins read `extra`: the name, `extra.brand` (tagline, app_name, optional short_name and slug)
and the landing page's `extra.landing.title` and `description`. Then:

- `config.extra.brand` holds the checked values, `slug` included, for the templates, the PDFs
  (hooks/pdf.py), the link-preview images and the web app manifest (hooks/publish.py) and the
  journal (its export's heading and file names).
- `config.site_name` and `config.site_description` (by default the tagline) hold the escaped
  text: Material's templates print them without escaping (`<title>`, the header's logo label,
  the meta description), and `| e` leaves escaped text as it is.
- The landing page's `<title>`, description and so `og:title` come from `extra.landing`: its
  front matter holds none (docs/index.md); set here, they win over any it held.
"""

from __future__ import annotations

import sys
from pathlib import Path

from markupsafe import Markup, escape
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from macros.brand import BrandError, brand_settings, landing_settings  # noqa: E402

_landing: dict[str, str | None] = {}


@event_priority(100)  # before the plugins: mkdocs-macros reads `extra` when it starts
def on_config(config):
    global _landing
    try:
        brand = brand_settings(config.site_name, config.extra)
        _landing = landing_settings(config.extra, brand)
    except BrandError as error:
        raise PluginError(str(error)) from None
    config.extra["brand"] = brand
    config.site_name = Markup(escape(brand["name"]))
    config.site_description = Markup(escape(config.site_description or brand["tagline"]))
    return config


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.is_homepage:
        if _landing.get("title"):
            page.meta["title"] = Markup(escape(_landing["title"]))
        if _landing.get("description"):
            page.meta["description"] = Markup(escape(_landing["description"]))
    return markdown
