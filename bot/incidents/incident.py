"""An incident as the code passes it around: its window, its asker and its cameras' files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.messages import Place


@dataclass(frozen=True)
class IncidentCamera:
    """One camera of an incident: its clip's file and checksum once fetched, or why not."""

    serial: str
    name: str
    position: int
    model: str | None = None
    file: str | None = None  # name in the incident's folder
    size: int | None = None
    sha256: str | None = None
    problem: str | None = None
    added_by: str = ""
    added_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.file is None and self.problem is None


@dataclass(frozen=True)
class Incident:
    """A numbered, stored incident: one window of several cameras, asked in one place."""

    id: int
    note: str
    start: datetime
    end: datetime
    time_zone: str
    place: Place
    asker: dict[str, Any]  # platform, id, name, email
    created_at: datetime
    status: str  # collecting, ready, failed
    link_expires_at: datetime
    revoked_at: datetime | None
    revision: int
    package: str | None
    package_sha256: str | None
    manifest_sha256: str | None
    cameras: tuple[IncidentCamera, ...] = ()

    @property
    def asker_label(self) -> str:
        return str(self.asker.get("name") or self.asker.get("email") or self.asker.get("id"))

    def camera(self, serial: str) -> IncidentCamera | None:
        return next((c for c in self.cameras if c.serial == serial), None)


@dataclass(frozen=True)
class Happening:
    """Something mvbot stored that happened in an incident's window on one of its cameras."""

    at: datetime
    kind: str  # plate, event, occupancy
    serial: str
    camera: str
    text: str  # as a device or a webhook wrote it: escaped wherever it is rendered
