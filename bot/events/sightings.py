"""Plate reads in the store: kept as they arrive, then merged into sightings and matched.

`store_read` is all that happens before the broker gets its acknowledgement; `process`
then runs in one transaction per read: merge into a sighting, find the rooms that watch
the plate or follow the camera, and store one alert per room (or why it stays quiet),
each with its audit row. A read left unprocessed by a crash is processed at the next start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.events.decode import PlateRead
from bot.events.ledger import AlertStatus, NewAlert, alert_entry, alert_values, insert_alert
from bot.events.lpr import PlatePattern, Sighting, Tolerance, canonical, in_cooldown
from bot.events.tables import (
    alerts,
    plate_cooldowns,
    plate_follows,
    plate_mutes,
    plate_reads,
    plate_sightings,
    plate_watches,
)
from bot.messages import Place
from bot.store.records import AuditEntry
from bot.store.schema import audit_insert
from bot.store.work import fetch

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


@dataclass
class _Room:
    watches: list[Row[Any]]
    follow: bool = False


class PlateLedger:
    """Reads, sightings and the alerts they cause."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def store_read(self, read: PlateRead) -> bool:
        """Keep a read for processing; False when this very message was stored before."""
        return await asyncio.to_thread(self._store_read, read)

    async def unprocessed(self, limit: int = 200) -> list[tuple[int, str]]:
        """(read id, serial) of reads not processed yet, oldest first."""
        query = (
            select(plate_reads.c.id, plate_reads.c.serial)
            .where(plate_reads.c.processed.is_(False))
            .order_by(plate_reads.c.id)
            .limit(limit)
        )
        return [(row.id, row.serial) for row in await fetch(self._engine, query)]

    async def process(
        self, read_id: int, camera: CameraView, rules: PlateRules, may_see: MaySee
    ) -> list[int]:
        """Merge and match one read; the ids of the alerts that now have a room to tell."""
        return await asyncio.to_thread(self._process, read_id, camera, rules, may_see)

    async def set_aside(self, read_id: int) -> None:
        """Mark a read that cannot be processed as done without a sighting, and audit it."""
        await asyncio.to_thread(self._set_aside, read_id)

    async def reads(self) -> list[Row[Any]]:
        return await fetch(self._engine, select(plate_reads).order_by(plate_reads.c.id))

    async def sightings(self) -> list[Row[Any]]:
        query = select(plate_sightings).order_by(plate_sightings.c.id)
        return await fetch(self._engine, query)

    def _store_read(self, read: PlateRead) -> bool:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(plate_reads).values(
                        key=read.key,
                        topic=read.topic[:255],
                        serial=read.serial,
                        plate=read.plate,
                        raw=read.raw,
                        confidence=read.confidence,
                        region=read.region,
                        at=read.at,
                        received_at=datetime.now(UTC),
                        processed=False,
                        sighting_id=None,
                    )
                )
        except IntegrityError:
            return False
        return True

    def _process(
        self, read_id: int, camera: CameraView, rules: PlateRules, may_see: MaySee
    ) -> list[int]:
        with self._engine.begin() as connection:
            # Writing first takes SQLite's write lock before anything is read, so that a
            # read stored meanwhile cannot make this transaction's later writes fail.
            claimed = connection.execute(
                update(plate_reads)
                .where(plate_reads.c.id == read_id, plate_reads.c.processed.is_(False))
                .values(processed=True)
            ).rowcount
            if not claimed:
                return []
            read = connection.execute(select(plate_reads).where(plate_reads.c.id == read_id)).one()
            sighting = _merge(connection, read, camera, rules)
            connection.execute(
                update(plate_reads)
                .where(plate_reads.c.id == read_id)
                .values(sighting_id=sighting.id)
            )
            if read.confidence is not None and read.confidence < rules.min_confidence:
                return []
            return _match(connection, read, sighting, camera, rules, may_see)

    def _set_aside(self, read_id: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(plate_reads).where(plate_reads.c.id == read_id).values(processed=True)
            )
            entry = AuditEntry(
                platform="mqtt",
                person_id="mvbot",
                command=f"plate read {read_id}",
                action="plate.sighting",
                outcome="failed",
                detail="could not be processed; set aside (see the log)",
            )
            connection.execute(audit_insert(entry))


def _merge(connection: Connection, read: Row[Any], camera: CameraView, rules: PlateRules) -> Any:
    """The sighting the read belongs to, updated with it, or a new one."""
    window = rules.window
    candidates = connection.execute(
        select(plate_sightings)
        .where(
            plate_sightings.c.serial == read.serial,
            plate_sightings.c.last_at >= read.at - window,
            plate_sightings.c.first_at <= read.at + window,
        )
        .order_by(plate_sightings.c.last_at.desc())
    ).all()
    for row in candidates:
        shape = Sighting(row.serial, row.canonical, row.first_at, row.last_at)
        if shape.takes(read.serial, read.plate, read.at, window, rules.tolerance):
            better = (read.confidence or 0.0) > (row.confidence or 0.0)
            connection.execute(
                update(plate_sightings)
                .where(plate_sightings.c.id == row.id)
                .values(
                    reads=row.reads + 1,
                    first_at=min(row.first_at, read.at),
                    last_at=max(row.last_at, read.at),
                    plate=read.plate if better else row.plate,
                    confidence=read.confidence if better else row.confidence,
                )
            )
            return row
    sighting_id = connection.execute(
        insert(plate_sightings)
        .values(
            serial=read.serial,
            camera=camera.name,
            plate=read.plate,
            canonical=canonical(read.plate),
            confidence=read.confidence,
            first_at=read.at,
            last_at=read.at,
            reads=1,
        )
        .returning(plate_sightings.c.id)
    ).scalar_one()
    connection.execute(
        audit_insert(
            AuditEntry(
                platform="mqtt",
                person_id=read.serial,
                command=f"plate {read.plate} at {camera.name}",
                action="plate.sighting",
                outcome="ok",
                detail=f"sighting {sighting_id} at {read.at.isoformat()}",
            )
        )
    )
    return connection.execute(
        select(plate_sightings).where(plate_sightings.c.id == sighting_id)
    ).one()


def _match(
    connection: Connection,
    read: Row[Any],
    sighting: Row[Any],
    camera: CameraView,
    rules: PlateRules,
    may_see: MaySee,
) -> list[int]:
    rooms: dict[tuple[str, str], _Room] = {}
    for watch in connection.execute(select(plate_watches)):
        if PlatePattern(watch.pattern).matches(read.plate, rules.tolerance):
            rooms.setdefault((watch.platform, watch.room_id), _Room([])).watches.append(watch)
    followers = select(plate_follows).where(plate_follows.c.serial == read.serial)
    for follow in connection.execute(followers):
        rooms.setdefault((follow.platform, follow.room_id), _Room([])).follow = True
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
        alert_id = insert_alert(
            connection, values, alert_entry(new, f"plate {read.plate} at {camera.name}")
        )
        if new.status is AlertStatus.PENDING:
            ready.append(alert_id)
    return ready


def _decide(
    connection: Connection,
    place: Place,
    room: _Room,
    read: Row[Any],
    sighting: Row[Any],
    camera: CameraView,
    rules: PlateRules,
    may_see: MaySee,
) -> NewAlert:
    content = {
        "plate": read.plate,
        "raw": read.raw,
        "confidence": read.confidence,
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
    if any(rules.tolerance.same(m.canonical, canonical(read.plate)) for m in mutes):
        return NewAlert(place, AlertStatus.MUTED, content, "muted in this room")
    keys: dict[str, timedelta] = {
        f"watch:{w.id}": timedelta(seconds=w.cooldown_s)
        if w.cooldown_s is not None
        else rules.cooldown
        for w in room.watches
    }
    if room.follow:
        keys[f"follow:{read.serial}:{sighting.canonical}"] = rules.cooldown
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
