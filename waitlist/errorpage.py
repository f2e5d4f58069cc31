"""Filling the built waitlist pages on the server, so they work without JavaScript.

The pages (written by the site) have marked elements::

    <p id="rt-waitlist-message" ...></p>       the explanation goes inside
    <input id="rt-waitlist-email" ...>         gets value="what was typed"
    <input id="rt-waitlist-consent" ...>       gets checked when consent was given
    <input id="rt-waitlist-token" ...>         the confirm and unsubscribe pages: the link's token

Everything inserted is HTML-escaped; only those tags change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

MESSAGE_ID = "rt-waitlist-message"
EMAIL_ID = "rt-waitlist-email"
CONSENT_ID = "rt-waitlist-consent"
TOKEN_ID = "rt-waitlist-token"
MAX_TOKEN_LENGTH = 512

# A start tag whose attribute values may hold ">" inside quotes.
_START_TAG = r"<{name}(?=[\s/>])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
# One attribute: name, then an optional value (double-, single- or unquoted).
_ATTRIBUTE = re.compile(r"""\s+([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def fill_error_page(page: str, message: str, email: str, consent: bool) -> str:
    """Put the escaped message, the typed email and the consent tick into the page."""
    page = _change_tag(page, "p", MESSAGE_ID, lambda attrs: attrs, after=escape(message))
    page = _change_tag(
        page, "input", EMAIL_ID, lambda attrs: _with(attrs, "value", escape(email, quote=True))
    )
    return _change_tag(
        page, "input", CONSENT_ID, lambda attrs: _with(attrs, "checked", "" if consent else None)
    )


def fill_token(page: str, token: str, message: str = "") -> str:
    """Put the link's token into the page's form (for its button to POST), and a message."""
    if message:
        page = _change_tag(page, "p", MESSAGE_ID, lambda attrs: attrs, after=escape(message))
    value = escape(token[:MAX_TOKEN_LENGTH], quote=True)
    return _change_tag(page, "input", TOKEN_ID, lambda attrs: _with(attrs, "value", value))


Attributes = list[tuple[str, str | None]]  # (name, raw value text with its quotes, or None)


def _change_tag(
    page: str,
    name: str,
    element_id: str,
    change: Callable[[Attributes], Attributes],
    after: str = "",
) -> str:
    """Rewrite the first ``<name id=element_id ...>`` tag, and put ``after`` right after it."""
    for match in re.finditer(_START_TAG.format(name=name), page, re.IGNORECASE):
        tag = match.group(0)
        attributes = _attributes(tag[len(name) + 1 :])
        if any(key.lower() == "id" and _unquote(value) == element_id for key, value in attributes):
            new_tag = _render(tag[: len(name) + 1], change(attributes), tag.endswith("/>"))
            return page[: match.start()] + new_tag + after + page[match.end() :]
    return page


def _attributes(text: str) -> Attributes:
    return [(m.group(1), m.group(2)) for m in _ATTRIBUTE.finditer(text.rstrip(">").rstrip("/"))]


def _unquote(value: str | None) -> str | None:
    if value and value[0] in "\"'" and value[-1] == value[0]:
        return value[1:-1]
    return value


def _with(attributes: Attributes, name: str, escaped_value: str | None) -> Attributes:
    """``attributes`` without ``name``, then ``name`` set to the (escaped) value if not None;
    an empty value gives a bare attribute such as ``checked``."""
    kept = [(key, value) for key, value in attributes if key.lower() != name]
    if escaped_value is None:
        return kept
    return [*kept, (name, f'"{escaped_value}"' if escaped_value else None)]


def _render(opening: str, attributes: Attributes, self_closing: bool) -> str:
    parts = [opening]
    for key, value in attributes:
        parts.append(f" {key}" if value is None else f" {key}={value}")
    parts.append(" />" if self_closing else ">")
    return "".join(parts)
