""" "Open in Dashboard": the Dashboard API's video link at a moment, in the rooms marked for it.

Seed 001: the internal link needs a dashboard login, so only rooms an admin marks as
dashboard-user rooms (`dashboard room on`) get the button; elsewhere it would be a dead
end. The link is asked for at BACKGROUND priority while the clip itself is fetched, so it
never takes a clip's place in the rate budget; a reply waits for it a few seconds at most,
then goes without. Links are cached per camera and moment. Only https links are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from bot.footage.tables import dashboard_rooms
from bot.meraki import MerakiClient, MerakiError, Priority
from bot.messages import Hyperlink, Place, safe_link
from bot.store.work import fetch, write

log = logging.getLogger(__name__)

LABEL = "Open in Dashboard"
LINK_WAIT = 3.0  # seconds a reply waits for its link once its file is ready
CACHE_SIZE = 1024


def _now() -> datetime:
    return datetime.now(UTC)


class LinkSoon:
    """A dashboard link being fetched while the reply's file is; `result` waits briefly."""

    def __init__(self, task: asyncio.Task[Hyperlink | None] | None) -> None:
        self._task = task

    async def result(self, wait: float = LINK_WAIT) -> Hyperlink | None:
        if self._task is None:
            return None
        try:
            async with asyncio.timeout(wait):  # not wait_for: see ReadProcessor._serve
                return await asyncio.shield(self._task)
        except TimeoutError:
            log.info("dashboard link not ready in time; replying without it")
            return None

    def buttons(self, found: Hyperlink | None) -> tuple[Hyperlink, ...]:
        return (found,) if found is not None else ()


class DashboardLinks:
    """The marked rooms (in the store) and the links (from the API, cached)."""

    def __init__(
        self, engine: Engine, meraki: MerakiClient, clock: Callable[[], datetime] = _now
    ) -> None:
        self._engine = engine
        self._meraki = meraki
        self._clock = clock
        self._rooms: set[tuple[str, str]] | None = None
        self._cache: OrderedDict[tuple[str, int], Hyperlink] = OrderedDict()
        self._tasks: set[asyncio.Task[Hyperlink | None]] = set()

    async def marked(self, place: Place) -> bool:
        if self._rooms is None:
            rows = await fetch(self._engine, select(dashboard_rooms))
            self._rooms = {(row.platform, row.room_id) for row in rows}
        return (place.platform, place.room_id) in self._rooms

    async def mark(self, place: Place, on: bool, by: str) -> bool:
        """Mark or unmark the room; False when it already was so (nothing changes)."""
        if await self.marked(place) == on:
            return False
        assert self._rooms is not None
        where = (place.platform, place.room_id)
        if on:
            values = {
                "platform": place.platform,
                "room_id": place.room_id,
                "marked_by": by[:255],
                "marked_at": self._clock(),
            }
            # Marked by another process meanwhile: the same outcome.
            with contextlib.suppress(IntegrityError):
                await write(self._engine, insert(dashboard_rooms).values(**values))
            self._rooms.add(where)
        else:
            await write(
                self._engine,
                delete(dashboard_rooms).where(
                    dashboard_rooms.c.platform == place.platform,
                    dashboard_rooms.c.room_id == place.room_id,
                ),
            )
            self._rooms.discard(where)
        return True

    async def soon(self, serial: str, at: datetime, place: Place) -> LinkSoon:
        """Start fetching the link for `serial` at `at` if `place` is marked (else nothing)."""
        if not await self.marked(place):
            return LinkSoon(None)
        task = asyncio.get_running_loop().create_task(self.link(serial, at))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return LinkSoon(task)

    async def link(self, serial: str, at: datetime) -> Hyperlink | None:
        """The dashboard link at `at` (cached); None when the API has none or no safe one."""
        key = (serial, round(at.timestamp() * 1000))
        if (found := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return found
        try:
            video = await self._meraki.video_link(serial, at, priority=Priority.BACKGROUND)
        except MerakiError as error:
            log.info("no dashboard link serial=%s error=%s", serial, error)
            return None
        if not safe_link(video.url):
            log.warning("dashboard link refused (not a plain https link) serial=%s", serial)
            return None
        found = Hyperlink(LABEL, video.url)
        self._cache[key] = found
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return found
