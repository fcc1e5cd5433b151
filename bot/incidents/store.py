"""The incident tables in the bot's database: each change is one transaction, run in a thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select, update

from bot.incidents.incident import Incident, IncidentCamera
from bot.incidents.tables import incident_cameras, incidents
from bot.messages import Place
from bot.store.work import fetch, transact, write


class IncidentStore:
    """Incidents and their cameras. Every method may be awaited from the event loop."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine

    async def create(
        self,
        *,
        note: str,
        start: datetime,
        end: datetime,
        time_zone: str,
        place: Place,
        asker: dict[str, Any],
        cameras: Sequence[tuple[str, str, str | None]],  # serial, name, model
        now: datetime,
        link_expires_at: datetime,
        command_key: str | None = None,
    ) -> tuple[int, bool]:
        """Store a new incident and its cameras in one transaction; returns its number and
        True, or the number of the incident `command_key` already made and False (the same
        command run again after a restart)."""

        def work(connection: Connection) -> tuple[int, bool]:
            if command_key is not None:
                made = connection.execute(
                    select(incidents.c.id).where(
                        incidents.c.platform == place.platform,
                        incidents.c.command_key == command_key,
                    )
                ).scalar()
                if made is not None:
                    return int(made), False
            result = connection.execute(
                insert(incidents).values(
                    note=note,
                    start=start,
                    end=end,
                    time_zone=time_zone,
                    platform=place.platform,
                    room_id=place.room_id,
                    place=place.to_json(),
                    asker=asker,
                    created_at=now,
                    status="collecting",
                    link_expires_at=link_expires_at,
                    revision=0,
                    updated_at=now,
                    command_key=command_key,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            number = int(key[0])
            for position, (serial, name, model) in enumerate(cameras):
                connection.execute(
                    insert(incident_cameras).values(
                        incident_id=number,
                        position=position,
                        serial=serial,
                        camera=name,
                        model=model,
                        added_by=str(asker.get("id", "")),
                        added_at=now,
                    )
                )
            return number, True

        return await transact(self._engine, work)

    async def add_camera(
        self, number: int, serial: str, name: str, model: str | None, by: str, now: datetime
    ) -> None:
        """Add a camera at the end and mark the incident as collecting again."""

        def work(connection: Connection) -> None:
            last = connection.execute(
                select(func.max(incident_cameras.c.position)).where(
                    incident_cameras.c.incident_id == number
                )
            ).scalar()
            connection.execute(
                insert(incident_cameras).values(
                    incident_id=number,
                    position=(last or 0) + 1,
                    serial=serial,
                    camera=name,
                    model=model,
                    added_by=by,
                    added_at=now,
                )
            )
            connection.execute(
                update(incidents)
                .where(incidents.c.id == number)
                .values(status="collecting", updated_at=now)
            )

        await transact(self._engine, work)

    async def incident(self, number: int) -> Incident | None:
        rows = await fetch(self._engine, select(incidents).where(incidents.c.id == number))
        if not rows:
            return None
        query = (
            select(incident_cameras)
            .where(incident_cameras.c.incident_id == number)
            .order_by(incident_cameras.c.position)
        )
        cameras = tuple(_to_camera(row) for row in await fetch(self._engine, query))
        return _to_incident(rows[0], cameras)

    async def in_room(self, place: Place, limit: int = 20) -> list[Incident]:
        """The room's newest incidents first, without their cameras' rows."""
        query = (
            select(incidents)
            .where(incidents.c.platform == place.platform, incidents.c.room_id == place.room_id)
            .order_by(incidents.c.id.desc())
            .limit(limit)
        )
        return [_to_incident(row, ()) for row in await fetch(self._engine, query)]

    async def camera_counts(self, numbers: Sequence[int]) -> dict[int, int]:
        query = (
            select(incident_cameras.c.incident_id, func.count().label("cameras"))
            .where(incident_cameras.c.incident_id.in_(list(numbers)))
            .group_by(incident_cameras.c.incident_id)
        )
        rows = await fetch(self._engine, query)
        return {int(row.incident_id): int(row.cameras) for row in rows}

    async def fetched(
        self,
        number: int,
        serial: str,
        *,
        file: str | None = None,
        size: int | None = None,
        sha256: str | None = None,
        problem: str | None = None,
    ) -> None:
        """Record how one camera's clip turned out."""
        await write(
            self._engine,
            update(incident_cameras)
            .where(incident_cameras.c.incident_id == number, incident_cameras.c.serial == serial)
            .values(file=file, size=size, sha256=sha256, problem=problem),
        )

    async def packaged(
        self,
        number: int,
        revision: int,
        package: str,
        package_sha: str,
        manifest_sha: str,
        now: datetime,
    ) -> None:
        await write(
            self._engine,
            update(incidents)
            .where(incidents.c.id == number)
            .values(
                status="ready",
                revision=revision,
                package=package,
                package_sha256=package_sha,
                manifest_sha256=manifest_sha,
                updated_at=now,
            ),
        )

    async def set_status(self, number: int, status: str, now: datetime) -> None:
        await write(
            self._engine,
            update(incidents).where(incidents.c.id == number).values(status=status, updated_at=now),
        )

    async def revoke(self, number: int, now: datetime) -> bool:
        """Revoke the incident's link; False if it already was."""
        statement = (
            update(incidents)
            .where(incidents.c.id == number, incidents.c.revoked_at.is_(None))
            .values(revoked_at=now, updated_at=now)
        )
        return await write(self._engine, statement) > 0

    async def collecting(self) -> list[int]:
        query = select(incidents.c.id).where(incidents.c.status == "collecting")
        return [int(row[0]) for row in await fetch(self._engine, query)]


def _to_camera(row: Row[Any]) -> IncidentCamera:
    return IncidentCamera(
        serial=row.serial,
        name=row.camera,
        position=row.position,
        model=row.model,
        file=row.file,
        size=row.size,
        sha256=row.sha256,
        problem=row.problem,
        added_by=row.added_by,
        added_at=row.added_at,
    )


def _to_incident(row: Row[Any], cameras: tuple[IncidentCamera, ...]) -> Incident:
    return Incident(
        id=int(row.id),
        note=row.note,
        start=row.start,
        end=row.end,
        time_zone=row.time_zone,
        place=Place.from_json(row.place),
        asker=dict(row.asker),
        created_at=row.created_at,
        status=row.status,
        link_expires_at=row.link_expires_at,
        revoked_at=row.revoked_at,
        revision=row.revision,
        package=row.package,
        package_sha256=row.package_sha256,
        manifest_sha256=row.manifest_sha256,
        cameras=cameras,
    )
