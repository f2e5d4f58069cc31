"""The waitlist's settings, `extra.waitlist` and `extra.organisation`, checked and
completed when the build starts, for the form (macros/templates/waitlist_form.html), the landing
page's head (overrides/main.html), the privacy note (docs/privacy.md) and the waitlist's pages.
`make check` runs the same checks (sitebuild/check.py), so a mistake is one line there, never a
traceback in the build.

Every optional key of `extra.waitlist` gets its default here, so a block holding only some of
them (DEPLOY.md's provider snippets, pasted as the whole block) builds: `method: post`,
`email_field: email`, `consent_field: consent`, `honeypot_field: website`, `source: landing`,
`netlify: false`, `double_opt_in: false`, each of `messages` (MESSAGES) and `json` (true for
the bundled service, false for a hosted provider). A key the form does not know, or a value of
the wrong kind, fails the build naming it.

A form whose `action` is on another site (or `netlify: true`) posts to a hosted provider. Then:

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
- Only the pages a static host can serve are built: the thank-you page. The bundled service's
  own pages (SERVICE_ONLY: confirming, removing, the error page…) post to `/api/waitlist/…`,
  which a static host does not have; the build leaves them out (sitebuild/plugin.py, on_files), and with them every link to
  them (a link left behind fails `mkdocs build --strict`).

`mode` is "hosted" or "service". `mail` says whether the bundled service sends email (its
`SMTP_URL`), which the privacy note describes or not. The service decides that when it starts,
the page is built before: `extra.waitlist.mail: true|false` says it; left out, the build looks
where the service does, `SMTP_URL` in the environment, or in the service's environment file
(`make build` passes what it found there as RT_WAITLIST_MAIL=1|0, never the address:
scripts/build.py). With a hosted provider `mail` is false (a provider's confirmation email is
`double_opt_in`).

`extra.organisation` (required): `name` (who holds the list: a person, team or company) and
`contact` (an email address or an https:// page), which the privacy note names as the place to
ask for removal or for what is kept. `contact_url` is added (mailto: or the page).

The values are written back into `config.extra` (the same dictionaries the macros read).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

WHERE = "mkdocs.yml"

# host of the form's action -> (provider's name, hidden field naming where to go afterwards)
PROVIDERS: dict[str, tuple[str, str | None]] = {
    "formspree.io": ("Formspree", "_next"),
    "buttondown.com": ("Buttondown", None),
    "buttondown.email": ("Buttondown", None),
}
THANKS_PATH = "waitlist/thanks/"

# The form's wording (`extra.waitlist.messages`), each replaceable on its own in mkdocs.yml.
MESSAGES = {
    "success": "Thank you. You're on the list—we'll email you when the app opens.",
    "check_inbox": "Thank you. Please check your inbox—we've sent you a link to confirm your address.",
    "invalid_email": "Please enter an email address like name@example.com.",
    "consent_missing": "Please tick the box to agree that we may email you about the app.",
    "rate_limited": "Too many attempts from your connection. Please wait a minute and try again.",
    "unreachable": "We couldn't reach the sign-up service. Please check your connection and try again; "
                   "what you typed is still here.",
    "offline": "You're offline. Signing up needs a connection; what you typed is still here, so you can send "
               "it once you're back online.",
    # The bundled service's emails (with SMTP_URL): each one's subject and first sentence; the
    # links and what they do follow. {course}, {app} and {site} become the course's name, the
    # app's (extra.brand) and the site's address. Written into the built site's `_mail.json`.
    "confirm_subject": "Confirm your place on the {app} waitlist",
    "confirm_intro": "Someone (we hope you) asked to join the waitlist for {app}, the relationship app from the "
                     "makers of the free course {course}, at {site}.",
    "removal_subject": "Remove your address from the {app} waitlist?",
    "removal_intro": "Someone (we hope you) asked us to remove this address from the waitlist for {app}, from the "
                     "makers of {course}, at {site}.",
}
MAIL_MESSAGES = ("confirm_subject", "confirm_intro", "removal_subject", "removal_intro")
MAIL_FIELDS = ("course", "app", "site")
MAIL_FILE = "_mail.json"  # read by the service at start (waitlist/messages.py), never served
# Text settings of `extra.waitlist` and their defaults (`json` depends on the mode, below).
TEXTS = {"action": "/api/waitlist", "method": "post", "email_field": "email", "consent_field": "consent",
         "honeypot_field": "website", "source": "landing"}
FLAGS = ("json", "netlify", "double_opt_in", "mail")
OPTIONAL = ("provider", "redirect_field")
KEYS = (*TEXTS, *FLAGS, *OPTIONAL, "messages")
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")

# The bundled service's pages (docs/waitlist/): each posts to /api/waitlist/… or is only ever
# reached from the service (its redirects, its emails' links). A hosted provider's build leaves
# them out; thanks.md is every mode's.
SERVICE_ONLY = tuple(f"waitlist/{name}.md" for name in (
    "check-inbox", "confirm", "confirmed", "error", "removal-sent", "remove", "removed", "unsubscribe"))

ORGANISATION_KEYS = ("name", "contact")
EMAIL = re.compile(r"[^@\s<>\"'()\[\],;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")


class WaitlistError(ValueError):
    """Waitlist settings the privacy note or the form cannot be made true to: one line each,
    `mkdocs.yml: field: what was found; what to write`."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{WHERE}: {field}: {message}" for field, message in problems))


def provider_settings(block: Mapping[str, Any], site_url: str) -> dict[str, Any]:
    """`double_opt_in`, `provider`, `provider_origin`, `redirect_field` and `thanks_url` for the form in `block` (extra.waitlist)."""
    host = (urlsplit(str(block.get("action", ""))).hostname or "").lower()
    known_name, redirect = PROVIDERS.get(host, (None, None))
    name = block.get("provider") or known_name or ("Netlify" if block.get("netlify") else None)
    if host and not name:
        raise WaitlistError([(
            "extra.waitlist.provider",
            f"missing; the form posts to {host}: give the name of the service that keeps the list (the privacy "
            f"note names it), or one of {', '.join(sorted(PROVIDERS))} as the action's host")])
    parts = urlsplit(str(block.get("action", "")))
    double_opt_in = block.get("double_opt_in", False)
    if not isinstance(double_opt_in, bool) or (double_opt_in and not name):
        raise WaitlistError([(
            "extra.waitlist.double_opt_in",
            f"found {double_opt_in!r}; give true when a hosted provider mails a confirmation link itself, else "
            f"false (the bundled service tells the visitor to check their inbox by itself when SMTP_URL is set)")])
    return {
        "double_opt_in": double_opt_in,
        "provider": name,
        "provider_origin": f"{parts.scheme}://{parts.netloc}" if host else None,
        "redirect_field": block.get("redirect_field", redirect),
        "thanks_url": site_url.rstrip("/") + "/" + THANKS_PATH,
    }


def _one_line(value: Any) -> str | None:
    """`value` as one line of text, or None when it is not a non-empty string on one line."""
    if not isinstance(value, str) or not value.strip() or re.search(r"[\x00-\x1f\x7f]", value.strip()):
        return None
    return " ".join(value.split())


def _block_problems(block: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Keys the form does not know and values of the wrong kind in `extra.waitlist`."""
    problems = [(f"extra.waitlist.{key}", f"not a setting of this block; the settings are {', '.join(KEYS)} "
                 "(DEPLOY.md, Form settings)") for key in block if key not in KEYS]
    for key in TEXTS:
        if key in block and _one_line(block[key]) is None:
            problems.append((f"extra.waitlist.{key}", f"found {block[key]!r}; give one line of text, or leave it out "
                             f"for {TEXTS[key]!r}"))
    for key in ("email_field", "consent_field", "honeypot_field", "redirect_field"):
        value = block.get(key)
        if isinstance(value, str) and value.strip() and not FIELD_NAME.fullmatch(value):
            problems.append((f"extra.waitlist.{key}", f"found {value!r}; give a form field's name: letters, digits, "
                             "_ . - (no spaces)"))
    method = block.get("method")
    if isinstance(method, str) and method.strip().lower() != "post":
        problems.append(("extra.waitlist.method", f"found {method!r}; give post (every provider and the bundled "
                         "service take a POST; a GET would put the address in every log on the way)"))
    for key in ("json", "netlify", "mail"):  # double_opt_in: provider_settings
        if key in block and not isinstance(block[key], bool):
            problems.append((f"extra.waitlist.{key}", f"found {block[key]!r}; give true or false"))
    if "provider" in block and block["provider"] is not None and _one_line(block["provider"]) is None:
        problems.append(("extra.waitlist.provider", f"found {block['provider']!r}; give the name of the service "
                         "that keeps the list, on one line"))
    messages = block.get("messages")
    if messages is not None and not isinstance(messages, Mapping):
        problems.append(("extra.waitlist.messages", f"found {messages!r}; give a mapping of {', '.join(MESSAGES)} "
                         "(each optional)"))
    elif messages is not None:
        for key, text in messages.items():
            if key not in MESSAGES:
                problems.append((f"extra.waitlist.messages.{key}", f"not a message of the form; the messages are "
                                 f"{', '.join(MESSAGES)}"))
            elif _one_line(text) is None:
                problems.append((f"extra.waitlist.messages.{key}", f"found {text!r}; give the sentence the form "
                                 "shows, on one line, or leave it out for the default"))
            elif key in MAIL_MESSAGES and (unknown := set(re.findall(r"\{([^}]*)\}", text)) - set(MAIL_FIELDS)):
                problems.append((f"extra.waitlist.messages.{key}", f"found {{{sorted(unknown)[0]}}}; the email can "
                                 f"fill in only {', '.join('{' + f + '}' for f in MAIL_FIELDS)}"))
    return problems


def mail_setting(block: Mapping[str, Any], provider: str | None, environ: Mapping[str, str]) -> tuple[bool, str]:
    """Whether the bundled service sends email, and where that was read: `extra.waitlist.mail`,
    else RT_WAITLIST_MAIL (`make build`: from the service's environment file), else SMTP_URL in
    the environment. With a hosted provider it is false. Raises WaitlistError."""
    value = block.get("mail")
    if provider is not None:
        if value:
            raise WaitlistError([("extra.waitlist.mail", f"found {value!r} with {provider}; mail is the bundled "
                                  "service's (SMTP_URL): leave it out, and give double_opt_in: true if "
                                  f"{provider} mails a confirmation link itself")])
        return False, "a hosted provider"
    if isinstance(value, bool):
        return value, f"extra.waitlist.mail in {WHERE}"
    flag = environ.get("RT_WAITLIST_MAIL")
    if flag in {"0", "1"}:  # make build: SMTP_URL in the environment, else in the service's environment file
        return flag == "1", f"make build found {'an' if flag == '1' else 'no'} SMTP_URL where the service reads it"
    if (environ.get("SMTP_URL") or "").strip():
        return True, "SMTP_URL in the environment"
    return False, "no SMTP_URL in the build's environment"


def organisation_settings(extra: Mapping[str, Any]) -> dict[str, str]:
    """`extra.organisation`, checked: {name, contact, contact_url}. Raises WaitlistError."""
    block = extra.get("organisation")
    what = ("name (who holds the waitlist's addresses: a person, team or company) and contact (an email "
            "address or an https:// page where readers ask for removal); the privacy note names both")
    if block is None:
        raise WaitlistError([("extra.organisation", f"missing; give {what}")])
    if not isinstance(block, Mapping):
        raise WaitlistError([("extra.organisation", f"found {block!r}; give a mapping with {what}")])
    problems = [(f"extra.organisation.{key}", f"not a setting of this block; the settings are "
                 f"{', '.join(ORGANISATION_KEYS)}") for key in block if key not in ORGANISATION_KEYS]
    name = _one_line(block.get("name"))
    if name is None:
        found = "missing" if "name" not in block else f"found {block['name']!r}"
        problems.append(("extra.organisation.name", f"{found}; give who holds the waitlist's addresses (a person, "
                         "team or company), on one line"))
    contact = block.get("contact")
    contact_url = None
    if isinstance(contact, str) and EMAIL.fullmatch(contact.strip()):
        contact = contact.strip()
        contact_url = f"mailto:{contact}"
    elif isinstance(contact, str) and urlsplit(contact.strip()).scheme == "https" and urlsplit(contact.strip()).hostname \
            and not re.search(r"\s", contact.strip()):
        contact = contact_url = contact.strip()
    else:
        found = "missing" if "contact" not in block else f"found {contact!r}"
        problems.append(("extra.organisation.contact", f"{found}; give an email address (privacy@your.domain) or "
                         "an https:// page where readers ask to be removed or what is kept about them"))
    if problems:
        raise WaitlistError(problems)
    assert name is not None and isinstance(contact, str) and contact_url is not None
    return {"name": name, "contact": contact, "contact_url": contact_url}


def settings(extra: Mapping[str, Any], site_url: str,
             environ: Mapping[str, str] | None = None) -> tuple[dict[str, Any], dict[str, str], str]:
    """(`extra.waitlist` completed, `extra.organisation` checked, where `mail` came from).
    Raises WaitlistError listing every problem found."""
    environ = os.environ if environ is None else environ
    block = extra.get("waitlist")
    if block is None:
        block = {}
    if not isinstance(block, Mapping):
        raise WaitlistError([("extra.waitlist", f"found {block!r}; give a mapping (DEPLOY.md, Form settings), or "
                              "leave it out for the bundled service")])
    problems = _block_problems(block)
    completed: dict[str, Any] = {**TEXTS, "netlify": False, **block, "messages": {**MESSAGES, **(block.get("messages") or {})}
                                 if isinstance(block.get("messages") or {}, Mapping) else MESSAGES}
    organisation: dict[str, str] = {}
    source = ""
    try:
        completed.update(provider_settings(completed, site_url))
        completed["mode"] = "hosted" if completed["provider"] else "service"
        completed.setdefault("json", completed["mode"] == "service")
        completed["mail"], source = mail_setting(block, completed["provider"], environ)
    except WaitlistError as error:
        problems += error.problems
    try:
        organisation = organisation_settings(extra)
    except WaitlistError as error:
        problems += error.problems
    if problems:
        raise WaitlistError(list(dict.fromkeys(problems)))
    return completed, organisation, source


def mail_wording(messages: Mapping[str, str], course: str, app: str) -> dict[str, str]:
    """The emails' wording for `_mail.json`: the course's and the app's names filled in; {site}
    is left for the service, which knows the address it serves."""
    return {key: " ".join(messages[key].split()).replace("{course}", course).replace("{app}", app)
            for key in MAIL_MESSAGES}


def write_mail_file(site: str | os.PathLike[str], wording: Mapping[str, str]) -> None:
    """The emails' wording (`mail_wording`) beside the pages, as `_mail.json`, for the service."""
    with open(os.path.join(site, MAIL_FILE), "w", encoding="utf-8") as file:
        json.dump(dict(wording), file, ensure_ascii=False, indent=1, sort_keys=True)
