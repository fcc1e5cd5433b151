"""A queue per channel: posts to one channel go out in order, at most one per interval.

Alone, a replica keeps the pace itself; in a fleet the slots come from the shared store
(bot.outbox.SharedTurns), so the pace holds for all replicas together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.outbox import SharedTurns

# Slack allows about one message per second per channel and answers bursts with 429.
DEFAULT_INTERVAL = 1.0


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0
    users: int = 0  # holders and waiters: an idle lane is dropped


class ChannelPacer:
    """`async with pacer.turn(channel):` waits its turn, then the caller posts.

    Turns in one channel are granted first come, first served (asyncio.Lock is fair) and
    start at least `interval` apart; other channels are not held up. Nothing is dropped:
    a burst waits. The clock and sleep are injectable so tests run on virtual time.
    """

    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lanes: dict[str, _Lane] = {}
        self.shared: SharedTurns | None = None  # set when replicas share the pace

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        self._forget_idle()
        lane = self._lanes.setdefault(channel, _Lane())
        lane.users += 1
        try:
            async with lane.lock:
                wait = lane.next_at - self._clock()
                if wait > 0:
                    await self._sleep(wait)
                if self.shared is not None:  # reserved only once this replica's pace is kept
                    wait = await self.shared.reserve(channel, self.interval)
                    if wait > 0:
                        await self._sleep(wait)
                try:
                    yield
                finally:
                    lane.next_at = self._clock() + self.interval
        finally:
            lane.users -= 1

    def _forget_idle(self) -> None:
        # A lane nobody uses whose interval has passed holds nothing worth remembering.
        now = self._clock()
        idle = [c for c, lane in self._lanes.items() if lane.users == 0 and lane.next_at <= now]
        for channel in idle:
            del self._lanes[channel]

    @property
    def channels(self) -> int:
        """Lanes held (for tests: idle channels are forgotten)."""
        return len(self._lanes)
