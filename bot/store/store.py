"""The durable store: audit log and pending jobs, with blocking database work in threads."""

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Engine, Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement, Select

from bot.store.column_types import require_aware
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
from bot.store.schema import audit, audit_insert, jobs, schema_version
from bot.store.work import fetch, transact


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
        query = select(schema_version.c.version).order_by(schema_version.c.version.desc())
        rows = await fetch(self._engine, query.limit(1))
        return int(rows[0].version)

    async def add_audit(self, entry: AuditEntry) -> AuditRecord:
        require_aware(entry.at)
        statement = audit_insert(entry).returning(*audit.c)
        row = await transact(self._engine, lambda connection: connection.execute(statement).one())
        return _audit_record(row)

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
        return [_audit_record(row) for row in await fetch(self._engine, query)]

    async def add_job(
        self,
        kind: str,
        payload: Mapping[str, Any],
        place: Mapping[str, Any] | None,
        due_at: datetime,
        job_id: str | None = None,
    ) -> JobRecord:
        """Store a pending job, durable once this returns, under `job_id` or a new id; a job
        already stored under `job_id` (by a run a crash cut short) is returned instead."""
        require_aware(due_at)
        now = datetime.now(UTC)
        values = {
            "id": job_id or str(uuid.uuid4()),
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
        statement = insert(jobs).values(**values).returning(*jobs.c)
        try:
            row = await transact(self._engine, lambda c: c.execute(statement).one())
        except IntegrityError:
            earlier = await self.job(job_id) if job_id is not None else None
            if earlier is None:
                raise
            return earlier
        return _job_record(row)

    async def job(self, job_id: str) -> JobRecord | None:
        found = await self._jobs(select(jobs).where(jobs.c.id == job_id))
        return found[0] if found else None

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
            changes["due_at"] = require_aware(due_at)
        statement = update(jobs).where(jobs.c.id == job_id).values(**changes).returning(*jobs.c)
        row = await transact(
            self._engine, lambda connection: connection.execute(statement).one_or_none()
        )
        if row is None:
            raise JobNotFoundError(job_id)
        return _job_record(row)

    async def jobs(
        self, *, status: JobStatus | str | None = None, kind: str | None = None
    ) -> list[JobRecord]:
        """Jobs in due order, optionally only those with this status or kind."""
        query = select(jobs).order_by(jobs.c.due_at, jobs.c.created_at)
        if status is not None:
            query = query.where(jobs.c.status == JobStatus(status).value)
        if kind is not None:
            query = query.where(jobs.c.kind == kind)
        return await self._jobs(query)

    async def _jobs(self, query: Select[Any]) -> list[JobRecord]:
        return [_job_record(row) for row in await fetch(self._engine, query)]


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
