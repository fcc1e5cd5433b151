"""The durable store: audit log and pending jobs, with blocking database work in threads."""

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Engine, Row, insert, or_, select, update
from sqlalchemy.sql import ColumnElement

from bot.store.engine import create_database_engine
from bot.store.migrations import migrate
from bot.store.records import (
    AuditEntry,
    AuditRecord,
    JobNotFoundError,
    JobRecord,
    JobStatus,
    Outcome,
)
from bot.store.schema import audit, jobs, schema_version


class _Unchanged:
    """Marks an argument left out, where None is a value (clearing last_error)."""


UNCHANGED: Final = _Unchanged()


class Store:
    """Audit rows and jobs in SQLite or PostgreSQL. Open with `await Store.open(url)`.

    Statuses and outcomes may be given as enum members or their values ("done"); an
    unknown one raises ValueError.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    async def open(cls, url: str) -> "Store":
        """Connect and bring the schema up to date (migrations run once, on any restart)."""
        engine = await asyncio.to_thread(create_database_engine, url)
        try:
            await asyncio.to_thread(migrate, engine)
        except BaseException:
            await asyncio.to_thread(engine.dispose)
            raise
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """For feature stores (shares, plates…) that keep their own tables in this database;
        call it only from worker threads (`asyncio.to_thread`), never on the event loop."""
        return self._engine

    async def close(self) -> None:
        await asyncio.to_thread(self._engine.dispose)

    async def schema_version(self) -> int:
        return await asyncio.to_thread(self._schema_version)

    async def add_audit(self, entry: AuditEntry) -> AuditRecord:
        _require_aware(entry.at)
        return await asyncio.to_thread(self._add_audit, entry)

    async def audit_rows(
        self,
        limit: int = 100,
        *,
        platform: str | None = None,
        person: str | None = None,
        place_id: str | None = None,
        action: str | None = None,
        outcome: Outcome | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditRecord]:
        """Newest first. `person` matches a person id or e-mail; `until` is exclusive."""
        conditions: list[ColumnElement[bool]] = []
        wanted_outcome = Outcome(outcome).value if outcome is not None else None
        for column, wanted in (
            (audit.c.platform, platform),
            (audit.c.place_id, place_id),
            (audit.c.action, action),
            (audit.c.outcome, wanted_outcome),
        ):
            if wanted is not None:
                conditions.append(column == wanted)
        if person is not None:
            conditions.append(or_(audit.c.person_id == person, audit.c.person_email == person))
        if since is not None:
            conditions.append(audit.c.at >= since)
        if until is not None:
            conditions.append(audit.c.at < until)
        query = (
            select(audit).where(*conditions).order_by(audit.c.at.desc(), audit.c.id.desc())
        ).limit(limit)
        return await asyncio.to_thread(self._audit_rows, query)

    async def add_job(
        self,
        kind: str,
        payload: Mapping[str, Any],
        place: Mapping[str, Any] | None,
        due_at: datetime,
    ) -> JobRecord:
        """Store a pending job under a new id; it is durable once this returns."""
        _require_aware(due_at)
        now = datetime.now(UTC)
        values = {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "payload": dict(payload),
            "place": dict(place) if place is not None else None,
            "status": JobStatus.PENDING.value,
            "due_at": due_at,
            "attempts": 0,
            "last_error": None,
            "created_at": now,
            "updated_at": now,
        }
        await asyncio.to_thread(self._write, insert(jobs).values(**values))
        found = await self.job(str(values["id"]))
        assert found is not None
        return found

    async def job(self, job_id: str) -> JobRecord | None:
        return await asyncio.to_thread(self._job, job_id)

    async def update_job(
        self,
        job_id: str,
        *,
        status: JobStatus | str | None = None,
        attempts: int | None = None,
        last_error: str | _Unchanged | None = UNCHANGED,
        due_at: datetime | None = None,
    ) -> JobRecord:
        """Change some of a job's fields; JobNotFoundError when there is no such job."""
        changes: dict[str, Any] = {"updated_at": datetime.now(UTC)}
        if status is not None:
            changes["status"] = JobStatus(status).value
        if attempts is not None:
            changes["attempts"] = attempts
        if not isinstance(last_error, _Unchanged):
            changes["last_error"] = last_error
        if due_at is not None:
            changes["due_at"] = _require_aware(due_at)
        statement = update(jobs).where(jobs.c.id == job_id).values(**changes)
        if await asyncio.to_thread(self._write, statement) == 0:
            raise JobNotFoundError(job_id)
        found = await self.job(job_id)
        if found is None:
            raise JobNotFoundError(job_id)
        return found

    async def jobs(
        self, *, status: JobStatus | str | None = None, kind: str | None = None
    ) -> list[JobRecord]:
        """Jobs in due order, optionally only those with this status or kind."""
        query = select(jobs).order_by(jobs.c.due_at, jobs.c.created_at)
        if status is not None:
            query = query.where(jobs.c.status == JobStatus(status).value)
        if kind is not None:
            query = query.where(jobs.c.kind == kind)
        return await asyncio.to_thread(self._jobs, query)

    def _schema_version(self) -> int:
        with self._engine.connect() as connection:
            query = select(schema_version.c.version).order_by(schema_version.c.version.desc())
            return int(connection.execute(query.limit(1)).scalar_one())

    def _add_audit(self, entry: AuditEntry) -> AuditRecord:
        values = {
            "at": entry.at,
            "platform": entry.platform,
            "person_id": entry.person_id,
            "person_email": entry.person_email,
            "place_id": entry.place_id,
            "command": entry.command,
            "action": entry.action,
            "outcome": Outcome(entry.outcome).value,
            "detail": entry.detail,
        }
        with self._engine.begin() as connection:
            row = connection.execute(insert(audit).values(**values).returning(*audit.c)).one()
        return _audit_record(row)

    def _audit_rows(self, query: Any) -> list[AuditRecord]:
        with self._engine.connect() as connection:
            return [_audit_record(row) for row in connection.execute(query)]

    def _write(self, statement: Any) -> int:
        with self._engine.begin() as connection:
            return int(connection.execute(statement).rowcount)

    def _job(self, job_id: str) -> JobRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(jobs).where(jobs.c.id == job_id)).one_or_none()
        return _job_record(row) if row is not None else None

    def _jobs(self, query: Any) -> list[JobRecord]:
        with self._engine.connect() as connection:
            return [_job_record(row) for row in connection.execute(query)]


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; the store keeps instants only")
    return moment


def _audit_record(row: Row[Any]) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        platform=row.platform,
        person_id=row.person_id,
        person_email=row.person_email,
        place_id=row.place_id,
        command=row.command,
        action=row.action,
        outcome=Outcome(row.outcome),
        detail=row.detail,
    )


def _job_record(row: Row[Any]) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        payload=row.payload,
        place=row.place,
        status=JobStatus(row.status),
        due_at=row.due_at,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
