"""Runs pending work at its time, across restarts: APScheduler with its jobs in the database
(in plain columns, see jobstore.py: never pickled)."""

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import (
    EVENT_JOB_EXECUTED,
    EVENT_SCHEDULER_SHUTDOWN,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.util import obj_to_ref
from sqlalchemy import Engine

from bot.scheduler.jobstore import EXECUTOR, JOB_DEFAULTS, JsonJobStore

log = logging.getLogger(__name__)

JobHandler = Callable[[str], Awaitable[None]]
# Told each job's kind, due time and start time as it starts (the job-lag histogram).
JobObserver = Callable[[str, datetime, datetime], None]
# How often the leader looks for due jobs other replicas stored, in seconds.
LOOK_EVERY = 1.0


@dataclass(frozen=True)
class ScheduledJob:
    """A job waiting in the scheduler."""

    job_id: str
    kind: str
    at: datetime


async def fire(kind: str, job_id: str) -> tuple[str, str]:
    """The callable APScheduler stores: it only hands its arguments back to the live Scheduler."""
    # APScheduler persists a job's callable as a textual reference ("bot.scheduler:fire") so
    # it can rebuild the job after a restart; a live object's method cannot be persisted. So
    # this module-level trampoline returns (kind, job_id), and the Scheduler that ran it
    # dispatches them to the handler registered for the kind (see Scheduler._on_event).
    return kind, job_id


class Scheduler:
    """Calls `handler(job_id)` for each job at its time, even if the process restarted since.

    Register every kind before start(): a job that fell due while mvbot was down runs as
    soon as the scheduler starts. A job runs at most once; what it means, its retries and
    its outcome belong to the handler and the store, which stays the source of truth.

    schedule() and cancel() return at once: their database writes run in order on one
    worker thread, so the event loop never waits on the database for them. A write that
    fails is logged; the job is still in the store, to be re-armed at the next start.

    With several replicas on one database only the leader runs jobs: every replica
    `open()`s the scheduler, whose schedule() and cancel() then write the shared job table
    directly, and the leader's `lead()` starts APScheduler on that table, looking every
    `LOOK_EVERY` seconds for rows another replica wrote. `start()` does both, for one process.
    """

    def __init__(self, engine: Engine, observe: JobObserver | None = None) -> None:
        # The store's engine: its migrations built the job table before this is started.
        self._engine = engine
        self._observe = observe
        self._handlers: dict[str, JobHandler] = {}
        self._scheduler: AsyncIOScheduler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: ThreadPoolExecutor | None = None
        self._stopped = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._rows: JsonJobStore | None = None
        self._looking: asyncio.Task[None] | None = None

    def register(self, kind: str, handler: JobHandler) -> None:
        if self._scheduler is not None:
            raise RuntimeError(f"register job kind {kind!r} before the scheduler starts")
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} already has a handler")
        self._handlers[kind] = handler

    async def start(self) -> None:
        """Open and lead: one process alone on its database."""
        await self.open()
        await self.lead()

    async def open(self) -> None:
        """Accept schedule() and cancel(), writing the job table; run nothing yet."""
        if self._worker is not None:
            raise RuntimeError("the scheduler is already open")
        self._loop = asyncio.get_running_loop()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scheduler-db")
        self._rows = JsonJobStore(self._engine, obj_to_ref(fire))

    async def lead(self) -> None:
        """Run jobs as they fall due, those other replicas stored included."""
        if self._scheduler is not None:
            raise RuntimeError("the scheduler is already running")
        assert self._loop is not None and self._worker is not None, "open() first"
        scheduler = AsyncIOScheduler(
            jobstores={"default": JsonJobStore(self._engine, obj_to_ref(fire))},
            executors={EXECUTOR: AsyncIOExecutor()},
            job_defaults=JOB_DEFAULTS,
            timezone=UTC,
            event_loop=self._loop,
        )
        scheduler.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_SCHEDULER_SHUTDOWN)
        self._stopped.clear()
        try:
            # Set before starting: a job already due fires at once, and is dispatched only
            # while a scheduler is set (otherwise it counts as falling due at shutdown).
            # Starting reads due jobs: blocking database work.
            self._scheduler = scheduler
            await self._in_worker(scheduler.start)
        except BaseException:
            self._scheduler = None
            raise
        if self._engine.dialect.name == "postgresql":  # SQLite: no other replica writes rows
            self._looking = asyncio.create_task(self._look_for_others(), name="scheduler look")

    def schedule(self, kind: str, job_id: str, at: datetime) -> None:
        """Run `kind`'s handler with `job_id` at `at`; scheduling the same id again moves it."""
        if kind not in self._handlers:
            raise ValueError(f"no handler is registered for job kind {kind!r}")
        if at.tzinfo is None:
            raise ValueError("give the job's time with a time zone")
        scheduler = self._scheduler
        if scheduler is None:  # a follower: the leader's scheduler finds the row
            write = self._in_worker(self._open_rows().put, kind, job_id, at)
            write.add_done_callback(functools.partial(_log_failure, f"scheduling job {job_id}"))
            return
        write = self._in_worker(
            scheduler.add_job,
            fire,
            trigger=DateTrigger(run_date=at, timezone=UTC),
            args=(kind, job_id),
            id=job_id,
            name=f"{kind} {job_id}",
            replace_existing=True,
        )
        write.add_done_callback(functools.partial(_log_failure, f"scheduling job {job_id}"))

    def cancel(self, job_id: str) -> None:
        """Forget a job, if it is still waiting."""
        if self._scheduler is None:
            write = self._in_worker(self._open_rows().drop, job_id)
        else:
            write = self._in_worker(_remove, self._scheduler, job_id)
        write.add_done_callback(functools.partial(_log_failure, f"cancelling job {job_id}"))

    async def scheduled(self) -> list[ScheduledJob]:
        """Jobs still waiting, soonest first (after every earlier schedule and cancel)."""
        if self._scheduler is None:
            jobs = await self._in_worker(self._open_rows().get_all_jobs)
        else:
            jobs = await self._in_worker(self._scheduler.get_jobs)
        return [ScheduledJob(job.id, job.args[0], job.next_run_time) for job in jobs]

    async def shutdown(self) -> None:
        """Stop firing jobs and cancel handlers still running; waiting jobs stay stored."""
        scheduler, self._scheduler = self._scheduler, None
        worker, self._worker = self._worker, None
        if worker is None:
            return
        if self._looking is not None:
            self._looking.cancel()
            await asyncio.gather(self._looking, return_exceptions=True)
        # Writes already queued reach the database first.
        await asyncio.get_running_loop().run_in_executor(worker, lambda: None)
        if scheduler is not None:
            # AsyncIOScheduler defers its shutdown to the next loop iteration; wait for it.
            scheduler.shutdown(wait=False)
            await self._stopped.wait()
        worker.shutdown(wait=False)
        for task in self._running:
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def _open_rows(self) -> JsonJobStore:
        if self._rows is None or self._worker is None:
            raise RuntimeError("the scheduler is not running")
        return self._rows

    async def _look_for_others(self) -> None:
        """Wake APScheduler when a row is due that it may not know of (another replica
        wrote it): APScheduler only re-reads its store when it wakes."""
        rows = self._open_rows()
        while self._scheduler is not None:
            await asyncio.sleep(LOOK_EVERY)
            try:
                due = await self._in_worker(rows.get_next_run_time)
            except Exception as error:
                log.warning("looking for due jobs failed error=%r", error)
                continue
            if due is not None and due <= datetime.now(UTC) and self._scheduler is not None:
                self._scheduler.wakeup()

    def _in_worker(
        self, call: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> asyncio.Future[Any]:
        assert self._loop is not None and self._worker is not None
        return self._loop.run_in_executor(self._worker, functools.partial(call, *args, **kwargs))

    def _on_event(self, event: SchedulerEvent) -> None:
        assert self._loop is not None
        if event.code == EVENT_SCHEDULER_SHUTDOWN:
            self._loop.call_soon_threadsafe(self._stopped.set)
        elif isinstance(event, JobExecutionEvent):
            kind, job_id = event.retval
            due: datetime = event.scheduled_run_time
            self._loop.call_soon_threadsafe(self._dispatch, kind, job_id, due)

    def _dispatch(self, kind: str, job_id: str, due: datetime) -> None:
        if self._scheduler is None:
            log.warning("job %s of kind %s fell due during shutdown; not run", job_id, kind)
            return
        handler = self._handlers.get(kind)
        if handler is None:
            log.error("job %s of kind %s is due but no handler is registered", job_id, kind)
            return
        if self._observe is not None:
            self._observe(kind, due, datetime.now(UTC))
        task = asyncio.create_task(self._run(handler, kind, job_id), name=f"job {kind} {job_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, handler: JobHandler, kind: str, job_id: str) -> None:
        try:
            await handler(job_id)
        except Exception:
            log.exception("job %s of kind %s failed", job_id, kind)


def _remove(scheduler: AsyncIOScheduler, job_id: str) -> None:
    # A job already run or never scheduled leaves nothing to cancel.
    with contextlib.suppress(JobLookupError):
        scheduler.remove_job(job_id)


def _log_failure(what: str, write: asyncio.Future[Any]) -> None:
    if not write.cancelled() and (error := write.exception()) is not None:
        log.error("%s failed: %s", what, error)
