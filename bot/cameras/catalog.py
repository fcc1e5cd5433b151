"""The camera catalog: builds the camera directory from the Dashboard API and keeps it fresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping

from bot.cameras.directory import CameraDirectory, CameraRecord
from bot.meraki import MerakiClient, MerakiError, Priority

log = logging.getLogger(__name__)

# Tags that mark a camera whose reads feed licence-plate recognition.
PLATE_TAGS = frozenset({"lpr", "plates", "anpr"})


class CameraCatalog:
    """The current `CameraDirectory`, loaded on first use and refreshed in the background.

    A lookup that misses triggers one early refresh (a camera added since the last load),
    but no more often than `min_refresh` seconds, so typos cannot spend the rate budget.
    """

    def __init__(
        self,
        client: MerakiClient,
        *,
        aliases: Mapping[str, str] | None = None,
        time_zones: Mapping[str, str] | None = None,
        max_age: float = 600.0,
        min_refresh: float = 30.0,
    ) -> None:
        self._client = client
        self._aliases = dict(aliases or {})
        self._time_zones = dict(time_zones or {})
        self._max_age = max_age
        self._min_refresh = min_refresh
        self._directory: CameraDirectory | None = None
        self._loaded_at = 0.0
        self._sense: dict[str, bool] = {}  # Sense licences change rarely: asked once per camera
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    async def directory(self, *, fresh: bool = False) -> CameraDirectory:
        """The directory; loaded now the first time or when `fresh` is asked for (someone is
        waiting), otherwise refreshed in the background once stale, so no one waits for it."""
        async with self._lock:
            age = time.monotonic() - self._loaded_at
            if self._directory is None or (fresh and age > self._min_refresh):
                await self._load(Priority.INTERACTIVE)
            elif age > self._max_age and self._refresh is None:
                self._refresh = asyncio.create_task(self._refresh_in_background())
            assert self._directory is not None
            return self._directory

    async def warm(self, within: float) -> None:
        """Load the directory now, so the first person to ask does not wait for it; a cloud
        that is down or slow is logged, not fatal (the first lookup tries again)."""
        try:
            async with asyncio.timeout(within):
                await self.directory()
        except (MerakiError, TimeoutError) as error:
            log.warning("camera catalog not loaded at start error=%r", error)

    async def close(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh

    async def _refresh_in_background(self) -> None:
        try:
            async with self._lock:
                await self._load(Priority.BACKGROUND)
        except MerakiError as error:
            log.warning("camera catalog refresh failed error=%r", error)
            # Keep serving the old directory; try again after `min_refresh`, not at once.
            self._loaded_at = time.monotonic() - self._max_age + self._min_refresh
        finally:
            self._refresh = None

    async def _load(self, priority: Priority) -> None:
        client = self._client
        networks, devices, availabilities = await asyncio.gather(
            client.networks(priority=priority),
            client.cameras(priority=priority),
            client.availabilities(priority=priority),
        )
        zones = {n.id: n.time_zone for n in networks}
        network_names = {n.id: n.name for n in networks}
        status = {a.serial: a.status for a in availabilities}
        sense = await self._sense_flags([d.serial for d in devices], priority)
        records = [
            CameraRecord(
                serial=d.serial,
                name=d.name or d.serial,
                model=d.model,
                network_id=d.network_id or "",
                network_name=network_names.get(d.network_id or "", ""),
                time_zone=zones.get(d.network_id or "") or "UTC",
                tags=tuple(d.tags),
                status=status.get(d.serial, "unknown"),
                sense=sense.get(d.serial, False),
                lpr=bool(PLATE_TAGS & {t.lower() for t in d.tags}),
            )
            for d in devices
        ]
        self._directory = CameraDirectory(records, self._aliases, self._time_zones)
        self._loaded_at = time.monotonic()
        log.info("camera catalog loaded cameras=%d", len(records))

    async def _sense_flags(self, serials: list[str], priority: Priority) -> dict[str, bool]:
        async def one(serial: str) -> None:
            try:
                settings = await self._client.sense_settings(serial, priority=priority)
            except MerakiError as error:
                log.warning("sense settings unavailable serial=%s error=%r", serial, error)
                return
            self._sense[serial] = settings.sense_enabled

        await asyncio.gather(*(one(s) for s in serials if s not in self._sense))
        return self._sense
