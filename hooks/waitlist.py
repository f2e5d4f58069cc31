"""MkDocs hook: who receives the waitlist form, worked out from `extra.waitlist` when the build
starts, for the form (macros/templates/waitlist_form.html), the landing page's head
(overrides/main.html) and the privacy note (docs/privacy.md).

A form whose `action` is on another site posts to a hosted provider. Then:

- `provider` names it, so the privacy note says who keeps the list: known from the action's
  host (Formspree, Buttondown) or from `netlify: true` (Netlify Forms). For another host, give
  `provider: Name` in `extra.waitlist`; without it the build fails, since the note would
  otherwise tell readers their address stays with us.
- `provider_origin` is the action's origin. The landing page then sets its referrer policy to
  `strict-origin-when-cross-origin` (overrides/main.html): the site's own `same-origin` would
  post with `Origin: null` and no `Referer`, which a provider restricted to our domain refuses.
  The provider learns the site's origin, never the page's path.
- `redirect_field` is the hidden field that sends the visitor back to our thank-you page after
  the provider has taken the sign-up (Formspree's `_next`); `thanks_url` is that page's full
  address, from `site_url`. Buttondown has no such field: its redirect is a setting of the
  account (DEPLOY.md).
- `double_opt_in` (set in mkdocs.yml, default false): the provider mails a confirmation link
  itself (Buttondown with double opt-in on), so the thank-you page tells the visitor to check
  their inbox. The bundled service needs no flag: it says so itself when `SMTP_URL` is set.

The values are written back into `config.extra.waitlist` (the same dictionary the macros read).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from mkdocs.exceptions import PluginError

# host of the form's action -> (provider's name, hidden field naming where to go afterwards)
PROVIDERS: dict[str, tuple[str, str | None]] = {
    "formspree.io": ("Formspree", "_next"),
    "buttondown.com": ("Buttondown", None),
    "buttondown.email": ("Buttondown", None),
}
THANKS_PATH = "waitlist/thanks/"


class WaitlistError(ValueError):
    """A waitlist setting the privacy note or the form cannot be made true to."""


def provider_settings(block: Mapping[str, Any], site_url: str) -> dict[str, Any]:
    """`double_opt_in`, `provider`, `provider_origin`, `redirect_field` and `thanks_url` for the form in `block` (extra.waitlist)."""
    host = (urlsplit(str(block.get("action", ""))).hostname or "").lower()
    known_name, redirect = PROVIDERS.get(host, (None, None))
    name = block.get("provider") or known_name or ("Netlify" if block.get("netlify") else None)
    if host and not name:
        raise WaitlistError(
            f"mkdocs.yml: extra.waitlist.provider: missing; the form posts to {host}: give the name of "
            f"the service that keeps the list (the privacy note names it), or one of "
            f"{', '.join(sorted(PROVIDERS))} as the action's host"
        )
    parts = urlsplit(str(block.get("action", "")))
    double_opt_in = block.get("double_opt_in", False)
    if not isinstance(double_opt_in, bool) or (double_opt_in and not name):
        raise WaitlistError(
            f"mkdocs.yml: extra.waitlist.double_opt_in: found {double_opt_in!r}; give true when a hosted "
            f"provider mails a confirmation link itself, else false (the bundled service tells the visitor "
            f"to check their inbox by itself when SMTP_URL is set)"
        )
    return {
        "double_opt_in": double_opt_in,
        "provider": name,
        "provider_origin": f"{parts.scheme}://{parts.netloc}" if host else None,
        "redirect_field": block.get("redirect_field", redirect),
        "thanks_url": site_url.rstrip("/") + "/" + THANKS_PATH,
    }


def on_config(config):  # type: ignore[no-untyped-def]
    block = config.extra["waitlist"]
    try:
        block.update(provider_settings(block, config.site_url or "/"))
    except WaitlistError as error:
        raise PluginError(str(error)) from None
    return config
