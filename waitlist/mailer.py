"""Mail: confirmation and removal emails, sent one at a time from a thread of their own.

A mail is sent after the transaction that counted it is committed, from this thread, so a
slow or broken mail server never delays or fails a sign-up; a failed send is retried a few
times and then logged (the person can sign up again to get a new link). The queue is bounded:
a slot is taken before a mail is counted (waitlist/mailgate.py) and given back once the mail
leaves the queue, so a mail that was counted always has its place.

Every mail carries a one-click unsubscribe link and the ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` headers (RFC 8058). Mails are written with ``MAIL_POLICY``: with
Python's default policy a header longer than 78 characters is folded, and a URL, which has no
space to fold at, goes out as RFC 2047 encoded words (``=?utf-8?q?=3Chttps=3A//…``), which mail
clients do not read as an address: no unsubscribe button.
"""

from __future__ import annotations

import email.policy
import logging
import queue
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal
from urllib.parse import urlencode, urlsplit

from waitlist.config import SmtpSettings
from waitlist.messages import MailWording
from waitlist.tokens import Tokens

log = logging.getLogger("waitlist.mailer")

CONFIRM_PAGE = "/waitlist/confirm/"
UNSUBSCRIBE_PAGE = "/waitlist/unsubscribe/"
UNSUBSCRIBE_API = "/api/waitlist/unsubscribe"
SEND_ATTEMPTS = 3
SMTP_TIMEOUT_SECONDS = 15
MAX_QUEUED_MAILS = 10_000

MailKind = Literal["confirm", "removal"]

# RFC 5322's hard limit (998 characters a line) instead of the default policy's 78: a header
# line as long as its URL is written whole, never as encoded words, and so are the links in
# the text (7bit instead of quoted-printable, which split them with "=" at 76 characters).
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class OutgoingMail:
    """One mail to send: what for, and to which sign-up."""

    kind: MailKind
    row_id: int
    email: str


class Mailer:
    """Queues mails (each with a slot taken beforehand) and sends them on its own thread."""

    def __init__(
        self, smtp: SmtpSettings, sender: str, site_url: str, tokens: Tokens,
        max_queued: int | None = None, wording: MailWording | None = None,
    ) -> None:
        self._wording = wording or MailWording()
        self._smtp = smtp
        self._sender = sender
        self._site_url = site_url.rstrip("/")
        self._tokens = tokens
        self._queue: queue.SimpleQueue[OutgoingMail | None] = queue.SimpleQueue()
        self._max_queued = MAX_QUEUED_MAILS if max_queued is None else max_queued
        self._held = 0  # slots taken: mails counted or queued, not yet taken off the queue
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="waitlist-mailer", daemon=True)
        # Called (on this thread) with a mail given up on after every attempt failed.
        self.on_failure: Callable[[OutgoingMail], None] | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued for up to ``timeout`` seconds, then give up on the rest."""
        self._queue.put(None)
        self._thread.join(timeout)

    def take_slot(self) -> bool:
        """Reserve a place in the queue; False when it is full."""
        with self._lock:
            if self._held >= self._max_queued:
                return False
            self._held += 1
            return True

    def give_slot(self) -> None:
        with self._lock:
            self._held -= 1

    def full(self) -> bool:
        with self._lock:
            return self._held >= self._max_queued

    def enqueue(self, mail: OutgoingMail) -> None:
        """Queue ``mail``, whose slot the caller has taken."""
        self._queue.put(mail)

    def link(self, path: str, token: str) -> str:
        return f"{self._site_url}{path}?{urlencode({'token': token})}"

    def build_message(self, mail: OutgoingMail) -> EmailMessage:
        site = urlsplit(self._site_url).netloc
        unsubscribe = self._tokens.unsubscribe_token(mail.row_id, mail.email)
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = self._sender
        message["To"] = mail.email
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=urlsplit(self._site_url).hostname or None)
        # RFC 8058: a mail client's "unsubscribe" button POSTs List-Unsubscribe=One-Click to
        # this address; opening it (a GET) changes nothing.
        message["List-Unsubscribe"] = f"<{self.link(UNSUBSCRIBE_API, unsubscribe)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        unsubscribe_page = self.link(UNSUBSCRIBE_PAGE, unsubscribe)
        if mail.kind == "confirm":
            confirm = self._tokens.confirm_token(mail.row_id, mail.email)
            message["Subject"] = self._wording.confirm_subject.replace("{site}", site)
            message.set_content(
                "Hello,\n\n"
                f"{self._wording.confirm_intro.replace('{site}', site)}\n"
                "To confirm that this is your address, open this link within 7 days\n"
                "and press the button on the page:\n\n"
                f"{self.link(CONFIRM_PAGE, confirm)}\n\n"
                "If this was not you, ignore this email: without confirmation we will not\n"
                "write to you again, and we delete the address after 7 days.\n\n"
                "To remove your address from the list now:\n"
                f"{unsubscribe_page}\n"
            )
        else:
            message["Subject"] = self._wording.removal_subject.replace("{site}", site)
            message.set_content(
                "Hello,\n\n"
                f"{self._wording.removal_intro.replace('{site}', site)}\n"
                "To remove it, open this link and press the button on the page:\n\n"
                f"{unsubscribe_page}\n\n"
                "If this was not you, ignore this email: nothing changes.\n"
            )
        return message

    def _run(self) -> None:
        while True:
            mail = self._queue.get()
            if mail is None:
                return
            self.give_slot()
            self._send_with_retries(mail)

    def _send_with_retries(self, mail: OutgoingMail) -> None:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                self._send(self.build_message(mail))
                return
            except (OSError, smtplib.SMTPException) as error:
                # The class name only: an SMTP error's text can hold the recipient's address.
                reason = type(error).__name__
                log.warning("%s email attempt %d failed: %s", mail.kind, attempt, reason)
                if attempt < SEND_ATTEMPTS:
                    time.sleep(2**attempt)
        log.error("%s email not sent after %d attempts", mail.kind, SEND_ATTEMPTS)
        if self.on_failure is not None:
            try:
                self.on_failure(mail)
            except Exception:
                log.exception("could not uncount a %s email that was not sent", mail.kind)

    def _send(self, message: EmailMessage) -> None:
        smtp = self._smtp
        client: smtplib.SMTP
        if smtp.security == "tls":
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.username is not None:
                client.login(smtp.username, smtp.password or "")
            client.send_message(message)
