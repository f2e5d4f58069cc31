"""Every sentence the service says to a person, in one place: the replies to the form here, and
the emails' wording, which the site's build writes from `mkdocs.yml` (`extra.waitlist.messages`:
sitebuild/waitlist.py) into `_mail.json` in the built site, read once at start (`mail_wording`)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("waitlist.messages")

SUCCESS = "Thank you. You are on the waitlist; we will email you when the app is ready."
SUCCESS_CONFIRM = (
    "Thank you. Please check your inbox: we sent you a link to confirm your email address."
)

# reason code (also used in /waitlist/error/?reason=...) -> message
REASONS: dict[str, str] = {
    "invalid-email": "Please enter an email address like name@example.com.",
    "consent-missing": "Please tick the box to agree that we may email you about the app.",
    "rate-limited": "Too many attempts from your connection. Please wait a minute and try again.",
    "too-large": (
        "That sign-up was larger than the form allows. "
        "Please enter just your email address and try again."
    ),
    "bad-request": (
        "Something in that sign-up did not come through as expected. "
        "Please try again from the form."
    ),
    "bad-link": (
        "That confirmation link is not valid or has expired. "
        "Please sign up again and we will send you a new one."
    ),
    "bad-unsubscribe-link": (
        "That link is not valid. To have your address removed, enter it below and we will "
        "send you a new link."
    ),
    "already-removed": (
        "That address is not on the waitlist any more. To be sure, enter it below: if we still "
        "have it, we will send it a new link."
    ),
    "unsupported-type": "Please send the sign-up as a form or as JSON.",
    "unavailable": "We could not save your sign-up just now. Please try again in a minute.",
    # Nothing was sent, so "check your inbox" would be untrue.
    "mail-busy": (
        "We could not send you an email just now: too many are going out. "
        "Please try again in an hour."
    ),
}
UNKNOWN_REASON = "Something went wrong with your sign-up. Please try again."


def reason_message(reason: str) -> str:
    """The message for a reason code; a calm generic one for codes we do not know."""
    return REASONS.get(reason, UNKNOWN_REASON)


MAIL_FILE = "_mail.json"  # in SITE_DIR; never served (waitlist/static.py HIDDEN_NAMES)


@dataclass(frozen=True)
class MailWording:
    """The emails' subjects and first sentences; the links and what they do follow in code."""

    confirm_subject: str = "Please confirm your place on the waitlist"
    confirm_intro: str = "Someone (we hope you) asked to join the waitlist at {site}."
    removal_subject: str = "Remove your address from the waitlist?"
    removal_intro: str = "Someone (we hope you) asked us to remove this address from the waitlist at {site}."


def mail_wording(site_dir: Path) -> MailWording:
    """The wording the build wrote into `site_dir/_mail.json` (the course's and the app's names
    filled in), or the generic wording above, with a warning, when the site has none or it cannot
    be read: a mail is sent either way."""
    path = Path(site_dir) / MAIL_FILE
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.warning("%s not found: the emails use generic wording (build the site with `make build`)", path)
        return MailWording()
    except (OSError, ValueError) as error:
        log.warning("%s could not be read (%s): the emails use generic wording", path, error)
        return MailWording()
    fields = MailWording.__dataclass_fields__
    if not isinstance(found, dict) or any(not isinstance(found.get(k), str) or "\n" in found[k] for k in fields):
        log.warning("%s: expected one line of text for each of %s; the emails use generic wording", path,
                    ", ".join(fields))
        return MailWording()
    return MailWording(**{k: found[k] for k in fields})
