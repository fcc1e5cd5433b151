"""Turns at the plate store: storing first (it acknowledges), processing between commits.

Storing and processing share one database writer and one interpreter. During a burst,
every moment processing holds the store delays a commit, and so the acknowledgements
that let the broker send more; so while reads arrive faster than BURST_RATE a second,
processing waits until SETTLE seconds pass without one. At a steady trickle it takes the
store whenever nothing waits to be stored. Its turn is short (the caller takes a small batch)
until reads have been calm for CALM seconds, and ends early, with what it has done, when
reads arrive meanwhile: a lull in the middle of a burst is not its end. Either way it waits
`longest` at most and then keeps its whole turn, so it never starves. In one process this
replaces SQLite's busy wait (which sleeps in steps of up to 100 ms) and two threads taking
turns at Python's global lock in the middle of a transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import NamedTuple

BURST_RATE = 1000  # reads a second above which arrivals are a burst
RATE_OVER = 0.1  # seconds the rate is measured over: a burst is known as such at once
SETTLE = 0.05  # seconds without a new read after which a burst is taken to be over
CALM = 0.25  # seconds without a new read after which processing may take long turns


class Turn(NamedTuple):
    """Processing's hold on the store."""

    calm: bool  # reads have been calm for CALM seconds: a long turn is fine
    wanted: Callable[[], bool]  # reads wait to be stored: finish what is done and let go


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

    def waiting(self) -> bool:
        """Whether reads wait to be stored: a turn should end soon. Asked from processing's
        thread (one flag read)."""
        return not self._idle.is_set()

    @contextlib.asynccontextmanager
    async def between_commits(self, longest: float) -> AsyncIterator[Turn]:
        """Hold the store for processing; gives the Turn."""
        loop = asyncio.get_running_loop()
        forced = False
        try:
            async with asyncio.timeout(longest):
                await self._lull(loop)
        except TimeoutError:
            forced = True  # waited long enough: this turn is not cut short
        async with self._lock:
            calm = loop.time() - self._arrived_at >= CALM
            yield Turn(calm, _never if forced else self.waiting)

    async def _lull(self, loop: asyncio.AbstractEventLoop) -> None:
        """Return once nothing waits to be stored and reads are not arriving in a burst."""
        while True:
            await self._idle.wait()
            lull = loop.time() - self._arrived_at
            if lull >= SETTLE or self._rate(loop.time()) < BURST_RATE * RATE_OVER:
                return
            self._arrival.clear()
            try:
                async with asyncio.timeout(SETTLE - lull):
                    await self._arrival.wait()  # more came: the burst goes on
            except TimeoutError:
                return

    def _rate(self, now: float) -> int:
        """Reads that arrived within the last RATE_OVER seconds."""
        while self._recent and self._recent[0][0] < now - RATE_OVER:
            self._recent_reads -= self._recent.popleft()[1]
        return self._recent_reads


def _never() -> bool:
    return False
