"""APScheduler's job store for mvbot: each job is an id, a kind, a time and a callable's name.

APScheduler's own SQLAlchemyJobStore pickles every job, so whoever can write that table
can make mvbot run any code when it loads it. This store keeps plain columns only and
rebuilds a job from them; a row naming any callable but the one mvbot schedules is refused
(logged and deleted: the store's `jobs` and `shares` tables, which mvbot re-arms from at
start, stay the source of truth).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Final

from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import ColumnElement, Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.scheduler.tables import scheduler_jobs as table

log = logging.getLogger(__name__)

# What every job runs with: no grace limit, so a job that fell due while mvbot was down still
# runs at start, once (coalesce), however late; the handler decides whether it is too late.
JOB_DEFAULTS: Final[dict[str, Any]] = {
    "misfire_grace_time": None,
    "coalesce": True,
    "max_instances": 1,
}
EXECUTOR: Final = "default"


class JsonJobStore(BaseJobStore):  # type: ignore[misc]
    """Jobs of one callable (`callable_ref`, called with (kind, job id)) at a date, in
    `scheduler_jobs`. Blocking: APScheduler calls it from its own threads or loop. The
    engine is the store's, which closes it."""

    def __init__(self, engine: Engine, callable_ref: str) -> None:
        super().__init__()
        self._engine = engine
        self._callable_ref = callable_ref

    def lookup_job(self, job_id: str) -> Job | None:
        jobs = self._jobs(table.c.id == job_id)
        return jobs[0] if jobs else None

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return self._jobs(table.c.run_at <= now)

    def get_next_run_time(self) -> datetime | None:
        query = select(table.c.run_at).where(table.c.run_at.is_not(None))
        with self._engine.connect() as connection:
            found: datetime | None = connection.execute(
                query.order_by(table.c.run_at).limit(1)
            ).scalar()
        return found

    def get_all_jobs(self) -> list[Job]:
        jobs = self._jobs()
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def add_job(self, job: Job) -> None:
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(table).values(id=job.id, **self._columns(job)))
        except IntegrityError as error:
            raise ConflictingIdError(job.id) from error

    def update_job(self, job: Job) -> None:
        statement = update(table).where(table.c.id == job.id).values(**self._columns(job))
        with self._engine.begin() as connection:
            if connection.execute(statement).rowcount == 0:
                raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        with self._engine.begin() as connection:
            if connection.execute(delete(table).where(table.c.id == job_id)).rowcount == 0:
                raise JobLookupError(job_id)

    def remove_all_jobs(self) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(table))

    def put(self, kind: str, job_id: str, at: datetime) -> None:
        """Store a job as a follower does, without an APScheduler: the leader's finds it
        when it looks (`Scheduler.lead`)."""
        values = {"kind": kind, "run_at": at, "callable": self._callable_ref}
        with self._engine.begin() as connection:
            moved = connection.execute(update(table).where(table.c.id == job_id).values(values))
            if moved.rowcount == 0:
                connection.execute(insert(table).values(id=job_id, **values))

    def drop(self, job_id: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(table).where(table.c.id == job_id))

    def _columns(self, job: Job) -> dict[str, Any]:
        """The row of a job this store can rebuild exactly; any other job is refused."""
        kind = job.args[0] if len(job.args) == 2 else None
        if (
            job.func_ref != self._callable_ref
            or not isinstance(job.trigger, DateTrigger)
            or job.args != (kind, job.id)
            or not isinstance(kind, str)
            or job.kwargs
        ):
            raise ValueError(f"job {job.id!r} is not a {self._callable_ref}(kind, id) at a date")
        return {"kind": kind, "run_at": job.next_run_time, "callable": job.func_ref}

    def _jobs(self, *where: ColumnElement[bool]) -> list[Job]:
        query = select(table).where(*where).order_by(table.c.run_at, table.c.id)
        with self._engine.connect() as connection:
            rows = list(connection.execute(query))
        refused = [row.id for row in rows if row.callable != self._callable_ref]
        if refused:
            log.error("scheduler rows naming another callable were deleted ids=%s", refused)
            with self._engine.begin() as connection:
                connection.execute(delete(table).where(table.c.id.in_(refused)))
        return [self._job(row) for row in rows if row.id not in refused]

    def _job(self, row: Row[Any]) -> Job:
        run_at: datetime | None = row.run_at
        job: Job = Job.__new__(Job)
        job.__setstate__(
            {
                "version": 1,
                "id": row.id,
                "func": self._callable_ref,
                "trigger": DateTrigger(run_date=run_at or datetime.now(UTC), timezone=UTC),
                "executor": EXECUTOR,
                "args": (row.kind, row.id),
                "kwargs": {},
                "name": f"{row.kind} {row.id}",
                "next_run_time": run_at,
                **JOB_DEFAULTS,
            }
        )
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job
