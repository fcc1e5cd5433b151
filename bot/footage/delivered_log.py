"""The footage log: every file mvbot delivered, recorded once, found again by its checksum.

A feature calls `FootageLog.record` once the post that carried the file has succeeded.
The `key` says what makes that delivery unique (the deferred job's post key, the command's
message id and camera, an export's id): a re-delivery after a crash records nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from bot.footage.tables import delivered_files
from bot.messages import Person, Place
from bot.store.column_types import require_aware
from bot.store.work import fetch, write

LOG_LIMIT = 50  # rows one `footage log` shows at most


class FileKind(StrEnum):
    CLIP = "clip"
    SNAPSHOT = "snapshot"
    EXPORT = "export"
    INCIDENT = "incident"


@dataclass(frozen=True)
class DeliveredFile:
    """One file as it was delivered: what it shows, where it went, to whom.

    `zone` is the IANA zone the reply showed its times in (the camera's); a snapshot's
    `start` and `end` are the same moment.
    """

    kind: FileKind
    sha256: str
    serial: str
    camera: str
    zone: str
    start: datetime
    end: datetime
    size_bytes: int
    place: Place
    asker: Person
    delivered_at: datetime | None = None  # set by the store


def _now() -> datetime:
    return datetime.now(UTC)


class FootageLog:
    """The `delivered_files` table; blocking work runs in worker threads."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _now) -> None:
        self._engine = engine
        self._clock = clock

    async def record(self, key: str, file: DeliveredFile) -> bool:
        """Record a delivered file; False when `key` was recorded before (nothing changes)."""
        require_aware(file.start)
        require_aware(file.end)
        values = {
            "key": key[:191],
            "sha256": file.sha256.lower(),
            "kind": str(file.kind),
            "serial": file.serial,
            "camera": file.camera[:255],
            "zone": file.zone,
            "start_at": file.start,
            "end_at": file.end,
            "size_bytes": file.size_bytes,
            "platform": file.place.platform,
            "room_id": file.place.room_id,
            "thread_id": file.place.thread_id,
            "asker_id": file.asker.id,
            "asker_name": (file.asker.name or file.asker.email or None),
            "delivered_at": self._clock(),
        }
        try:
            await write(self._engine, insert(delivered_files).values(**values))
        except IntegrityError:
            return False
        return True

    async def matching(self, sha256: str) -> list[DeliveredFile]:
        """Every delivery of a file with this checksum, the first one first."""
        query = (
            select(delivered_files)
            .where(delivered_files.c.sha256 == sha256.lower())
            .order_by(delivered_files.c.delivered_at, delivered_files.c.id)
        )
        return [_file(row) for row in await fetch(self._engine, query)]

    async def recent(
        self,
        *,
        serial: str | None = None,
        since: datetime | None = None,
        limit: int = LOG_LIMIT,
    ) -> list[DeliveredFile]:
        """The latest deliveries first, of one camera and since a moment when given."""
        query = select(delivered_files)
        if serial is not None:
            query = query.where(delivered_files.c.serial == serial)
        if since is not None:
            query = query.where(delivered_files.c.delivered_at >= require_aware(since))
        query = query.order_by(
            delivered_files.c.delivered_at.desc(), delivered_files.c.id.desc()
        ).limit(limit)
        return [_file(row) for row in await fetch(self._engine, query)]


def _file(row: Any) -> DeliveredFile:
    return DeliveredFile(
        kind=FileKind(row.kind),
        sha256=row.sha256,
        serial=row.serial,
        camera=row.camera,
        zone=row.zone,
        start=row.start_at,
        end=row.end_at,
        size_bytes=row.size_bytes,
        place=Place(row.platform, row.room_id, row.thread_id),
        asker=Person(row.platform, row.asker_id, row.asker_name),
        delivered_at=row.delivered_at,
    )
