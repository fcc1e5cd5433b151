"""One export as the code sees it: what was asked, by whom, where, and how far it has got."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.media import Container
from bot.messages import Place, SentMessage

# Seed 001: "the minimum time allowed for a single export is 5 seconds and maximum time
# allowed for a single export is 12 hours".
SHORTEST = timedelta(seconds=5)
LONGEST = timedelta(hours=12)


class ExportStatus(StrEnum):
    SCHEDULED = "scheduled"  # stored, waiting for its time (or for the cloud to have it)
    RUNNING = "running"  # fetching parts or joining them
    DONE = "done"  # the file is there, with its checksum
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETED = "deleted"  # deleted by someone; the row stays, the file is gone
    EXPIRED = "expired"  # swept after `[exports] keep`

    @property
    def unfinished(self) -> bool:
        return self in (ExportStatus.SCHEDULED, ExportStatus.RUNNING)


@dataclass(frozen=True)
class Export:
    id: int
    serial: str
    camera: str
    start: datetime
    end: datetime
    container: Container
    status: ExportStatus
    due_at: datetime
    parts_total: int
    place: Place
    person: dict[str, Any]
    progress: SentMessage | None
    sources: tuple[int, ...]
    filename: str | None
    size_bytes: int | None
    sha256: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    posted_at: datetime | None = None  # when the finished export was posted

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def asker(self) -> str:
        return str(self.person.get("email") or self.person.get("id") or "someone")
