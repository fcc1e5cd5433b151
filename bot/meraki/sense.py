"""Typed views of MV Sense answers: zone analytics, boundaries and detection counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.meraki.models import Raw
from bot.meraki.times import parse_timestamp


def _time(value: Any) -> datetime:
    parsed = parse_timestamp(value)
    if parsed is None:
        raise ValueError("missing timestamp")
    return parsed


def _as_list(value: Any) -> list[Raw]:
    """Some answers hold one object where a list would be expected; accept both."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    return [item for item in value if isinstance(item, Mapping)]


@dataclass(frozen=True)
class LiveOccupancy:
    """Near real-time counts per zone: ``zones[zone_id][object_type]``."""

    at: datetime
    zones: Mapping[str, Mapping[str, int]]
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Raw) -> LiveOccupancy:
        zones: dict[str, dict[str, int]] = {}
        for zone_id, counts in (raw.get("zones") or {}).items():
            if isinstance(counts, Mapping):
                zones[str(zone_id)] = {str(kind): int(n) for kind, n in counts.items()}
        # The v0-era shape: {"ts", "state": {zoneId: persons}}.
        for zone_id, persons in (raw.get("state") or {}).items():
            zones.setdefault(str(zone_id), {"person": int(persons)})
        return cls(at=_time(raw.get("ts")), zones=zones, raw=raw)


@dataclass(frozen=True)
class ZoneCount:
    """Entrances and average occupancy of a zone over an interval."""

    start: datetime
    end: datetime
    zone_id: str | None
    entrances: int
    average_count: float
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Raw) -> ZoneCount:
        zone = raw.get("zoneId")
        return cls(
            start=_time(raw.get("startTs")),
            end=_time(raw.get("endTs")),
            zone_id=None if zone is None else str(zone),
            entrances=int(raw.get("entrances") or 0),
            average_count=float(raw.get("averageCount") or 0.0),
            raw=raw,
        )


@dataclass(frozen=True)
class AnalyticsZone:
    id: str
    type: str
    label: str
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, raw: Raw) -> AnalyticsZone:
        return cls(
            id=str(raw["id"]),
            type=str(raw.get("type") or ""),
            label=str(raw.get("label") or ""),
            raw=raw,
        )


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Boundary:
    """An area or line drawn on a camera's view, the unit of detection counts."""

    id: str
    serial: str
    network_id: str | None
    name: str
    type: str  # "area" or "line"
    vertices: tuple[Point, ...] = ()
    direction_vertex: Point | None = None
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def list_from_api(cls, device: Raw) -> list[Boundary]:
        """One device entry (``{serial, networkId, boundaries}``) to its boundaries."""
        return [
            cls(
                id=str(item["id"]),
                serial=str(device["serial"]),
                network_id=device.get("networkId"),
                name=str(item.get("name") or ""),
                type=str(item.get("type") or ""),
                vertices=tuple(_point(v) for v in _as_list(item.get("vertices"))),
                direction_vertex=_point(item["directionVertex"])
                if isinstance(item.get("directionVertex"), Mapping)
                else None,
                raw=item,
            )
            for item in _as_list(device.get("boundaries"))
        ]


def _point(raw: Raw) -> Point:
    return Point(x=float(raw.get("x") or 0.0), y=float(raw.get("y") or 0.0))


@dataclass(frozen=True)
class DetectionCount:
    """How many objects crossed into (``entered``) and out of a boundary in an interval."""

    boundary_id: str
    boundary_type: str
    start: datetime
    end: datetime
    object_type: str
    entered: int
    exited: int
    raw: Raw = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def list_from_api(cls, entry: Raw) -> list[DetectionCount]:
        return [
            cls(
                boundary_id=str(entry["boundaryId"]),
                boundary_type=str(entry.get("type") or ""),
                start=_time(result.get("startTime")),
                end=_time(result.get("endTime")),
                object_type=str(result.get("objectType") or ""),
                entered=int(result.get("in") or 0),
                exited=int(result.get("out") or 0),
                raw=result,
            )
            for result in _as_list(entry.get("results"))
        ]


@dataclass(frozen=True)
class TimeRange:
    """One requested range of a detections history query, split into ``interval`` seconds."""

    start: datetime
    end: datetime
    interval: int = 3600
