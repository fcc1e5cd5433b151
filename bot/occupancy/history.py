"""Sense history over a window: split into requests the API allows, joined, cached and shared.

Two sources answer different questions. The legacy analytics endpoints (seed 002) give each
zone's per-minute average occupancy and entrances, at most 14 h per request. The current
boundaries API gives the in/out crossings of each area and line, per interval, at most
7 days per range. `source` picks: "legacy", "boundaries", or "auto" — the current API's
areas and lines where the camera has any, with the legacy zones' occupancy where it has
zones; a source the organisation does not offer is left out, not an error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.meraki import MerakiClient, MerakiError, Priority, TimeRange
from bot.meraki.coalesce import Coalescer
from bot.occupancy.zones import Region, ZoneBook

log = logging.getLogger(__name__)

HISTORY_REQUEST_MAX = timedelta(hours=14)  # one zone history request (FACTS.md)
RANGE_MAX = timedelta(days=7)  # one detections-history range
SOURCES = ("auto", "boundaries", "legacy")
_BUCKETS = tuple(timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440))
_MAX_BARS = 48  # bars a chat thumbnail can show apart
_CACHE_ENTRIES = 128


@dataclass(frozen=True)
class Minute:
    start: datetime
    average: float  # people in view on average over the minute
    entrances: int


@dataclass(frozen=True)
class ZoneHistory:
    region: Region
    minutes: tuple[Minute, ...]

    @property
    def entrances(self) -> int:
        return sum(m.entrances for m in self.minutes)

    @property
    def average(self) -> float:
        return sum(m.average for m in self.minutes) / len(self.minutes) if self.minutes else 0.0

    @property
    def peak(self) -> Minute | None:
        # The earliest of equal peaks: "first reached at".
        return max(self.minutes, key=lambda m: (m.average, -m.start.timestamp()), default=None)


@dataclass(frozen=True)
class Crossings:
    start: datetime
    end: datetime
    entered: int
    exited: int


@dataclass(frozen=True)
class BoundaryHistory:
    region: Region
    buckets: tuple[Crossings, ...]

    @property
    def entered(self) -> int:
        return sum(b.entered for b in self.buckets)

    @property
    def exited(self) -> int:
        return sum(b.exited for b in self.buckets)


@dataclass(frozen=True)
class History:
    serial: str
    start: datetime
    end: datetime
    zones: tuple[ZoneHistory, ...] = ()
    boundaries: tuple[BoundaryHistory, ...] = ()
    requests: int = 0  # Dashboard API calls it took (zone and boundary lists excluded)

    @property
    def empty(self) -> bool:
        return not self.zones and not self.boundaries

    def only(self, region: Region) -> History:
        """The same history restricted to one zone, area or line."""
        return replace(
            self,
            zones=tuple(z for z in self.zones if z.region == region),
            boundaries=tuple(b for b in self.boundaries if b.region == region),
        )


def split_span(
    start: datetime, end: datetime, longest: timedelta
) -> list[tuple[datetime, datetime]]:
    """Back-to-back pieces of [start, end), none longer than `longest`."""
    pieces: list[tuple[datetime, datetime]] = []
    while start < end:
        stop = min(start + longest, end)
        pieces.append((start, stop))
        start = stop
    return pieces


def bucket_for(length: timedelta) -> timedelta:
    """The bar width for a window: the finest that keeps at most ~48 bars."""
    return next((b for b in _BUCKETS if length / b <= _MAX_BARS), _BUCKETS[-1])


class HistoryFetcher:
    """Fetches a camera's history for a window, once for every room asking at the same time.

    Results are kept `cache_ttl` seconds, keyed by camera and whole-minute window, so a
    question asked in several rooms within the same minute costs one set of requests.
    """

    def __init__(
        self,
        meraki: MerakiClient,
        zones: ZoneBook,
        *,
        source: str = "auto",
        cache_ttl: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        self._meraki = meraki
        self._zones = zones
        self.source = source
        self._ttl = cache_ttl
        self._monotonic = monotonic
        self._cache: dict[Hashable, tuple[float, History]] = {}
        self._inflight: Coalescer[History] = Coalescer()

    async def fetch(
        self, serial: str, start: datetime, end: datetime, *, priority: Priority
    ) -> History:
        key = (serial, start, end)
        hit = self._cache.get(key)
        if hit is not None and self._monotonic() < hit[0]:
            return hit[1]
        history = await self._inflight.run(key, lambda: self._fetch(serial, start, end, priority))
        self._remember(key, history)
        return history

    async def regions(self, serial: str, *, priority: Priority) -> list[Region]:
        """The zones, areas and lines a history of this camera reports, by the same rules."""
        found: list[Region] = []
        for wanted, fetch in (
            ("legacy", self._zones.zones),
            ("boundaries", self._zones.boundaries),
        ):
            if self.source not in ("auto", wanted):
                continue
            try:
                found += await fetch(serial, priority=priority)
            except MerakiError:
                if self.source != "auto":
                    raise
        return found

    def _remember(self, key: Hashable, history: History) -> None:
        now = self._monotonic()
        for old in [k for k, (expiry, _) in self._cache.items() if expiry <= now]:
            del self._cache[old]
        while len(self._cache) >= _CACHE_ENTRIES:
            del self._cache[next(iter(self._cache))]
        self._cache[key] = (now + self._ttl, history)

    async def _fetch(
        self, serial: str, start: datetime, end: datetime, priority: Priority
    ) -> History:
        boundaries: list[BoundaryHistory] = []
        zones: list[ZoneHistory] = []
        requests = 0
        if self.source in ("auto", "boundaries"):
            try:
                boundaries, requests = await self._boundaries(serial, start, end, priority)
            except MerakiError as error:
                if self.source == "boundaries":
                    raise
                log.info("boundaries unavailable, using legacy serial=%s error=%r", serial, error)
        if self.source in ("auto", "legacy"):
            try:
                zones, more = await self._legacy(serial, start, end, priority)
                requests += more
            except MerakiError as error:
                if self.source == "legacy" or not boundaries:
                    raise
                log.info("legacy analytics unavailable serial=%s error=%r", serial, error)
        return History(serial, start, end, tuple(zones), tuple(boundaries), requests)

    async def _legacy(
        self, serial: str, start: datetime, end: datetime, priority: Priority
    ) -> tuple[list[ZoneHistory], int]:
        regions = await self._zones.zones(serial, priority=priority)
        pieces = split_span(start, end, HISTORY_REQUEST_MAX)

        async def one(region: Region) -> ZoneHistory:
            answers = await asyncio.gather(
                *(
                    self._meraki.analytics_zone_history(serial, region.id, a, b, priority=priority)
                    for a, b in pieces
                )
            )
            by_minute = {
                row.start: Minute(row.start, row.average_count, row.entrances)
                for rows in answers
                for row in rows
                if start <= row.start < end
            }
            return ZoneHistory(region, tuple(by_minute[k] for k in sorted(by_minute)))

        found = await asyncio.gather(*(one(r) for r in regions))
        return list(found), len(regions) * len(pieces)

    async def _boundaries(
        self, serial: str, start: datetime, end: datetime, priority: Priority
    ) -> tuple[list[BoundaryHistory], int]:
        regions = await self._zones.boundaries(serial, priority=priority)
        if not regions:
            return [], 0
        interval = int(bucket_for(end - start).total_seconds())
        ranges = [TimeRange(a, b, interval) for a, b in split_span(start, end, RANGE_MAX)]
        counts = await self._meraki.detections_history(
            [r.id for r in regions], ranges, priority=priority
        )
        found = []
        for region in regions:
            buckets = {
                c.start: Crossings(c.start, c.end, c.entered, c.exited)
                for c in counts
                if c.boundary_id == region.id and start <= c.start < end
            }
            found.append(BoundaryHistory(region, tuple(buckets[k] for k in sorted(buckets))))
        return found, 1
