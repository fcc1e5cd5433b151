"""What mvbot stored about an incident's window: plate sightings, webhook events and
occupancy alerts that fired, on the incident's cameras, read from their own tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select

from bot.events.tables import hook_events, plate_sightings
from bot.incidents.incident import Happening
from bot.occupancy.threshold_store import occupancy_alerts
from bot.store.work import fetch

# A window holds a few minutes of a few cameras; more than this is a flood, not evidence.
MOST = 500


async def happenings(
    engine: Engine, serials: Sequence[str], start: datetime, end: datetime
) -> list[Happening]:
    """Everything stored for `serials` between `start` and `end`, in time order."""
    wanted = list(serials)
    found: list[Happening] = []
    sightings = (
        select(plate_sightings)
        .where(
            plate_sightings.c.serial.in_(wanted),
            plate_sightings.c.first_at <= end,
            plate_sightings.c.last_at >= start,
        )
        .limit(MOST)
    )
    for row in await fetch(engine, sightings):
        reads = f" ({row.reads} reads)" if row.reads > 1 else ""
        at = max(row.first_at, start)
        found.append(Happening(at, "plate", row.serial, row.camera, f"Plate {row.plate}{reads}"))
    events = (
        select(hook_events)
        .where(
            hook_events.c.serial.in_(wanted),
            hook_events.c.at >= start,
            hook_events.c.at <= end,
        )
        .limit(MOST)
    )
    for row in await fetch(engine, events):
        found.append(Happening(row.at, "event", row.serial, row.camera or row.serial, row.title))
    peaks = (
        select(occupancy_alerts)
        .where(
            occupancy_alerts.c.serial.in_(wanted),
            occupancy_alerts.c.last_fired_at >= start,
            occupancy_alerts.c.last_fired_at <= end,
        )
        .limit(MOST)
    )
    for row in await fetch(engine, peaks):
        text = f"Occupancy of {row.zone_name} reached {row.threshold}"
        found.append(Happening(row.last_fired_at, "occupancy", row.serial, row.camera, text))
    found.sort(key=lambda h: (h.at, h.serial, h.text))
    return found[:MOST]
