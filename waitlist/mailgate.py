"""Whether a mail may go out: a place in the queue, the inbox's limit and the global cap.

The limits live in the database (store.mail_log), so a restart does not reset them and every
instance shares them; the inbox is the normalised mailbox (tokens.normalised_mailbox), so
``victim+1@`` and ``v.ictim@gmail.com`` count as one. Everything here runs on the thread that
holds the transaction (the writer, or an executor thread), never on the event loop, and costs
one or two statements per mail whatever the number of inboxes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from sqlalchemy import Connection

from waitlist.mailer import Mailer, OutgoingMail
from waitlist.store import MailLimits, Store
from waitlist.tokens import Tokens

# none: no mail was needed; queued: counted, to be sent once the transaction commits; recent:
# this inbox had one lately (the person is told to look there); busy: the queue is full or the
# hourly cap is reached, nothing was counted (the person is told to try again later).
MailOutcome = Literal["none", "queued", "recent", "busy"]


class MailGate:
    """Counts a mail in the caller's transaction; ``send`` after commit, ``release`` after
    a rollback."""

    def __init__(
        self, store: Store, mailer: Mailer, tokens: Tokens, limits: MailLimits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._mailer = mailer
        self._tokens = tokens
        self.limits = limits
        self._clock = clock

    def reserve(self, connection: Connection, mail: OutgoingMail) -> MailOutcome:
        """Take a queue slot and count ``mail``; "queued" holds the slot for ``send``."""
        if not self._mailer.take_slot():
            return "busy"
        try:
            verdict = self._store.reserve_mail(
                connection, self._tokens.mailbox_key(mail.email), int(self._clock()), self.limits
            )
        except BaseException:
            self._mailer.give_slot()
            raise
        if verdict == "granted":
            return "queued"
        self._mailer.give_slot()
        return "busy" if verdict == "capped" else "recent"

    def closed(self, connection: Connection) -> bool:
        """Would a mail be refused now, whoever it is for? (For replies that must not differ
        between people who need a mail and people who do not.)"""
        return self._mailer.full() or self._store.mail_capped(
            connection, int(self._clock()), self.limits
        )

    def send(self, mail: OutgoingMail) -> None:
        self._mailer.enqueue(mail)

    def forget(self, mail: OutgoingMail) -> None:
        """``mail`` was counted but never sent (the mail server kept failing): its inbox may
        have the next one at once. Runs on the mailer thread."""
        self._store.forget_mail(self._tokens.mailbox_key(mail.email))

    def release(self, _mail: OutgoingMail) -> None:
        """The transaction that counted ``mail`` was rolled back: free its slot."""
        self._mailer.give_slot()
