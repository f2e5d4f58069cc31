"""Double opt-in: signed confirmation links, and a background thread that mails them.

A confirmation email is sent after the sign-up is committed, from a thread of its own, so
a slow or broken mail server never delays or fails a sign-up; a failed send is retried a few
times and then logged (the person can sign up again to get a new link).
"""

from __future__ import annotations

import logging
import queue
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlencode, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

from waitlist.config import SmtpSettings

log = logging.getLogger("waitlist.mailer")

CONFIRM_SALT = "waitlist-confirm"
CONFIRM_MAX_AGE_SECONDS = 7 * 24 * 3600
CONFIRM_PATH = "/api/waitlist/confirm"
RESEND_COOLDOWN_SECONDS = 15 * 60
SEND_ATTEMPTS = 3
SMTP_TIMEOUT_SECONDS = 15
MAX_QUEUED_MAILS = 10_000


def confirm_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=CONFIRM_SALT)


def read_confirm_token(serializer: URLSafeTimedSerializer, token: str) -> str | None:
    """The email address a confirmation token was made for, or None if bad or expired."""
    try:
        email = serializer.loads(token, max_age=CONFIRM_MAX_AGE_SECONDS)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return email if isinstance(email, str) else None


class ConfirmationMailer:
    """Queues confirmation emails and sends them one at a time on its own thread."""

    def __init__(
        self, smtp: SmtpSettings, sender: str, site_url: str, serializer: URLSafeTimedSerializer
    ) -> None:
        self._smtp = smtp
        self._sender = sender
        self._site_url = site_url.rstrip("/")
        self._serializer = serializer
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=MAX_QUEUED_MAILS)
        self._last_sent: dict[str, float] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="waitlist-mailer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued for up to ``timeout`` seconds, then give up on the rest."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def request(self, email: str) -> None:
        """Queue a confirmation for ``email`` unless one went out to it a moment ago.

        The cooldown stops anyone from using repeated sign-ups to flood an inbox.
        """
        now = time.monotonic()
        with self._lock:
            last = self._last_sent.get(email)
            if last is not None and now - last < RESEND_COOLDOWN_SECONDS:
                return
            if len(self._last_sent) >= MAX_QUEUED_MAILS:
                self._last_sent = {
                    key: sent
                    for key, sent in self._last_sent.items()
                    if now - sent < RESEND_COOLDOWN_SECONDS
                }
            self._last_sent[email] = now
        try:
            self._queue.put_nowait(email)
        except queue.Full:
            log.warning("confirmation queue full; one confirmation email dropped")

    def confirm_link(self, email: str) -> str:
        token = self._serializer.dumps(email)
        return f"{self._site_url}{CONFIRM_PATH}?{urlencode({'token': token})}"

    def build_message(self, email: str) -> EmailMessage:
        site = urlsplit(self._site_url).netloc
        message = EmailMessage()
        message["Subject"] = "Please confirm your place on the waitlist"
        message["From"] = self._sender
        message["To"] = email
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=urlsplit(self._site_url).hostname or None)
        message.set_content(
            "Hello,\n\n"
            f"Someone (we hope you) asked to join the waitlist at {site}.\n"
            "To confirm that this is your address, open this link within 7 days:\n\n"
            f"{self.confirm_link(email)}\n\n"
            "If this was not you, ignore this email: without confirmation we will not\n"
            "write to you again.\n"
        )
        return message

    def _run(self) -> None:
        while True:
            email = self._queue.get()
            if email is None:
                return
            self._send_with_retries(email)

    def _send_with_retries(self, email: str) -> None:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                self._send(self.build_message(email))
                return
            except (OSError, smtplib.SMTPException) as error:
                # The class name only: an SMTP error's text can hold the recipient's address.
                reason = type(error).__name__
                log.warning("confirmation email attempt %d failed: %s", attempt, reason)
                if attempt < SEND_ATTEMPTS:
                    time.sleep(2**attempt)
        log.error("confirmation email not sent after %d attempts", SEND_ATTEMPTS)

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
