"""A per-address limit of N attempts a minute (GCRA: one timestamp kept per address)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0
MAX_TRACKED_ADDRESSES = 100_000


class RateLimiter:
    """Allows ``limit`` attempts per address per minute, as a burst or spread out.

    The generic cell rate algorithm keeps, per address, the time at which its allowance is
    theoretically back to full ("tat"); an attempt is refused while that time is more than a
    window minus one interval away. Memory is one float per recently seen address.
    """

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1; use no RateLimiter to turn it off")
        self._interval = WINDOW_SECONDS / limit
        self._tolerance = WINDOW_SECONDS - self._interval
        self._clock = clock
        self._tat: dict[str, float] = {}

    def hit(self, address: str) -> int | None:
        """Count an attempt; None if allowed, else the seconds to wait before the next one."""
        now = self._clock()
        tat = max(self._tat.get(address, now), now)
        wait = tat - self._tolerance - now
        if wait > 0:
            return max(1, math.ceil(wait))
        if len(self._tat) >= MAX_TRACKED_ADDRESSES and address not in self._tat:
            self._forget_idle(now)
        self._tat[address] = tat + self._interval
        return None

    def _forget_idle(self, now: float) -> None:
        idle = [address for address, tat in self._tat.items() if tat <= now]
        for address in idle:
            del self._tat[address]
        if len(self._tat) >= MAX_TRACKED_ADDRESSES:  # a flood of addresses: start afresh
            self._tat.clear()


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
