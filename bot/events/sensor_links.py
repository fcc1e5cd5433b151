"""Which cameras see which sensor: the `sensor_links` table (version 15) and its store.

A sensor is known by its name or serial, kept case-folded, so that a Meraki alert (which
names both) and a generic event (which names either) find the same links. Links from the
configuration ([sensors] links) are added to these when an event arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from bot.store.column_types import RowId, UTCDateTime
from bot.store.work import fetch, transact, write

metadata = MetaData()

sensor_links = Table(
    "sensor_links",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("sensor", String(255), nullable=False),  # name or serial, case-folded
    Column("camera_serial", String(64), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("sensor", "camera_serial", name="uq_sensor_links_pair"),
)

MAX_SENSOR = 255


def sensor_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class SensorLinks:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def link(self, sensor: str, serials: Sequence[str], by: str) -> int:
        """Link `sensor` to each camera; the number of links that are new."""
        key = sensor_key(sensor)
        added = 0
        for serial in dict.fromkeys(serials):
            statement = insert(sensor_links).values(
                sensor=key, camera_serial=serial, created_by=by, created_at=datetime.now(UTC)
            )
            try:
                await write(self._engine, statement)
            except IntegrityError:  # linked before: the unique pair says so
                continue
            added += 1
        return added

    async def unlink(self, sensor: str, serials: Sequence[str] = ()) -> int:
        """Remove the sensor's links (to these cameras only, when named); how many went."""
        where = sensor_links.c.sensor == sensor_key(sensor)
        if serials:
            where = where & sensor_links.c.camera_serial.in_(list(serials))
        return await transact(
            self._engine, lambda c: c.execute(delete(sensor_links).where(where)).rowcount
        )

    async def all(self) -> dict[str, list[str]]:
        """Every stored link: sensor key → camera serials, in the order they were made."""
        rows = await fetch(self._engine, select(sensor_links).order_by(sensor_links.c.id))
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.sensor, []).append(row.camera_serial)
        return found

    async def cameras(self, names: Iterable[str]) -> list[str]:
        """The serials linked to a sensor known by any of `names`."""
        keys = list({sensor_key(n) for n in names if n})
        if not keys:
            return []
        query = select(sensor_links.c.camera_serial).where(sensor_links.c.sensor.in_(keys))
        rows = await fetch(self._engine, query.order_by(sensor_links.c.id))
        return list(dict.fromkeys(row.camera_serial for row in rows))


def configured(links: Mapping[str, Sequence[str]], names: Iterable[str]) -> list[str]:
    """The cameras (as configured: names or serials) the settings link to any of `names`."""
    keys = {sensor_key(n) for n in names if n}
    found: list[str] = []
    for sensor, cameras in links.items():
        if sensor_key(sensor) in keys:
            found += [c for c in cameras if c not in found]
    return found
