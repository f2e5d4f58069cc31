"""Slow clients: deadlines for a request's head and body, a cap on connections, a quiet log.

uvicorn 0.54 times out nothing while a request arrives. Its keep-alive timer runs only
between requests and stops at the first byte of the next one; a new connection that sends
nothing, or half a head, or a body one byte at a time, is held for ever. A few hundred such
connections use up the process's file descriptors, and every normal request waits.

``GuardedHttpToolsProtocol`` is uvicorn's own httptools protocol (the fast C parser, on
uvloop's event loop) with three additions, given to uvicorn as ``Config(http=...)`` (which
takes a class):

- Deadlines. A request's head must be complete ``header_timeout`` seconds after the
  connection opens, or after its first byte on a kept-alive connection; its body
  ``body_timeout`` seconds after the head. A late client gets ``408 Request Timeout`` if
  anything of its request arrived (silence otherwise) and the connection is closed. The
  deadline is fixed when the wait starts: bytes trickling in do not extend it. The body
  deadline lives here and not in the app, because uvicorn keeps reading a body the app did
  not read (a POST to a page, an oversized sign-up) as long as bytes keep coming. A client
  that stops reading a reply for ``body_timeout`` seconds is cut off too. A request pipelined
  behind one the service is still answering waits without a deadline (uvicorn stops reading
  it); its deadline starts when the service turns to it.
- A cap on open connections, below the file descriptor limit. When it is reached, a new
  connection takes the place of the one that has been waiting longest *for its client*
  (idle, or with its head or body still arriving): under a slow-client attack the attacker's
  connections make room, not the normal visitors'. If every connection is waiting for the
  service itself, the new one gets ``503`` with ``Retry-After`` and is closed.
- Nothing is logged per connection. ``quiet_repeated_logs`` lets through one of uvicorn's
  warnings about a bad request (which any client can repeat) per minute, with a count of those
  held back, and the same for asyncio's ``accept() out of system resource`` on the standard
  event loop. (uvloop does not log that one: libuv closes what it cannot accept. The cap is
  what keeps the process away from the descriptor limit in the first place.)

Where the client is in its request comes from httptools' callbacks (``on_message_begin``,
``on_headers_complete``, ``on_message_complete``), which uvicorn's protocol receives: unlike
h11, httptools has no state to ask. uvicorn's h11 protocol is not offered as a fallback:
uvloop and httptools are pinned requirements, so the pure-Python pair would be an untested
path that nothing selects.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from waitlist.config import Settings

log = logging.getLogger("waitlist")

# Descriptors the process needs beside its connections: stdio, the listening socket, the
# event loop's, SQLite's files (database, WAL, shared memory), a large file being streamed,
# the mail server, connections being refused. About a dozen are open at rest.
MIN_RESERVED_FDS = 64
RETRY_AFTER_SECONDS = 5
# A refused connection reads (and drops) the request, so that closing it does not reset the
# reply away; this long at most.
REFUSED_LINGER_SECONDS = 1.0
MAX_LINGERING_REFUSALS = MIN_RESERVED_FDS // 4
# After close(), what a client that does not read is still given to take our last reply.
CLOSE_GRACE_SECONDS = 2.0
REPEAT_LOG_INTERVAL_SECONDS = 60.0

# What uvicorn logs for each bad request: a client could fill the disk with them.
CLIENT_TRIGGERED_WARNINGS = (
    "Invalid HTTP request received.",
    "Unsupported upgrade request.",
    "No supported WebSocket library detected.",
)

Phase = Literal["idle", "head", "body"]  # what the connection waits for from its client
Parsing = Literal["head", "body"]  # the part of a request httptools is reading


@dataclass(frozen=True)
class TransportLimits:
    header_timeout: float
    body_timeout: float
    max_connections: int
    backlog: int


def fd_soft_limit() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def reserved_fds(fd_limit: int) -> int:
    return max(MIN_RESERVED_FDS, fd_limit // 4)


def connection_cap(configured: int | None, fd_limit: int) -> int:
    """``WAITLIST_MAX_CONNECTIONS``, or the most the descriptor limit leaves room for if unset
    or above it (the reserve kept apart)."""
    ceiling = max(1, fd_limit - reserved_fds(fd_limit))
    return ceiling if configured is None else min(configured, ceiling)


def listen_backlog(fd_limit: int) -> int:
    """The listening socket's queue, which also bounds how many connections the event loop
    accepts in a row, once per turn (libuv, under uvloop, accepts until the queue is empty;
    asyncio takes up to the backlog). A connection that has to make room at the cap
    closes another one two or three turns later, and only then is its descriptor free: so
    up to four such batches are open beyond the cap at once. An eighth of the reserve each
    keeps them within it (uvicorn's default is 2048)."""
    return max(8, min(2048, reserved_fds(fd_limit) // 8))


def _plain_reply(status: int, reason: str, extra: str = "") -> bytes:
    body = f"{reason}\n".encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nx-content-type-options: nosniff\r\n"
        f"cache-control: no-store\r\n{extra}connection: close\r\n\r\n"
    )
    return head.encode() + body


REQUEST_TIMEOUT = _plain_reply(408, "Request Timeout")
SERVICE_UNAVAILABLE = _plain_reply(
    503, "Service Unavailable", f"retry-after: {RETRY_AFTER_SECONDS}\r\n"
)


class ConnectionGuard:
    """The open connections of one process, and which of them wait for their client."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: set[GuardedHttpToolsProtocol] = set()
        # In the order they started waiting: the first has waited longest.
        self._waiting: dict[GuardedHttpToolsProtocol, None] = {}
        self.refusing = 0

    def admit(self, protocol: GuardedHttpToolsProtocol) -> bool:
        """Count ``protocol`` in, making room if needed; False: the service is full."""
        if len(self._open) >= self.limit:
            oldest = next(iter(self._waiting), None)
            if oldest is None:
                return False
            oldest.give_up()
        self._open.add(protocol)
        return True

    def waiting(self, protocol: GuardedHttpToolsProtocol, waits: bool) -> None:
        self._waiting.pop(protocol, None)
        if waits and protocol in self._open:
            self._waiting[protocol] = None  # re-inserted: now the newest

    def release(self, protocol: GuardedHttpToolsProtocol) -> None:
        self._open.discard(protocol)
        self._waiting.pop(protocol, None)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with request deadlines and a connection cap (see the
    module)."""

    limits: ClassVar[TransportLimits]
    guard: ClassVar[ConnectionGuard]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._phase: Phase | None = None
        self._parsing: Parsing | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._write_stall: asyncio.TimerHandle | None = None
        self._abort_later: asyncio.TimerHandle | None = None
        self._refused = False

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if not self.guard.admit(self):
            self._refuse(transport)
            return
        super().connection_made(transport)
        self._enter("head", self.limits.header_timeout)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the request of a refused connection: read and dropped
        if self._phase == "idle":  # the first byte of the next request on a kept-alive connection
            self._enter("head", self.limits.header_timeout)
        super().data_received(data)
        self._follow_request()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._deadline, self._write_stall, self._abort_later):
            if timer is not None:
                timer.cancel()
        if self._refused:
            self.guard.refusing -= 1
            return
        self.guard.release(self)
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        if self._refused:
            return
        super().pause_writing()
        if self._write_stall is None:
            self._write_stall = self.loop.call_later(self.limits.body_timeout, self.transport.abort)

    def resume_writing(self) -> None:
        if self._refused:
            return
        super().resume_writing()
        if self._write_stall is not None:
            self._write_stall.cancel()
            self._write_stall = None

    # -- httptools' callbacks, and uvicorn's at the end of a reply ------------------------
    # uvicorn's own callbacks return early in some states (a body after the reply): the
    # part being read is noted whatever they do.

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._parsing = "head"

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._parsing = "body"

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._parsing = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow_request()

    # -- the request's progress ----------------------------------------------------------

    def _awaited(self) -> Phase | None:
        """What the connection waits for from its client; None: for the service itself."""
        # uvicorn queues a request whose head arrives while an earlier one is being answered
        # (and stops reading); self.cycle is then the queued one's.
        answering = bool(self.pipeline) or (
            self.cycle is not None and not self.cycle.response_complete
        )
        if self._parsing == "body":
            return None if self.pipeline else "body"
        if answering:
            return None
        if self._parsing == "head":
            return "head"
        return "head" if self._phase == "head" else "idle"  # "head": nothing arrived yet

    def _follow_request(self) -> None:
        """Set the phase from where the client is in its request; a deadline already running
        for that phase stays as it is."""
        awaited = None if self._refused or self.transport.is_closing() else self._awaited()
        if awaited is None or awaited != self._phase:
            self._enter(awaited, self.limits.body_timeout if awaited == "body"
                        else self.limits.header_timeout)

    def _enter(self, phase: Phase | None, timeout: float = 0.0) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = phase
        if phase in ("head", "body"):
            self._deadline = self.loop.call_later(timeout, self.give_up)
        elif phase == "idle" and self.timeout_keep_alive_task is None:
            # uvicorn arms its keep-alive timer when a reply is complete, and stops it at the
            # next bytes: here a body the app did not read, which ended after the reply.
            self._deadline = self.loop.call_later(self.timeout_keep_alive, self.give_up)
        self.guard.waiting(self, phase is not None)

    def give_up(self) -> None:
        """Close a connection whose client is late, or oldest when room is needed."""
        self.guard.release(self)
        self._enter(None)
        if self.transport.is_closing():
            return
        if self._request_in_progress():
            if self.cycle is not None and not self.cycle.response_complete:
                # Whatever the app still sends goes nowhere; its receive() says disconnected.
                self.cycle.disconnected = True
            self.transport.write(REQUEST_TIMEOUT)
        self._close()

    def _request_in_progress(self) -> bool:
        """True when part of a request arrived and no reply to it has started."""
        if self._parsing == "head":
            return True
        if self._parsing == "body":
            return self.cycle is not None and not self.cycle.response_started
        return False

    def _refuse(self, transport: asyncio.Transport) -> None:
        """503 at once, then read (and drop) the request until the client closes, briefly."""
        self._refused = True
        self.transport = transport
        self.guard.refusing += 1
        transport.write(SERVICE_UNAVAILABLE)
        if self.guard.refusing > MAX_LINGERING_REFUSALS:  # a flood: keep no descriptor waiting
            transport.close()
            return
        if transport.can_write_eof():
            transport.write_eof()
        self._abort_later = self.loop.call_later(REFUSED_LINGER_SECONDS, transport.abort)

    def _close(self) -> None:
        self.transport.close()  # sends what is buffered first
        self._abort_later = self.loop.call_later(CLOSE_GRACE_SECONDS, self.transport.abort)


def limits_for(settings: Settings, fd_limit: int | None = None) -> TransportLimits:
    """The limits ``settings`` ask for, the cap kept below the file descriptor limit."""
    fd_limit = fd_soft_limit() if fd_limit is None else fd_limit
    cap = connection_cap(settings.max_connections, fd_limit)
    if settings.max_connections is not None and cap < settings.max_connections:
        log.warning(
            "WAITLIST_MAX_CONNECTIONS=%d is more than the file descriptor limit (%d) leaves "
            "room for: using %d (raise LimitNOFILE to allow more)",
            settings.max_connections, fd_limit, cap,
        )
    return TransportLimits(
        settings.header_timeout, settings.body_timeout, cap, listen_backlog(fd_limit)
    )


def guarded_protocol(limits: TransportLimits) -> type[GuardedHttpToolsProtocol]:
    """A protocol class for ``uvicorn.Config(http=...)``, with its own connection guard."""
    return type(
        "GuardedHttpToolsProtocol",
        (GuardedHttpToolsProtocol,),
        {"limits": limits, "guard": ConnectionGuard(limits.max_connections)},
    )


# -- the log ---------------------------------------------------------------------------------


class RepeatedMessageFilter(logging.Filter):
    """Lets one record starting with ``prefix`` through per interval, counting the others.

    The record let through loses its traceback: for a message that can repeat thousands of
    times a second, one line saying what happened is enough.
    """

    def __init__(
        self, prefix: str, interval: float = REPEAT_LOG_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.prefix = prefix
        self.interval = interval
        self._clock = clock
        self._next_allowed = float("-inf")
        self._held_back = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.prefix):
            return True
        now = self._clock()
        if now < self._next_allowed:
            self._held_back += 1
            return False
        self._next_allowed = now + self.interval
        error = record.exc_info[1] if record.exc_info else None
        detail = f" ({error})" if error is not None else ""
        held = f"; {self._held_back} more in the last {self.interval:g} s" if self._held_back else ""
        record.msg = f"{self.prefix}{detail}{held}; at most one such line per {self.interval:g} s"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        self._held_back = 0
        return True


def quiet_repeated_logs() -> None:
    """Rate-limit the log lines a client or a lack of file descriptors can repeat at will."""
    logging.getLogger("asyncio").addFilter(
        RepeatedMessageFilter("socket.accept() out of system resource")
    )
    uvicorn_log = logging.getLogger("uvicorn.error")
    for prefix in CLIENT_TRIGGERED_WARNINGS:
        uvicorn_log.addFilter(RepeatedMessageFilter(prefix))
