"""New sightings of one processing batch, written together: ids taken up front, rows at the end.

A burst of distinct plates is mostly new sightings. Inserting each as it is found costs a
statement (and SQLAlchemy building it) per read; here the batch takes its ids before it
needs them, so later reads of the batch can join a sighting that is not written yet, and
the sightings (as the whole batch left them) and their audit rows go in as a few
multi-row statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from bot.events.evidence import Evidence
from bot.events.lpr import canonical
from bot.events.read_rows import driver_moment, insert_rows

_SIGHTING_COLUMNS = (
    "id",
    "serial",
    "camera",
    "plate",
    "canonical",
    "confidence",
    "reads",
    "first_at",
    "last_at",
)
_AUDIT_COLUMNS = ("at", "platform", "person_id", "command", "action", "outcome", "detail")

_NEXT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('plate_sightings', 'id')) "
    "FROM generate_series(1, :count)"
)


class NewSightings:
    """Ids for, and rows of, the sightings one transaction creates."""

    def __init__(self, connection: Connection, at_most: int) -> None:
        self._connection = connection
        self._at_most = at_most  # reads in the batch: no more sightings than that
        self._ids: list[int] | None = None
        self._cameras: dict[int, str] = {}  # sighting id → camera name
        self._audits: list[tuple[Any, ...]] = []  # the audit table's _AUDIT_COLUMNS
        self._sqlite = connection.dialect.name == "sqlite"
        # The audit rows' time: the batch's, one transaction.
        self._now = driver_moment(datetime.now(UTC), self._sqlite)

    def add(self, serial: str, camera: str, plate: str, at: datetime) -> int:
        """Take an id for a new sighting of one read, and audit it; `write` stores its row."""
        sighting_id = self._next_id()
        self._cameras[sighting_id] = camera
        self._audits.append(
            (
                self._now,
                "mqtt",
                serial,
                f"plate {plate} at {camera}",
                "plate.sighting",
                "ok",
                f"sighting {sighting_id} at {at.isoformat()}",
            )
        )
        return sighting_id

    def __contains__(self, sighting_id: int) -> bool:
        return sighting_id in self._cameras

    def write(self, sightings: Sequence[Evidence]) -> None:
        """Insert the new sightings, as the batch left them, and their audit rows."""
        rows = []
        for evidence in sightings:
            plate, confidence = evidence.best()
            first_at = driver_moment(evidence.first_at, self._sqlite)
            # One read's sighting (most of a burst's) starts and ends at the same moment.
            same = evidence.last_at == evidence.first_at
            last_at = first_at if same else driver_moment(evidence.last_at, self._sqlite)
            rows.append(
                (
                    *(evidence.id, evidence.serial, self._cameras[evidence.id], plate),
                    *(canonical(plate), confidence, evidence.reads, first_at, last_at),
                )
            )
        insert_rows(self._connection, "plate_sightings", _SIGHTING_COLUMNS, rows)
        insert_rows(self._connection, "audit", _AUDIT_COLUMNS, self._audits)
        self._cameras, self._audits = {}, []

    def _next_id(self) -> int:
        if not self._ids:
            self._ids = self._allocate()
        return self._ids.pop()

    def _allocate(self) -> list[int]:
        connection = self._connection
        if connection.dialect.name == "postgresql":
            # The sequence hands out ids no other transaction gets; unused ones are a gap.
            found = connection.execute(_NEXT_IDS, {"count": self._at_most}).scalars()
            return sorted(found, reverse=True)
        # SQLite: the batch holds the write lock from its BEGIN (bot.store.engine), so nobody
        # else can take these ids before it commits.
        top = connection.exec_driver_sql("SELECT max(id) FROM plate_sightings").scalar() or 0
        highest = max(top, max(self._cameras, default=0))
        return list(range(highest + self._at_most, highest, -1))
