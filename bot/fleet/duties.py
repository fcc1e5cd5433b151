"""What the leader does and no other replica: everything that would happen N times with N
replicas. One process alone on its database leads from the start, so this is also what a
restart resumes."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

from bot.clips.deferred import PendingClips
from bot.events.service import EventServices
from bot.exports import ExportService
from bot.fleet.fleet import Work
from bot.health.monitor import HealthMonitor
from bot.incidents import IncidentService
from bot.media.housekeeping import sweeping
from bot.occupancy import Occupancy
from bot.scheduler import Scheduler
from bot.shares import ShareService

log = logging.getLogger(__name__)


class LeaderDuties:
    """Started once when this replica is elected; stopped with the bot."""

    def __init__(
        self,
        scheduler: Scheduler,
        pending: PendingClips,
        shares: ShareService,
        incidents: IncidentService,
        exports: ExportService,
        events: EventServices,
        occupancy: Occupancy,
        health: HealthMonitor,
        *,
        sweep: tuple[Path, timedelta],
        take_over: Work,
    ) -> None:
        self._scheduler = scheduler
        self._pending = pending
        self._shares = shares
        self._incidents = incidents
        self._exports = exports
        self._events = events
        self._occupancy = occupancy
        self._health = health
        self._sweep = sweep
        self._take_over = take_over
        self._stack = AsyncExitStack()

    async def start(self) -> None:
        stack = self._stack
        # Jobs run here only; the resumes re-arm from the feature tables, the source of truth
        # (a job a dead leader had taken off the scheduler's table is armed again).
        await self._scheduler.lead()
        await self._pending.resume()
        await self._shares.resume()
        await self._incidents.jobs.resume()
        await self._exports.resume()
        await self._occupancy.start()  # threshold alerts and their polling
        stack.push_async_callback(self._occupancy.stop)
        await self._events.resume_alerts()
        await self._health.start()  # camera health polling and notices
        stack.push_async_callback(self._health.stop)
        await stack.enter_async_context(sweeping(*self._sweep))
        log.info("leader duties started")

    async def tick(self) -> None:
        """Every third of the lease: the commands of replicas that died since."""
        await self._take_over()

    async def stop(self) -> None:
        await self._stack.aclose()
