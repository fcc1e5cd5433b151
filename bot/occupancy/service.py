"""The occupancy feature assembled: live counts (MQTT, else REST), history, zones and alerts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.cameras.catalog import CameraCatalog
from bot.config.sections import OccupancySettings
from bot.meraki import LiveOccupancy, MerakiClient, MerakiError, Priority
from bot.meraki.coalesce import Coalescer
from bot.occupancy.history import HistoryFetcher
from bot.occupancy.live import LiveCounts, parse_sense_message
from bot.occupancy.threshold_store import AlertStore
from bot.occupancy.thresholds import PERSON, AlertWatcher
from bot.occupancy.zones import FULL_FRAME, Region, ZoneBook, zone_name
from bot.outbox import Outbox

log = logging.getLogger(__name__)

# Every Sense topic of every camera; `receive` keeps the zone counts and drops the rest
# (raw_detections, light, audio, plates).
SENSE_TOPIC = "/merakimv/+/+"


@dataclass(frozen=True)
class ZoneNow:
    region: Region
    counts: Mapping[str, int]

    @property
    def people(self) -> int:
        return self.counts.get(PERSON, 0)


@dataclass(frozen=True)
class LiveView:
    """A camera's counts now, where they came from and, for REST, why MQTT was not used."""

    serial: str
    zones: tuple[ZoneNow, ...]
    at: datetime
    source: str  # "mqtt" or "rest"
    mqtt_configured: bool
    last_mqtt: datetime | None = None  # the camera's latest MQTT message, for a REST answer

    @property
    def people(self) -> int:
        return self.count(PERSON)

    def count(self, kind: str) -> int:
        """The whole frame's count of `kind`, which sees every zone; else the zones' sum."""
        whole = next((z for z in self.zones if z.region.id == FULL_FRAME), None)
        if whole is not None:
            return whole.counts.get(kind, 0)
        return sum(z.counts.get(kind, 0) for z in self.zones)


class Occupancy:
    """Everything `occupancy` needs, built once per process from its settings section."""

    def __init__(
        self,
        settings: OccupancySettings,
        meraki: MerakiClient,
        catalog: CameraCatalog,
        engine: Engine,
        outbox: Outbox,
        clock: Callable[[], datetime],
        *,
        mqtt: bool = False,
    ) -> None:
        self.settings = settings
        self._meraki = meraki
        self.live = LiveCounts(staleness=settings.live_staleness, clock=clock, configured=mqtt)
        self.zones = ZoneBook(meraki)
        self.history = HistoryFetcher(
            meraki,
            self.zones,
            source=settings.source.value,
            cache_ttl=settings.cache.total_seconds(),
        )
        self.alerts = AlertWatcher(
            AlertStore(engine),
            self.live,
            meraki,
            catalog,
            outbox,
            hysteresis=settings.alert_hysteresis,
            cooldown=settings.alert_cooldown,
            poll_interval=settings.alert_poll,
        )
        self._rest_live: Coalescer[LiveOccupancy] = Coalescer()

    async def start(self) -> None:
        await self.alerts.start()

    async def stop(self) -> None:
        await self.alerts.stop()

    async def receive(self, topic: str, payload: bytes) -> None:
        """Handler of the MQTT ingest's SENSE_TOPIC subscription (`mqtt` says one feeds it)."""
        update = parse_sense_message(topic, payload)
        if update is not None:
            self.live.apply(update)

    async def now(self, serial: str, *, priority: Priority) -> LiveView:
        """The camera's counts per zone: MQTT when every zone is fresh, else the REST endpoint."""
        try:
            regions = await self.zones.zones(serial, priority=priority)
        except MerakiError as error:
            # Without the zone list (labels), the zones the counts name are still worth showing.
            log.warning("analytics zones unavailable serial=%s error=%r", serial, error)
            regions = _unnamed(sorted(self.live.readings(serial), key=lambda z: z != FULL_FRAME))
        fresh = self.live.fresh(serial, [r.id for r in regions]) if self.live.configured else None
        if fresh is not None:
            return LiveView(
                serial,
                tuple(ZoneNow(r, fresh[r.id].counts) for r in regions),
                min(reading.at for reading in fresh.values()),
                "mqtt",
                True,
            )

        async def ask() -> LiveOccupancy:
            return await self._meraki.analytics_live(serial, priority=priority)

        answer = await self._rest_live.run(serial, ask)
        named = {r.id for r in regions}
        extra = sorted((z for z in answer.zones if z not in named), key=lambda z: z != FULL_FRAME)
        ordered = [*regions, *_unnamed(extra, len(regions))]
        return LiveView(
            serial,
            tuple(ZoneNow(r, answer.zones.get(r.id, {})) for r in ordered),
            answer.at,
            "rest",
            self.live.configured,
            self.live.last_seen(serial),
        )


def _unnamed(zone_ids: list[str], before: int = 0) -> list[Region]:
    return [Region(z, zone_name(z, "", before + i), "zone") for i, z in enumerate(zone_ids, 1)]
