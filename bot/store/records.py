"""What the store holds: audit entries and pending jobs, as plain frozen records."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How a command ended, as the audit log records it."""

    OK = "ok"
    REFUSED = "refused"
    FAILED = "failed"
    PENDING = "pending"
    DELIVERED = "delivered"


class JobStatus(StrEnum):
    """Where a pending job stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AuditEntry:
    """One audited command or action, before the store gives it an id."""

    platform: str
    person_id: str
    command: str
    action: str
    outcome: Outcome | str
    person_email: str | None = None
    place_id: str | None = None
    detail: str | None = None
    at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        Outcome(self.outcome)  # an unknown outcome fails here, not when the row is written


@dataclass(frozen=True)
class AuditRecord(AuditEntry):
    """An audit entry as stored, with its row id."""

    id: int = 0


@dataclass(frozen=True)
class JobRecord:
    """Work that must survive a restart: what to do (kind, payload), for where, and when."""

    id: str
    kind: str
    payload: Mapping[str, Any]
    place: Mapping[str, Any] | None
    status: JobStatus
    due_at: datetime
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class JobNotFoundError(LookupError):
    """No job has this id."""
