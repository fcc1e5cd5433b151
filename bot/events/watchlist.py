"""What each room asked to hear about: watched plates, followed cameras and muted plates.

Blocking database work runs in worker threads; a room is its platform and room id (a
thread in it is the same room).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.events.lpr import PlatePattern, canonical
from bot.events.plate_matching import stored_hours
from bot.events.tables import plate_follows, plate_mutes, plate_sightings, plate_watches
from bot.grammar.hours import Hours
from bot.messages import Place
from bot.store.work import fetch, transact, write


@dataclass(frozen=True)
class Watch:
    id: int
    platform: str
    room_id: str
    pattern: PlatePattern
    note: str | None
    cooldown: timedelta | None  # None: the configured cooldown
    created_by: str
    created_at: datetime
    hours: Hours | None = None  # None: always


@dataclass(frozen=True)
class Follow:
    id: int
    platform: str
    room_id: str
    serial: str
    camera: str
    created_by: str
    created_at: datetime
    hours: Hours | None = None


@dataclass(frozen=True)
class SightingRow:
    id: int
    serial: str
    camera: str
    plate: str
    confidence: float | None
    first_at: datetime
    last_at: datetime
    reads: int


class Watchlist:
    """Watches, follows and mutes per room, and the recent sightings `plates recent` lists."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def add_watch(
        self,
        place: Place,
        pattern: PlatePattern,
        note: str | None,
        cooldown: timedelta | None,
        person: str,
        hours: Hours | None = None,
    ) -> tuple[Watch, bool]:
        """Watch `pattern` in the room; an existing watch gets the new note, cooldown and
        hours. Returns the watch and whether it is new."""
        cooldown_s = cooldown.total_seconds() if cooldown is not None else None
        hours_text = hours.text if hours is not None else None
        mine = _in_room(select(plate_watches), plate_watches, place).where(
            plate_watches.c.pattern == pattern.text
        )
        changed = _in_room(update(plate_watches), plate_watches, place).where(
            plate_watches.c.pattern == pattern.text
        )

        def work(connection: Connection) -> tuple[Watch, bool]:
            # The update comes first: a write before any read keeps SQLite from refusing
            # this transaction's writes when another one committed in between.
            updated = connection.execute(
                changed.values(note=note, cooldown_s=cooldown_s, hours=hours_text)
            )
            if not updated.rowcount:
                connection.execute(
                    insert(plate_watches).values(
                        platform=place.platform,
                        room_id=place.room_id,
                        pattern=pattern.text,
                        note=note,
                        cooldown_s=cooldown_s,
                        hours=hours_text,
                        created_by=person,
                        created_at=datetime.now(UTC),
                    )
                )
            return _watch(connection.execute(mine).one()), not updated.rowcount

        return await transact(self._engine, work)

    async def import_watches(
        self,
        place: Place,
        entries: list[tuple[PlatePattern, str | None, Hours | None]],
        person: str,
    ) -> int:
        """Watch every (pattern, note, hours) in one transaction, all or nothing; an existing
        watch gets the new note and hours and keeps its cooldown. How many are new."""
        now = datetime.now(UTC)

        def work(connection: Connection) -> int:
            added = 0
            for pattern, note, hours in entries:
                values = {"note": note, "hours": hours.text if hours else None}
                changed = _in_room(update(plate_watches), plate_watches, place).where(
                    plate_watches.c.pattern == pattern.text
                )
                if connection.execute(changed.values(**values)).rowcount:
                    continue
                connection.execute(
                    insert(plate_watches).values(
                        platform=place.platform,
                        room_id=place.room_id,
                        pattern=pattern.text,
                        cooldown_s=None,
                        created_by=person,
                        created_at=now,
                        **values,
                    )
                )
                added += 1
            return added

        return await transact(self._engine, work)

    async def remove_watch(self, place: Place, pattern: PlatePattern) -> Watch | None:
        mine = _in_room(delete(plate_watches), plate_watches, place).where(
            plate_watches.c.pattern == pattern.text
        )
        statement = mine.returning(*plate_watches.c)
        row = await transact(self._engine, lambda c: c.execute(statement).one_or_none())
        return _watch(row) if row is not None else None

    async def watches(self, place: Place) -> list[Watch]:
        query = _in_room(select(plate_watches), plate_watches, place).order_by(plate_watches.c.id)
        return [_watch(row) for row in await fetch(self._engine, query)]

    async def follow(
        self, place: Place, serial: str, camera: str, person: str, hours: Hours | None = None
    ) -> bool:
        """Follow a camera's plates in the room (at these hours); False if the room already
        did (its hours are then replaced by these)."""
        hours_text = hours.text if hours is not None else None
        statement = insert(plate_follows).values(
            platform=place.platform,
            room_id=place.room_id,
            serial=serial,
            camera=camera,
            hours=hours_text,
            created_by=person,
            created_at=datetime.now(UTC),
        )
        try:
            await write(self._engine, statement)
        except IntegrityError:
            changed = _in_room(update(plate_follows), plate_follows, place).where(
                plate_follows.c.serial == serial
            )
            await write(self._engine, changed.values(hours=hours_text))
            return False  # the room follows it already
        return True

    async def unfollow(self, place: Place, serial: str) -> bool:
        statement = _in_room(delete(plate_follows), plate_follows, place).where(
            plate_follows.c.serial == serial
        )
        return await write(self._engine, statement) > 0

    async def follows(self, place: Place) -> list[Follow]:
        query = _in_room(select(plate_follows), plate_follows, place).order_by(plate_follows.c.id)
        return [_follow(row) for row in await fetch(self._engine, query)]

    async def mute(self, place: Place, plate: str, until: datetime, person: str) -> None:
        """Keep the room quiet about `plate` (any spelling of it) until `until`."""
        key = canonical(plate)
        earlier = _in_room(delete(plate_mutes), plate_mutes, place).where(
            plate_mutes.c.canonical == key
        )
        new = insert(plate_mutes).values(
            platform=place.platform,
            room_id=place.room_id,
            canonical=key,
            plate=plate,
            until=until,
            created_by=person,
        )

        def work(connection: Connection) -> None:
            connection.execute(earlier)
            connection.execute(new)

        await transact(self._engine, work)

    async def recent(self, serials: Collection[str] | None, limit: int = 500) -> list[SightingRow]:
        """The latest sightings, newest first, optionally only on these cameras."""
        query = select(plate_sightings).order_by(
            plate_sightings.c.first_at.desc(), plate_sightings.c.id.desc()
        )
        if serials is not None:
            query = query.where(plate_sightings.c.serial.in_(list(serials)))
        rows = await fetch(self._engine, query.limit(limit))
        return [
            SightingRow(
                r.id, r.serial, r.camera, r.plate, r.confidence, r.first_at, r.last_at, r.reads
            )
            for r in rows
        ]


def _in_room(statement: Any, table: Any, place: Place) -> Any:
    return statement.where(table.c.platform == place.platform, table.c.room_id == place.room_id)


def _watch(row: Row[Any]) -> Watch:
    return Watch(
        id=row.id,
        platform=row.platform,
        room_id=row.room_id,
        pattern=PlatePattern(row.pattern),
        note=row.note,
        cooldown=timedelta(seconds=row.cooldown_s) if row.cooldown_s is not None else None,
        created_by=row.created_by,
        created_at=row.created_at,
        hours=stored_hours(row.hours),
    )


def _follow(row: Row[Any]) -> Follow:
    return Follow(
        row.id,
        row.platform,
        row.room_id,
        row.serial,
        row.camera,
        row.created_by,
        row.created_at,
        stored_hours(row.hours),
    )
