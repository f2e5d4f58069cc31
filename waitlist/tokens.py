"""Signed links and keys derived from WAITLIST_SECRET.

A link's token names a sign-up without holding its address: it carries the row's id and a
short HMAC of the address, signed and timestamped by itsdangerous (one salt per purpose, so a
confirmation token never unsubscribes anyone). Links end up in proxy logs and in mail
scanners; an address in base64 would end up there too. The HMAC ties the token to the address:
if the row is deleted and its id reused, or the database restored from a backup, the old
token matches nothing.

The mail bookkeeping is keyed the same way: by an HMAC of the normalised mailbox, so that
table holds no address either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

CONFIRM_SALT = "waitlist-confirm"
UNSUBSCRIBE_SALT = "waitlist-unsubscribe"
CONFIRM_MAX_AGE_SECONDS = 7 * 24 * 3600
# Long: the link sits in a mail the person may open months later. The removal page works
# whatever the age of their mails.
UNSUBSCRIBE_MAX_AGE_SECONDS = 400 * 24 * 3600
DIGEST_BYTES = 12

# Providers that ignore dots in the local part, and the domain each is known by.
DOT_BLIND_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


@dataclass(frozen=True)
class LinkSubject:
    """Whom a valid token is for: a row id and the digest of its address, or (links sent
    before version 1.1, which carried the address itself) just the address."""

    row_id: int | None = None
    digest: str | None = None
    email: str | None = None


def normalised_mailbox(email: str) -> str:
    """The inbox an address delivers to, as far as we can tell: lower case, without a
    ``+tag``, and without dots for providers that ignore them. For counting mails only."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    domain = DOT_BLIND_DOMAINS.get(domain, domain)
    if domain in DOT_BLIND_DOMAINS.values():
        local = local.replace(".", "")
    return f"{local}@{domain}"


class Tokens:
    """Makes and reads the signed tokens of confirmation and unsubscribe links."""

    def __init__(self, secret: str) -> None:
        self._confirm = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT)
        self._unsubscribe = URLSafeTimedSerializer(secret, salt=UNSUBSCRIBE_SALT)
        self._key = hashlib.sha256(b"waitlist-digest\0" + secret.encode("utf-8")).digest()

    def address_digest(self, email: str) -> str:
        mac = hmac.new(self._key, b"address\0" + email.encode("utf-8"), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:DIGEST_BYTES]).decode("ascii")

    def mailbox_key(self, email: str) -> str:
        """The key of the mail bookkeeping for ``email``'s inbox (64 hex characters)."""
        mailbox = normalised_mailbox(email).encode("utf-8")
        return hmac.new(self._key, b"mailbox\0" + mailbox, hashlib.sha256).hexdigest()

    def matches(self, subject: LinkSubject, email: str) -> bool:
        """Does a token's subject name this stored address?"""
        if subject.digest is not None:
            return hmac.compare_digest(subject.digest, self.address_digest(email))
        return subject.email == email

    def confirm_token(self, row_id: int, email: str) -> str:
        return self._confirm.dumps([row_id, self.address_digest(email)])

    def unsubscribe_token(self, row_id: int, email: str) -> str:
        return self._unsubscribe.dumps([row_id, self.address_digest(email)])

    def read_confirm(self, token: str) -> LinkSubject | None:
        return _read(self._confirm, token, CONFIRM_MAX_AGE_SECONDS, legacy=True)

    def read_unsubscribe(self, token: str) -> LinkSubject | None:
        return _read(self._unsubscribe, token, UNSUBSCRIBE_MAX_AGE_SECONDS, legacy=False)


def _read(
    serializer: URLSafeTimedSerializer, token: str, max_age: int, legacy: bool
) -> LinkSubject | None:
    """The subject of a good token; None if forged, expired or not shaped like ours."""
    try:
        payload = serializer.loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    if legacy and isinstance(payload, str):
        return LinkSubject(email=payload)
    if (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and not isinstance(payload[0], bool)
        and isinstance(payload[1], str)
    ):
        return LinkSubject(row_id=payload[0], digest=payload[1])
    return None
