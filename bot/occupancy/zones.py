"""What each Sense camera counts in: its analytics zones and boundaries, cached, found by name."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass

from bot.errors import UserError
from bot.meraki import MerakiClient, Priority
from bot.meraki.coalesce import Coalescer

FULL_FRAME = "0"
# Zones and boundaries are drawn by hand in the dashboard: they change rarely.
DEFAULT_TTL = 600.0


@dataclass(frozen=True)
class Region:
    """A named thing counts belong to: a legacy zone, or an area or line (current API)."""

    id: str
    name: str
    kind: str  # "zone", "area" or "line"


def zone_name(zone_id: str, label: str, index: int) -> str:
    """A zone as people read it: its label; never its 18-digit id."""
    if label.strip():
        return label.strip()
    return "Full Frame" if zone_id == FULL_FRAME else f"Zone {index}"


class ZoneBook:
    """Zones and boundaries per camera, each fetched once per `ttl` seconds and coalesced."""

    def __init__(
        self,
        meraki: MerakiClient,
        *,
        ttl: float = DEFAULT_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._meraki = meraki
        self._ttl = ttl
        self._monotonic = monotonic
        self._cached: dict[Hashable, tuple[float, list[Region]]] = {}
        self._inflight: Coalescer[list[Region]] = Coalescer()

    async def zones(self, serial: str, *, priority: Priority) -> list[Region]:
        """The camera's analytics zones, whole frame first (legacy analytics endpoints)."""

        async def fetch() -> list[Region]:
            found = await self._meraki.analytics_zones(serial, priority=priority)
            found.sort(key=lambda z: z.id != FULL_FRAME)
            return [
                Region(z.id, zone_name(z.id, z.label, i), "zone") for i, z in enumerate(found, 1)
            ]

        return await self._cached_call(("zones", serial), fetch)

    async def boundaries(self, serial: str, *, priority: Priority) -> list[Region]:
        """The camera's areas, then its lines (current boundaries API)."""

        async def fetch() -> list[Region]:
            areas = await self._meraki.boundary_areas([serial], priority=priority)
            lines = await self._meraki.boundary_lines([serial], priority=priority)
            return [
                Region(b.id, b.name or f"{kind.title()} {i}", kind)
                for kind, found in (("area", areas), ("line", lines))
                for i, b in enumerate((b for b in found if b.serial == serial), 1)
            ]

        return await self._cached_call(("boundaries", serial), fetch)

    async def _cached_call(
        self, key: Hashable, fetch: Callable[[], Awaitable[list[Region]]]
    ) -> list[Region]:
        hit = self._cached.get(key)
        if hit is not None and self._monotonic() < hit[0]:
            return hit[1]
        regions = await self._inflight.run(key, fetch)
        self._cached[key] = (self._monotonic() + self._ttl, regions)
        return regions


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def find_region(regions: Sequence[Region], query: str, camera: str) -> Region:
    """The one zone, area or line `query` names; a UserError sentence otherwise.

    Exact name first, then every word starting a word of the name, then part of the name.
    """
    key = _key(query)
    words = query.casefold().split()
    stages: tuple[Callable[[Region], bool], ...] = (
        lambda p: _key(p.name) == key,
        lambda p: all(any(n.startswith(w) for n in p.name.casefold().split()) for w in words),
        lambda p: bool(key) and key in _key(p.name),
    )
    for matches in stages:
        found = [p for p in regions if matches(p)]
        if len(found) == 1:
            return found[0]
        if found:
            raise UserError(f"'{query}' matches {_names(found)} at {camera} — say which.")
    if not regions:
        raise UserError(f"{camera} has no Sense zones to choose from.")
    raise UserError(f"{camera} has no zone '{query}' — its zones are {_names(regions)}.")


def _names(regions: Sequence[Region]) -> str:
    names = [p.name for p in regions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
