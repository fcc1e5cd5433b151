"""The exports' durable rows: each export, and each part it already has on disk."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, insert, select, update

from bot.exports.export import Export, ExportStatus
from bot.exports.tables import export_parts, exports
from bot.media import Container
from bot.messages import Place, SentMessage
from bot.store.work import fetch, transact, write


class ExportStore:
    """Exports in the store's database (SQLite or PostgreSQL), off the event loop."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def add(
        self,
        *,
        serial: str,
        camera: str,
        start: datetime,
        end: datetime,
        container: Container,
        due_at: datetime,
        parts_total: int,
        place: Place,
        person: Mapping[str, Any],
        now: datetime,
        sources: tuple[int, ...] = (),
        status: ExportStatus = ExportStatus.SCHEDULED,
        command: str | None = None,
    ) -> Export:
        """Store a new export; durable once this returns."""
        values = {
            "serial": serial,
            "camera": camera,
            "span_start": start,
            "span_end": end,
            "container": container,
            "status": status.value,
            "due_at": due_at,
            "parts_total": parts_total,
            "place": place.to_json(),
            "person": dict(person),
            "sources": list(sources) or None,
            "command": command,
            "created_at": now,
        }
        statement = insert(exports).values(**values).returning(*exports.c)
        row = await transact(self._engine, lambda c: c.execute(statement).one())
        return _export(row)

    async def get(self, export_id: int) -> Export | None:
        rows = await fetch(self._engine, select(exports).where(exports.c.id == export_id))
        return _export(rows[0]) if rows else None

    async def by_command(self, command: str) -> Export | None:
        """The export a stored command asked for, if it got that far before a restart."""
        rows = await fetch(self._engine, select(exports).where(exports.c.command == command))
        return _export(rows[0]) if rows else None

    async def recent(self, room_id: str, limit: int = 10) -> list[Export]:
        """The room's exports, newest first, but those deleted or swept."""
        gone = (ExportStatus.DELETED.value, ExportStatus.EXPIRED.value)
        query = select(exports).where(exports.c.status.not_in(gone))
        rows = await fetch(self._engine, query.order_by(exports.c.id.desc()))
        return [e for e in map(_export, rows) if e.place.room_id == room_id][:limit]

    async def with_status(self, *statuses: ExportStatus) -> list[Export]:
        query = select(exports).where(exports.c.status.in_([s.value for s in statuses]))
        return [_export(row) for row in await fetch(self._engine, query.order_by(exports.c.id))]

    async def change(self, export_id: int, **values: Any) -> None:
        if isinstance(values.get("status"), ExportStatus):
            values["status"] = values["status"].value
        if isinstance(values.get("progress"), SentMessage):
            values["progress"] = values["progress"].to_json()
        await write(self._engine, update(exports).where(exports.c.id == export_id).values(values))

    async def claim(self, export_id: int) -> Export | None:
        """Mark a scheduled export running; None if it is not scheduled or running (cancelled,
        done): a second wake-up then does nothing."""

        def work(connection: Connection) -> Row[Any] | None:
            unfinished = (ExportStatus.SCHEDULED.value, ExportStatus.RUNNING.value)
            statement = (
                update(exports)
                .where(exports.c.id == export_id, exports.c.status.in_(unfinished))
                .values(status=ExportStatus.RUNNING.value)
                .returning(*exports.c)
            )
            return connection.execute(statement).one_or_none()

        row = await transact(self._engine, work)
        return _export(row) if row is not None else None

    async def parts_done(self, export_id: int) -> set[int]:
        query = select(export_parts.c.part).where(export_parts.c.export_id == export_id)
        return {row.part for row in await fetch(self._engine, query)}

    async def part_fetched(self, export_id: int, part: int, size: int, now: datetime) -> None:
        values = {"export_id": export_id, "part": part, "size_bytes": size, "fetched_at": now}
        await write(self._engine, insert(export_parts).values(values))

    async def forget_parts(self, export_id: int) -> None:
        await write(self._engine, delete(export_parts).where(export_parts.c.export_id == export_id))


def _export(row: Row[Any]) -> Export:
    progress = row.progress
    return Export(
        id=int(row.id),
        serial=row.serial,
        camera=row.camera,
        start=row.span_start,
        end=row.span_end,
        container="ts" if row.container == "ts" else "mp4",
        status=ExportStatus(row.status),
        due_at=row.due_at,
        parts_total=row.parts_total,
        place=Place.from_json(row.place),
        person=dict(row.person or {}),
        progress=SentMessage.from_json(progress) if progress else None,
        sources=tuple(int(i) for i in row.sources or ()),
        filename=row.filename,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
        posted_at=row.posted_at,
    )
