"""A per-address limit of N sign-up attempts a minute, shared by every instance through the
database (GCRA: one row per recently seen client, keyed by an HMAC of its address)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import time
from collections.abc import Callable

from waitlist.store import Store

WINDOW_SECONDS = 60.0
PRUNE_EVERY_SECONDS = 60.0
# Without WAITLIST_SECRET the key is fixed: the stored keys are then only as hard to reverse as
# there are IPv4 addresses to try. With it, they cannot be reversed without the secret.
DEFAULT_KEY = b"rebuilding-trust waitlist rate limit"


class RateLimiter:
    """Allows ``limit`` attempts per address per minute, as a burst or spread out.

    The generic cell rate algorithm keeps, per address, the time at which its allowance is
    theoretically back to full; an attempt is refused while that time is more than a window
    minus one interval away. The time lives in the database (store.rate_limit), so instances
    that share it share the limit, and a restart or a deploy forgets nothing. The address is
    stored only as an HMAC. Each attempt is one statement, run off the event loop; attempts that
    arrive together share a transaction.
    """

    def __init__(
        self, store: Store, limit: int, key: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1; use no RateLimiter to turn it off")
        self._store = store
        self._interval_ms = round(WINDOW_SECONDS * 1000 / limit)
        self._tolerance_ms = round(WINDOW_SECONDS * 1000) - self._interval_ms
        self._key = key or DEFAULT_KEY
        self._clock = clock
        self._next_prune = 0.0
        self._pending: list[tuple[str, asyncio.Future[int | None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def hit(self, address: str) -> int | None:
        """Count an attempt; None if allowed, else the seconds to wait before the next one.

        Attempts that arrive while a transaction is out wait for the next one, and go in it
        together (group commit, as writer.py does for sign-ups): under load, one commit counts
        many attempts, and on SQLite the writer's lock is taken once per batch, not per attempt.
        """
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.append((address, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    waits = await asyncio.to_thread(self.hit_now, *(a for a, _ in batch))
                except Exception as error:  # every attempt of the batch gets the error
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), wait in zip(batch, waits, strict=True):
                    if not future.done():  # a client that hung up has a cancelled future
                        future.set_result(wait)
        finally:
            self._flushing = None

    def hit_now(self, *addresses: str) -> list[int | None]:
        """Count one attempt by each address, in one transaction, blocking: for a thread,
        never the event loop. For each, None if allowed, else the seconds to wait."""
        now = self._clock()
        now_ms = int(now * 1000)
        if now >= self._next_prune:  # each instance prunes now and then; DELETE is idempotent
            self._next_prune = now + PRUNE_EVERY_SECONDS
            self._store.prune_rate_limit(now_ms)
        waits = self._store.rate_hits(
            [self.client_key(address) for address in addresses], now_ms, self._interval_ms,
            self._tolerance_ms,
        )
        return [None if wait is None else max(1, math.ceil(wait / 1000)) for wait in waits]

    def client_key(self, address: str) -> str:
        """What the database keeps instead of the address."""
        return hmac.new(self._key, address.encode("utf-8"), hashlib.sha256).hexdigest()


def client_address(
    peer: tuple[str, int] | None, forwarded_for: list[str], trusted_hops: int
) -> str:
    """The address to rate-limit: the socket peer, or with ``trusted_hops`` proxies in front
    of us, the entry that the outermost trusted proxy appended to X-Forwarded-For.

    Entries further left are written by the client and can say anything, so they are used
    only when the header holds no more entries than there are trusted proxies.
    """
    peer_host = peer[0] if peer else "unknown"
    if trusted_hops <= 0:
        return peer_host
    entries = [entry.strip() for value in forwarded_for for entry in value.split(",")]
    entries = [entry for entry in entries if entry]
    if not entries:
        return peer_host
    return entries[-min(trusted_hops, len(entries))]
