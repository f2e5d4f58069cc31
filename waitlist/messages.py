"""Every sentence the service says to a person, in one place."""

from __future__ import annotations

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
