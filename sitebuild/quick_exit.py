"""The "Leave this site" control's settings (`extra.quick_exit` in mkdocs.yml),
checked when the build starts.

The header (overrides/partials/header.html) links to `url` under the words `label`, and
assets/js/navigation.js leaves for it with `location.replace`. A mistake here would leave a
reader who needs to get off the page in a hurry on a broken or unsafe link, so the build
fails, naming the field: a missing or empty `url`, one that is not `https://`, one holding a
user name or password, an empty or overlong label, or a key this block does not know.
Without the block, the defaults below are used. The checked values are written back into
`config.extra.quick_exit`, which is what the templates read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULTS = {"url": "https://www.bbc.com/weather", "label": "Leave this site"}
# The header has room for about this much at 320 CSS px (two short lines).
MAX_LABEL = 24
FIELD = "extra.quick_exit"


class QuickExitError(ValueError):
    """Every problem with the block, one per line: `mkdocs.yml:line: field: found; do`."""


def check(block: Any, where: str | Callable[[str | None], str] = "mkdocs.yml") -> dict[str, str]:
    """The block's url and label, or QuickExitError listing every problem. `where` is the
    file (and line) the problems are reported at, or gives it for a key of the block (None:
    the block itself)."""
    at = where if callable(where) else (lambda key: where)
    if block is None:
        return dict(DEFAULTS)
    if not isinstance(block, Mapping):
        raise QuickExitError(f"{at(None)}: {FIELD}: found {_shown(block)}; give a mapping with `url` "
                             f"(an https:// address) and `label`, or leave the block out for the defaults")
    problems = []
    for key in block:
        if key not in DEFAULTS:
            problems.append((key, f"{FIELD}.{key}: not a setting of this block; the settings are `url` and `label`"))
    url = block.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append(("url" if url is not None else None,
                         f"{FIELD}.url: {'missing' if url is None else 'found ' + _shown(url)}; give the https:// "
                         f"address of a neutral page, such as {DEFAULTS['url']}"))
    else:
        problem = _url_problem(url)
        if problem:
            problems.append(("url", f"{FIELD}.url: found {_shown(url)}, {problem}; give the https:// address of a "
                                    f"neutral page, such as {DEFAULTS['url']}"))
    label = block.get("label", DEFAULTS["label"])
    if not isinstance(label, str) or not label.strip():
        problems.append(("label", f"{FIELD}.label: found {_shown(label)}; give the button's words, such as "
                                  f"\"{DEFAULTS['label']}\""))
    elif len(label.strip()) > MAX_LABEL or re.search(r"[\x00-\x1f\x7f]", label):
        problems.append(("label", f"{FIELD}.label: found {_shown(label)}; give the words on one line, at most "
                                  f"{MAX_LABEL} characters (the header has no room for more on a phone)"))
    if problems:
        raise QuickExitError("\n".join(f"{at(key)}: {problem}" for key, problem in problems))
    assert isinstance(url, str)  # checked above: no problem, so text
    return {"url": url.strip(), "label": " ".join(label.split())}


def _url_problem(url: str) -> str | None:
    url = url.strip()
    if re.search(r"[\s\x00-\x1f\x7f<>\"'`\\]", url):
        return "which holds a space, a quote or another character an address cannot"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError:
        return "which is not an address"
    if parts.scheme != "https":
        return "which is not an https:// address (a reader leaving in a hurry must not land on a page anyone on the network can change)"
    if not parts.hostname or "." not in parts.hostname:
        return "which names no site"
    if parts.username is not None or parts.password is not None:
        return "which holds a user name or password"
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def locator(config_file: str | None) -> Callable[[str | None], str]:
    """Where a key of the block is written: `mkdocs.yml:N`, N the line of `key:` inside the
    block (of `quick_exit:` itself for the block, or a key it lacks), when that file holds it."""
    path = Path(config_file or "mkdocs.yml")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    start = next((n for n, line in enumerate(lines) if re.match(r"\s+quick_exit\s*:", line)), None)

    def at(key: str | None) -> str:
        if start is None:
            return path.name
        indent = len(lines[start]) - len(lines[start].lstrip())
        for n in range(start + 1, len(lines)):
            line = lines[n]
            if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip()) <= indent:
                break  # past the block
            if key is not None and re.match(rf"\s+{re.escape(str(key))}\s*:", line):
                return f"{path.name}:{n + 1}"
        return f"{path.name}:{start + 1}"

    return at
