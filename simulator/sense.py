"""MV Sense ground truth: people and vehicles per zone, boundary and minute.

Everything here is a pure function of the fleet data and the time, so REST answers,
frames and (later) MQTT messages agree without sharing state: occupancy follows the
camera's local day (busy working hours, quiet nights and weekends) with seeded noise.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, tzinfo

from simulator.fleet import FULL_FRAME_ZONE, Camera

OBJECT_TYPES = ("person", "vehicle")


@dataclass(frozen=True)
class ZoneMinute:
    start: int  # epoch seconds, a whole minute
    average_count: float  # people (or vehicles) in view on average over the minute
    entrances: int  # how many entered during the minute


def unit(*parts: object) -> float:
    """A reproducible number in [0, 1) for the given parts."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def activity(zone: tzinfo, moment: float) -> float:
    """How busy a site is at `moment` in its local time, 0.015 (night) to about 1 (peak)."""
    local = datetime.fromtimestamp(moment, zone)
    hour = local.hour + local.minute / 60.0
    day = 1.0 if local.weekday() < 5 else (0.35 if local.weekday() == 5 else 0.2)
    work = math.sin(math.pi * (hour - 7.0) / 12.0) ** 2 if 7.0 <= hour <= 19.0 else 0.0
    lunch = 0.25 * math.exp(-(((hour - 12.5) / 0.6) ** 2))
    return 0.015 + day * min(1.0, work + lunch)


def _peak(camera: Camera, key: str, object_type: str) -> float:
    """Typical count at the busiest hour for one zone or boundary of a camera."""
    u = unit(camera.serial, key, object_type, "peak")
    if object_type == "person":
        return 1.5 + 4.5 * u
    vehicles = bool({"lpr", "parking"} & set(camera.tags))
    return (1.0 + 4.0 * u) if vehicles else 0.3 * u


def _poisson(mean: float, u: float) -> int:
    """Inverse CDF of a Poisson law: a count with the given mean for the uniform `u`."""
    k, p = 0, math.exp(-mean)
    total = p
    while u > total and k < 500:
        k += 1
        p *= mean / k
        total += p
    return k


def _own_minute(
    camera: Camera, key: str, minute: int, object_type: str, busy: float
) -> tuple[float, int]:
    peak = _peak(camera, key, object_type)
    drift = 0.75 + 0.5 * unit(camera.serial, key, object_type, "drift", minute // 15)
    jitter = 0.85 + 0.3 * unit(camera.serial, key, object_type, "jitter", minute)
    average = peak * busy * drift * jitter
    entrances = _poisson(
        average * 0.2 + 0.02 * busy, unit(camera.serial, key, object_type, "in", minute)
    )
    return average, entrances


def zone_minute(
    camera: Camera, zone: tzinfo, zone_id: str, start: int, object_type: str = "person"
) -> ZoneMinute:
    """The truth for the minute beginning at `start` (epoch seconds) in one zone.

    The full-frame zone "0" sees every other zone plus the rest of the frame.
    """
    minute = start // 60
    busy = activity(zone, minute * 60.0)
    keys = (
        [z.id for z in camera.zones if z.id != FULL_FRAME_ZONE]
        if zone_id == FULL_FRAME_ZONE
        else []
    )
    average, entrances = _own_minute(camera, zone_id, minute, object_type, busy)
    for key in keys:
        more_average, more_entrances = _own_minute(camera, key, minute, object_type, busy)
        average += more_average
        entrances += more_entrances
    return ZoneMinute(start=minute * 60, average_count=round(average, 2), entrances=entrances)


def zone_minutes(
    camera: Camera, zone: tzinfo, zone_id: str, first: int, count: int, object_type: str = "person"
) -> list[ZoneMinute]:
    """`count` consecutive minutes of one zone starting with the minute holding `first`."""
    base = first // 60 * 60
    return [zone_minute(camera, zone, zone_id, base + 60 * i, object_type) for i in range(count)]


def live_counts(camera: Camera, zone: tzinfo, moment: float) -> dict[str, dict[str, int]]:
    """Whole objects in view per zone and type at `moment`, as a camera reports live."""
    second = int(moment)
    minute = second // 60
    busy = activity(zone, minute * 60.0)
    counts: dict[str, dict[str, int]] = {}
    for object_type in OBJECT_TYPES:
        total = 0
        for z in camera.zones:
            average, _ = _own_minute(camera, z.id, minute, object_type, busy)
            n = math.floor(average + unit(camera.serial, z.id, object_type, "live", second))
            counts.setdefault(z.id, {})[object_type] = n
            total += n
        if FULL_FRAME_ZONE in counts:
            counts[FULL_FRAME_ZONE][object_type] = total
    return counts


def boundary_minute(
    camera: Camera, zone: tzinfo, boundary_id: str, start: int, object_type: str = "person"
) -> tuple[int, int]:
    """(in, out) crossings of an area or line during the minute beginning at `start`."""
    minute = start // 60
    mean = 0.6 * _peak(camera, boundary_id, object_type) * activity(zone, minute * 60.0)
    crossings_in = _poisson(mean, unit(camera.serial, boundary_id, object_type, "bin", minute))
    crossings_out = _poisson(mean, unit(camera.serial, boundary_id, object_type, "bout", minute))
    return crossings_in, crossings_out
