"""Group commit: one writer thread turns many waiting sign-ups into one transaction.

Each request puts its sign-up on a queue and awaits a future. The writer thread takes
everything waiting on the queue, inserts it in one transaction, commits once, and only then
resolves the futures (on the event loop, in one call), so a reply always follows its commit.
While one batch commits, the next one gathers: under load the batches grow by themselves and
the cost of a durable commit is shared, with no timer adding latency when the load is light.
All database work happens on this thread, never on the event loop.

With double opt-in on, the same transaction counts the confirmation mails (mailgate.py): a
sign-up and the mail it is owed are committed together, and the mails are queued only once
the commit has succeeded.

A batch the database rolls back for a reason that running it again can cure (a deadlock with
another instance on the same PostgreSQL) is run again, up to ATTEMPTS times, before its
sign-ups get an error.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import TypeGuard

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from waitlist.mailer import OutgoingMail
from waitlist.mailgate import MailGate, MailOutcome
from waitlist.signup import Signup
from waitlist.store import BatchResult, Store

log = logging.getLogger("waitlist.writer")

MAX_BATCH = 512


ATTEMPTS = 3  # a batch the database rolled back as a deadlock or a conflict is run again


def transient(error: BaseException) -> TypeGuard[DBAPIError]:
    """Whether the database rolled the batch back for a reason that running it again can cure:
    PostgreSQL's deadlock (40P01) or serialization failure (40001) between instances."""
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in {"40P01", "40001"}


class StoreUnavailable(Exception):
    """The batch holding this sign-up could not be committed."""


@dataclass(frozen=True)
class Saved:
    """The outcome of one sign-up: is it new, does it still await confirmation, and what
    became of its confirmation mail."""

    new: bool
    unconfirmed: bool
    mail: MailOutcome = "none"


_Pending = tuple[Signup, "asyncio.Future[Saved]"]
_STOP = None


class GroupCommitWriter:
    """Owns the only thread that writes sign-ups; start() and stop() from the event loop."""

    def __init__(self, store: Store, gate: MailGate | None = None) -> None:
        self._store = store
        self._gate = gate
        # SimpleQueue: a put is cheap and wakes the writer only when it is waiting.
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="waitlist-writer", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: Connection | None = None  # used only on the writer thread

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread.start()

    async def stop(self) -> None:
        """Commit everything already submitted, then stop the writer thread."""
        if self._loop is None:
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join)
        self._loop = None

    @property
    def running(self) -> bool:
        """Whether sign-ups can be saved: started, not stopped, and the thread alive."""
        return self._loop is not None and self._thread.is_alive()

    async def save(self, signup: Signup) -> Saved:
        """Return once ``signup`` is committed (or raise StoreUnavailable)."""
        if self._loop is None or not self._thread.is_alive():
            raise StoreUnavailable("the writer is not running")
        future: asyncio.Future[Saved] = self._loop.create_future()
        self._queue.put((signup, future))
        return await future

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True  # commit this batch first: it came before stop()
                    break
                batch.append(item)
            self._commit(batch)
        self._disconnect()

    def _commit(self, batch: list[_Pending]) -> None:
        assert self._loop is not None
        signups = [signup for signup, _ in batch]
        for attempt in range(1, ATTEMPTS + 1):
            granted: list[OutgoingMail] = []
            try:
                if self._connection is None:
                    self._connection = self._store.connect()
                connection = self._connection
                with connection.begin():
                    result = self._store.insert_batch(connection, signups, self._gate is not None)
                    mails = self._count_mails(connection, signups, result, granted)
                break
            except Exception as error:
                if self._gate is not None:
                    for mail in granted:
                        self._gate.release(mail)
                if attempt < ATTEMPTS and transient(error):
                    # Rolled back whole: nothing of it was kept, so it can simply run again.
                    log.warning("a batch of %d sign-ups was rolled back (%s); trying again, %d of %d",
                                len(batch), type(error.orig).__name__, attempt + 1, ATTEMPTS)
                    time.sleep(random.uniform(0.005, 0.05) * attempt)
                    continue
                log.exception("could not commit a batch of %d sign-ups", len(batch))
                self._disconnect()  # start afresh with the next batch
                self._loop.call_soon_threadsafe(_fail, batch)
                return
        if self._gate is not None:
            for mail in granted:
                self._gate.send(mail)
        self._loop.call_soon_threadsafe(_resolve, batch, result, mails)

    def _count_mails(
        self, connection: Connection, signups: list[Signup], result: BatchResult,
        granted: list[OutgoingMail],
    ) -> dict[str, MailOutcome]:
        """The mail outcome of each address of the batch; counted mails go to ``granted``.

        A confirmed address needs no mail, but gets "busy" whenever a mail would be refused
        to anyone: the reply must not tell who is confirmed.
        """
        gate = self._gate
        outcomes: dict[str, MailOutcome] = {}
        if gate is None:
            return outcomes
        closed: bool | None = None
        for signup in signups:
            email = signup.email
            if email in outcomes:
                continue
            row_id = result.unconfirmed.get(email)
            if row_id is not None:
                mail = OutgoingMail("confirm", row_id, email)
                outcomes[email] = gate.reserve(connection, mail)
                if outcomes[email] == "queued":
                    granted.append(mail)
            else:
                if closed is None:
                    closed = gate.closed(connection)
                outcomes[email] = "busy" if closed else "none"
        return outcomes

    def _disconnect(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.close()
            except Exception:
                log.exception("could not close the writer's database connection")


def _resolve(batch: list[_Pending], result: BatchResult, mails: dict[str, MailOutcome]) -> None:
    claimed: set[str] = set()  # a repeated address in one batch is new only for the first
    for signup, future in batch:
        email = signup.email
        new = email in result.inserted and email not in claimed
        claimed.add(email)
        saved = Saved(new=new, unconfirmed=email in result.unconfirmed,
                      mail=mails.get(email, "none"))
        if not future.done():  # a client that hung up has a cancelled future
            future.set_result(saved)


def _fail(batch: list[_Pending]) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(StoreUnavailable())
