"""Occupancy alerts in the database (table `occupancy_alerts`, schema versions 4, 10, 14)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)

from bot.grammar.hours import Hours, parse_hours
from bot.messages import Place
from bot.store.column_types import RowId, UTCDateTime
from bot.store.work import fetch, transact, write

metadata = MetaData()

occupancy_alerts = Table(
    "occupancy_alerts",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("serial", String(64), nullable=False),
    Column("camera", String(255), nullable=False),
    Column("zone_id", String(64), nullable=False),
    Column("zone_name", String(255), nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("place", JSON, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("armed", Boolean, nullable=False),
    Column("last_fired_at", UTCDateTime),
    Column("unposted_count", Integer),  # schema version 10
    Column("hours", String(64)),  # schema version 14: when it may fire; None: always
    Index("ix_occupancy_alerts_serial", "serial"),
)


@dataclass(frozen=True)
class AlertRule:
    """Post to `place` when the person count of a camera's zone rises above `threshold`.

    `armed` is False from a firing until the count has fallen below the hysteresis band.
    """

    id: int
    serial: str
    camera: str
    zone_id: str
    zone_name: str
    threshold: int
    place: Place
    created_by: str
    created_at: datetime
    armed: bool = True
    last_fired_at: datetime | None = None
    # The count of the last firing while it is not yet posted: stored with the firing, so
    # a crash or a platform outage before the post delays the alert but never loses it.
    unposted_count: int | None = None
    hours: Hours | None = None  # fires only within these, on the camera's clock (version 14)

    def with_state(
        self, armed: bool, last_fired_at: datetime | None, unposted_count: int | None
    ) -> AlertRule:
        return replace(
            self, armed=armed, last_fired_at=last_fired_at, unposted_count=unposted_count
        )


class AlertStore:
    """CRUD on the alerts; every call runs its database work in a thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def add(self, rule: AlertRule) -> AlertRule:
        """Store `rule` (its id is ignored) and return it with the id it was given."""
        values: dict[str, Any] = {
            "serial": rule.serial,
            "camera": rule.camera,
            "zone_id": rule.zone_id,
            "zone_name": rule.zone_name,
            "threshold": rule.threshold,
            "place": rule.place.to_json(),
            "created_by": rule.created_by,
            "created_at": rule.created_at,
            "armed": rule.armed,
            "last_fired_at": rule.last_fired_at,
            "hours": rule.hours.text if rule.hours else None,
        }
        statement = insert(occupancy_alerts).values(**values).returning(occupancy_alerts.c.id)
        row_id = await transact(self._engine, lambda c: c.execute(statement).scalar_one())
        return replace(rule, id=int(row_id))

    async def all(self) -> list[AlertRule]:
        query = select(occupancy_alerts).order_by(occupancy_alerts.c.id)
        return [_rule(row) for row in await fetch(self._engine, query)]

    async def remove(self, rule_id: int) -> bool:
        statement = delete(occupancy_alerts).where(occupancy_alerts.c.id == rule_id)
        return await write(self._engine, statement) > 0

    async def save_state(self, rule: AlertRule) -> None:
        statement = (
            update(occupancy_alerts)
            .where(occupancy_alerts.c.id == rule.id)
            .values(
                armed=rule.armed,
                last_fired_at=rule.last_fired_at,
                unposted_count=rule.unposted_count,
            )
        )
        await write(self._engine, statement)


def _rule(row: Row[Any]) -> AlertRule:
    return AlertRule(
        id=int(row.id),
        serial=row.serial,
        camera=row.camera,
        zone_id=row.zone_id,
        zone_name=row.zone_name,
        threshold=int(row.threshold),
        place=Place.from_json(row.place),
        created_by=row.created_by,
        created_at=row.created_at,
        armed=bool(row.armed),
        last_fired_at=row.last_fired_at,
        unposted_count=row.unposted_count,
        hours=parse_hours(row.hours) if row.hours else None,
    )
