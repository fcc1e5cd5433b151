"""Which rooms hear of a sighting, and in which state each alert is stored (told, muted, …).

Runs inside the transaction that merges a read, so the alert rows (and their audit rows)
are in the store before anyone is told. Every confident read of the sighting is matched
against the watches, not only the one that just arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from bot.events.ledger import AlertStatus, NewAlert, alert_entry, alert_values, insert_alert
from bot.events.lpr import PlatePattern, Tolerance, canonical, in_cooldown
from bot.events.tables import alerts, plate_cooldowns, plate_mutes
from bot.messages import Place

MaySee = Callable[[tuple[str, ...], Place], bool]


@dataclass(frozen=True)
class CameraView:
    """What matching needs to know of the camera that read a plate."""

    serial: str
    name: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlateRules:
    window: timedelta = timedelta(seconds=10)
    cooldown: timedelta = timedelta(minutes=5)
    tolerance: Tolerance = field(default_factory=Tolerance)
    min_confidence: float = 0.0
    pre_roll: timedelta = timedelta(seconds=15)
    post_roll: timedelta = timedelta(seconds=15)


@dataclass(frozen=True)
class SightingNow:
    """A sighting as its reads so far have it."""

    id: int
    plate: str  # the best-supported spelling
    confidence: float | None
    plates: Collection[str]  # every spelling confident enough to alert a room


@dataclass
class _Room:
    watches: list[Row[Any]]
    follow: bool = False


def match_rooms(
    connection: Connection,
    read: Row[Any],
    sighting: SightingNow,
    camera: CameraView,
    rules: PlateRules,
    may_see: MaySee,
    watches: Sequence[tuple[Row[Any], PlatePattern]],
    followers: Mapping[str, Sequence[Row[Any]]],
) -> list[int]:
    """Store an alert for each room that cares and was not told of this sighting yet; the
    ids of those that are to be told. `watches` pairs each watch with its parsed pattern."""
    rooms: dict[tuple[str, str], _Room] = {}
    for watch, pattern in watches:
        if any(pattern.matches(plate, rules.tolerance) for plate in sighting.plates):
            rooms.setdefault((watch.platform, watch.room_id), _Room([])).watches.append(watch)
    for follow in followers.get(read.serial, ()):
        rooms.setdefault((follow.platform, follow.room_id), _Room([])).follow = True
    if not rooms:
        return []
    told = {
        (row.platform, row.room_id)
        for row in connection.execute(
            select(alerts.c.platform, alerts.c.room_id).where(alerts.c.sighting_id == sighting.id)
        )
    }
    ready: list[int] = []
    for (platform, room_id), room in rooms.items():
        if (platform, room_id) in told:
            continue  # one sighting, one heads-up per room, however many reads follow
        place = Place(platform, room_id)
        new = _decide(connection, place, room, read, sighting, camera, rules, may_see)
        values = alert_values(
            "plate",
            new,
            read.serial,
            camera.name,
            read.at,
            (rules.pre_roll, rules.post_roll),
            sighting_id=sighting.id,
        )
        what = f"plate {sighting.plate} at {camera.name}"
        alert_id = insert_alert(connection, values, alert_entry(new, what))
        if new.status is AlertStatus.PENDING:
            ready.append(alert_id)
    return ready


def _decide(
    connection: Connection,
    place: Place,
    room: _Room,
    read: Row[Any],
    sighting: SightingNow,
    camera: CameraView,
    rules: PlateRules,
    may_see: MaySee,
) -> NewAlert:
    content = {
        "plate": sighting.plate,
        "raw": read.raw if read.plate == sighting.plate else sighting.plate,
        "confidence": sighting.confidence,
        "region": read.region,
        "watches": [{"pattern": w.pattern, "note": w.note} for w in room.watches],
        "follow": room.follow,
    }
    if not may_see(camera.tags, place):
        return NewAlert(place, AlertStatus.HIDDEN, content, f"{camera.name} is restricted")
    mutes = connection.execute(
        select(plate_mutes).where(
            plate_mutes.c.platform == place.platform,
            plate_mutes.c.room_id == place.room_id,
            plate_mutes.c.until > datetime.now(UTC),
        )
    ).all()
    keys_read = {canonical(p) for p in sighting.plates}
    if any(rules.tolerance.same(m.canonical, key) for m in mutes for key in keys_read):
        return NewAlert(place, AlertStatus.MUTED, content, "muted in this room")
    keys: dict[str, timedelta] = {
        f"watch:{w.id}": timedelta(seconds=w.cooldown_s)
        if w.cooldown_s is not None
        else rules.cooldown
        for w in room.watches
    }
    if room.follow:
        keys[f"follow:{read.serial}:{canonical(sighting.plate)}"] = rules.cooldown
    last = {
        row.key: row.last_at
        for row in connection.execute(
            select(plate_cooldowns).where(
                plate_cooldowns.c.platform == place.platform,
                plate_cooldowns.c.room_id == place.room_id,
                plate_cooldowns.c.key.in_(list(keys)),
            )
        )
    }
    if all(in_cooldown(last.get(key), read.at, cooldown) for key, cooldown in keys.items()):
        return NewAlert(place, AlertStatus.SUPPRESSED, content, "within the cooldown")
    for key in keys:
        _remember(connection, place, key, read.at, key in last)
    return NewAlert(place, AlertStatus.PENDING, content)


def _remember(connection: Connection, place: Place, key: str, at: datetime, known: bool) -> None:
    if known:
        connection.execute(
            update(plate_cooldowns)
            .where(
                plate_cooldowns.c.platform == place.platform,
                plate_cooldowns.c.room_id == place.room_id,
                plate_cooldowns.c.key == key,
            )
            .values(last_at=at)
        )
    else:
        connection.execute(
            insert(plate_cooldowns).values(
                platform=place.platform, room_id=place.room_id, key=key, last_at=at
            )
        )
