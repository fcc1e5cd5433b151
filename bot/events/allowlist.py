"""Allow-list mode: the plates a room knows, and the cameras at which it hears of every other.

Matching (bot.events.plate_matching) reads both tables once per batch of reads; this is
what the commands change and list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.events.lpr import PlatePattern
from bot.events.plate_matching import stored_hours
from bot.events.tables import plate_allows, plate_unknown_alerts
from bot.grammar.hours import Hours
from bot.messages import Place
from bot.store.work import fetch, transact, write


@dataclass(frozen=True)
class Allow:
    pattern: PlatePattern
    note: str | None
    hours: Hours | None  # allowed only at these hours; None: always
    created_by: str


@dataclass(frozen=True)
class UnknownAlert:
    serial: str
    camera: str
    hours: Hours | None
    created_by: str


@dataclass(frozen=True)
class NewAllow:
    pattern: PlatePattern
    note: str | None = None
    hours: Hours | None = None


class Allowlist:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def allow(self, place: Place, entry: NewAllow, person: str) -> bool:
        """Allow a plate in the room (an existing one gets the new note and hours); whether
        it is new."""
        return (await self.replace_or_add(place, [entry], person, replace=False))[0]

    async def replace_or_add(
        self, place: Place, entries: list[NewAllow], person: str, *, replace: bool
    ) -> list[bool]:
        """Allow every entry in one transaction (all or nothing); `replace` drops the room's
        other allows first. For each entry, whether it is new."""
        now = datetime.now(UTC)

        def work(connection: Connection) -> list[bool]:
            if replace:
                connection.execute(_in_room(delete(plate_allows), plate_allows, place))
            return [_upsert(connection, place, entry, person, now) for entry in entries]

        return await transact(self._engine, work)

    async def unallow(self, place: Place, pattern: PlatePattern) -> bool:
        statement = _in_room(delete(plate_allows), plate_allows, place).where(
            plate_allows.c.pattern == pattern.text
        )
        return await write(self._engine, statement) > 0

    async def allows(self, place: Place) -> list[Allow]:
        query = _in_room(select(plate_allows), plate_allows, place).order_by(plate_allows.c.id)
        return [_allow(row) for row in await fetch(self._engine, query)]

    async def alert_unknown(
        self, place: Place, serial: str, camera: str, hours: Hours | None, person: str
    ) -> bool:
        """Tell the room of every plate not on its allow-list at this camera; False when it
        was already told (its hours are then replaced)."""
        text = hours.text if hours else None
        statement = insert(plate_unknown_alerts).values(
            platform=place.platform,
            room_id=place.room_id,
            serial=serial,
            camera=camera,
            hours=text,
            created_by=person,
            created_at=datetime.now(UTC),
        )
        try:
            await write(self._engine, statement)
        except IntegrityError:
            changed = _in_room(update(plate_unknown_alerts), plate_unknown_alerts, place)
            await write(
                self._engine,
                changed.where(plate_unknown_alerts.c.serial == serial).values(hours=text),
            )
            return False
        return True

    async def stop_unknown(self, place: Place, serial: str) -> bool:
        statement = _in_room(delete(plate_unknown_alerts), plate_unknown_alerts, place).where(
            plate_unknown_alerts.c.serial == serial
        )
        return await write(self._engine, statement) > 0

    async def unknown_alerts(self, place: Place) -> list[UnknownAlert]:
        table = plate_unknown_alerts
        query = _in_room(select(table), table, place).order_by(table.c.id)
        return [
            UnknownAlert(row.serial, row.camera, stored_hours(row.hours), row.created_by)
            for row in await fetch(self._engine, query)
        ]


def _upsert(
    connection: Connection, place: Place, entry: NewAllow, person: str, now: datetime
) -> bool:
    hours = entry.hours.text if entry.hours else None
    # The update comes first: a write before any read keeps SQLite's lock (watchlist.py).
    updated = connection.execute(
        _in_room(update(plate_allows), plate_allows, place)
        .where(plate_allows.c.pattern == entry.pattern.text)
        .values(note=entry.note, hours=hours)
    )
    if updated.rowcount:
        return False
    connection.execute(
        insert(plate_allows).values(
            platform=place.platform,
            room_id=place.room_id,
            pattern=entry.pattern.text,
            note=entry.note,
            hours=hours,
            created_by=person,
            created_at=now,
        )
    )
    return True


def _in_room(statement: Any, table: Any, place: Place) -> Any:
    return statement.where(table.c.platform == place.platform, table.c.room_id == place.room_id)


def _allow(row: Row[Any]) -> Allow:
    return Allow(PlatePattern(row.pattern), row.note, stored_hours(row.hours), row.created_by)
