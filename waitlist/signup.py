"""Parsing and validating a sign-up: request body in, Signup or Rejection out.

Pure functions with no I/O, so every rule is testable on its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

from email_validator import EmailNotValidError, validate_email

BodyKind = Literal["json", "form"]

MAX_BODY_BYTES = 4096
MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64
MAX_SOURCE_LENGTH = 64
MAX_ECHO_LENGTH = 320  # how much of a typed email the error page gives back
FORM_CONSENT_WORDS = frozenset({"on", "true", "yes", "1"})

# What email-validator accepts, with three rules of our own on top: the local part is at most
# 64 characters, the top-level domain is letters (or an IDN's xn-- form), and the address does
# not start with "=", "+" or "-": such addresses are vanishingly rare and would run as formulas
# when the CSV export is opened in a spreadsheet.
_FORMULA_STARTS = ("=", "+", "-")
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]*")


@dataclass(frozen=True)
class SignupForm:
    """What a request said, before validation: the fields the form has."""

    email: str
    consent: bool
    honeypot: str
    source: str | None


@dataclass(frozen=True)
class Signup:
    """A valid sign-up, email in canonical (trimmed, lower-case) form."""

    email: str
    source: str | None


@dataclass(frozen=True)
class Rejection:
    """Why a sign-up was refused: a reason code, the HTTP status and the field at fault."""

    reason: str
    status: int
    field: Literal["email", "consent"] | None = None
    retry_after: int | None = None


BAD_REQUEST = Rejection("bad-request", 400)
TOO_LARGE = Rejection("too-large", 413)
UNSUPPORTED_TYPE = Rejection("unsupported-type", 415)
INVALID_EMAIL = Rejection("invalid-email", 422, "email")
CONSENT_MISSING = Rejection("consent-missing", 422, "consent")


def body_kind(content_type: str | None) -> BodyKind | None:
    """Which parser a Content-Type calls for; None for types we do not accept."""
    if not content_type:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        return "json"
    if media_type == "application/x-www-form-urlencoded":
        return "form"
    return None


def parse_body(kind: BodyKind, body: bytes) -> SignupForm | Rejection:
    """Turn a request body into a SignupForm; BAD_REQUEST for anything not shaped like one."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return BAD_REQUEST
    return parse_json(text) if kind == "json" else parse_form(text)


def parse_json(text: str) -> SignupForm | Rejection:
    """A JSON object with string fields and a boolean ``consent``; unknown keys are ignored."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return BAD_REQUEST
    if not isinstance(data, dict):
        return BAD_REQUEST
    email = data.get("email", "")
    consent = data.get("consent", False)
    honeypot = data.get("website") or ""
    source = data.get("source")
    if not isinstance(email, str) or not isinstance(honeypot, str):
        return BAD_REQUEST
    if not isinstance(consent, bool) or not (source is None or isinstance(source, str)):
        return BAD_REQUEST
    return SignupForm(email=email, consent=consent, honeypot=honeypot, source=source)


def parse_form(text: str) -> SignupForm | Rejection:
    """An HTML form post; each known field at most once, other fields ignored."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        return BAD_REQUEST
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in ("email", "consent", "website", "source"):
            if name in fields:
                return BAD_REQUEST
            fields[name] = value
    consent = fields.get("consent", "").strip().lower() in FORM_CONSENT_WORDS
    return SignupForm(
        email=fields.get("email", ""),
        consent=consent,
        honeypot=fields.get("website", ""),
        source=fields.get("source"),
    )


def validate(form: SignupForm) -> Signup | Rejection:
    """Check a SignupForm (the honeypot is the caller's business) and canonicalise it."""
    email = canonical_email(form.email)
    if email is None:
        return INVALID_EMAIL
    if not form.consent:
        return CONSENT_MISSING
    source = (form.source or "").strip() or None
    if source is not None and not (
        len(source) <= MAX_SOURCE_LENGTH and _SOURCE.fullmatch(source)
    ):
        return BAD_REQUEST
    return Signup(email=email, source=source)


def canonical_email(raw: str) -> str | None:
    """The address in its one stored form, or None if it is not a sane email address.

    The form: trimmed and lower-cased, with an internationalised domain in its ASCII
    (``xn--``) form, so ``user@bücher.example`` and ``user@xn--bcher-kva.example`` are one
    address and any mail server can deliver to it. Syntax only: no DNS look-up, ever.
    """
    email = raw.strip()
    if not email or len(email) > MAX_EMAIL_LENGTH:
        return None
    try:
        checked = validate_email(email, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    if checked.ascii_email is None:  # needs SMTPUTF8, which allow_smtputf8=False already refuses
        return None
    canonical = checked.ascii_email.lower()
    local, _, domain = canonical.rpartition("@")
    if len(canonical) > MAX_EMAIL_LENGTH or len(local) > MAX_LOCAL_PART_LENGTH:
        return None
    if local.startswith(_FORMULA_STARTS) or not _TOP_LEVEL.fullmatch(domain.rsplit(".", 1)[-1]):
        return None
    return canonical


def typed_email(form: SignupForm | None) -> str:
    """What the person typed, cut to a length that fits in a redirect address."""
    return form.email[:MAX_ECHO_LENGTH] if form is not None else ""
