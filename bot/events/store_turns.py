"""Turns at the plate store: storing first (it acknowledges), processing between commits.

Storing and processing share one database writer and one interpreter. During a burst,
every moment processing holds the store delays a commit, and so the acknowledgements
that let the broker send more; so while reads arrive faster than BURST_RATE a second,
processing waits until SETTLE seconds pass without one. At a steady trickle it takes the
store whenever nothing waits to be stored. Either way it waits `longest` at most, so it
never starves, and its turn is short (the caller takes a small batch) until reads have
been calm for CALM seconds. In one process this replaces SQLite's busy wait (which sleeps
in steps of up to 100 ms) and two threads taking turns at Python's global lock in the
middle of a transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import AsyncIterator

BURST_RATE = 1000  # reads a second above which arrivals are a burst
RATE_OVER = 0.1  # seconds the rate is measured over: a burst is known as such at once
SETTLE = 0.05  # seconds without a new read after which a burst is taken to be over
CALM = 0.25  # seconds without a new read after which processing may take long turns


class StoreTurns:
    """Told when reads arrive and when the queue is drained; hands out the store."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._idle = asyncio.Event()  # nothing waits to be stored
        self._idle.set()
        self._arrival = asyncio.Event()  # set by every arrival
        self._arrived_at = -math.inf  # event loop time of the last arrival
        self._recent: deque[tuple[float, int]] = deque()  # (time, reads) within RATE_OVER
        self._recent_reads = 0

    def arrived(self, reads: int) -> None:
        """Reads were handed in to be stored."""
        now = asyncio.get_running_loop().time()
        self._arrived_at = now
        self._recent.append((now, reads))
        self._recent_reads += reads
        self._idle.clear()
        self._arrival.set()

    def drained(self) -> None:
        """Everything handed in is stored."""
        self._idle.set()

    def storing(self) -> asyncio.Lock:
        """Held by each commit."""
        return self._lock

    @contextlib.asynccontextmanager
    async def between_commits(self, longest: float) -> AsyncIterator[bool]:
        """Hold the store for processing; gives whether reads have been calm (True: a long
        turn is fine)."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(longest):
                while True:
                    await self._idle.wait()
                    lull = loop.time() - self._arrived_at
                    if lull >= SETTLE or self._rate(loop.time()) < BURST_RATE * RATE_OVER:
                        break
                    self._arrival.clear()
                    try:
                        async with asyncio.timeout(SETTLE - lull):
                            await self._arrival.wait()  # more came: the burst goes on
                    except TimeoutError:
                        break
        async with self._lock:
            yield loop.time() - self._arrived_at >= CALM

    def _rate(self, now: float) -> int:
        """Reads that arrived within the last RATE_OVER seconds."""
        while self._recent and self._recent[0][0] < now - RATE_OVER:
            self._recent_reads -= self._recent.popleft()[1]
        return self._recent_reads
