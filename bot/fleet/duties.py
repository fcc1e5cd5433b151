"""What the leader does and no other replica, started once when it is elected and stopped
with the bot (bot/app.py lists the duties: everything that would happen N times with N
replicas). One process alone on its database leads from the start, so this is also what a
restart resumes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from bot.fleet.fleet import Work

log = logging.getLogger(__name__)

# Starts the duties, pushing each one's stop on the stack it is given.
Start = Callable[[AsyncExitStack], Awaitable[None]]


class LeaderDuties:
    """`start` once elected, `tick` every third of the lease while leading."""

    def __init__(self, start: Start, tick: Work) -> None:
        self._start = start
        self._tick = tick
        self._stack = AsyncExitStack()

    async def start(self) -> None:
        await self._start(self._stack)
        log.info("leader duties started")

    async def tick(self) -> None:
        await self._tick()

    async def stop(self) -> None:
        await self._stack.aclose()
