"""Scheduled jobs fire at their time, once, and survive a restart, on SQLite and PostgreSQL."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest
from sqlalchemy import Engine

from bot.scheduler import JobHandler, Scheduler
from bot.store import Store
from tests.db_fixtures import database_url_fixture  # noqa: F401

DEADLINE = 10.0


class Calls:
    """A handler that records job ids and lets a test await a given one."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._events: dict[str, asyncio.Event] = {}

    def event(self, job_id: str) -> asyncio.Event:
        return self._events.setdefault(job_id, asyncio.Event())

    async def __call__(self, job_id: str) -> None:
        self.ids.append(job_id)
        self.event(job_id).set()

    async def wait_for(self, job_id: str) -> None:
        await asyncio.wait_for(self.event(job_id).wait(), DEADLINE)


def soon(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


class Starter(Protocol):
    async def __call__(self, **handlers: JobHandler) -> Scheduler: ...


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Engine]:
    """The engine of a store opened (and so migrated) on the test database."""
    store = await Store.open(database_url)
    yield store.engine
    await store.close()


@pytest.fixture
async def started(engine: Engine) -> AsyncIterator[Starter]:
    """Starts schedulers on the test database and shuts down whichever are still running."""
    running: list[Scheduler] = []

    async def start(**handlers: JobHandler) -> Scheduler:
        scheduler = Scheduler(engine)
        for kind, handler in handlers.items():
            scheduler.register(kind, handler)
        await scheduler.start()
        running.append(scheduler)
        return scheduler

    yield start
    for scheduler in running:
        await scheduler.shutdown()


async def test_a_job_fires_its_handler_at_its_time(started: Starter) -> None:
    calls = Calls()
    scheduler = await started(clip=calls)
    scheduler.schedule("clip", "job-1", soon(1))
    assert [job.job_id for job in await scheduler.scheduled()] == ["job-1"]
    await calls.wait_for("job-1")
    assert calls.ids == ["job-1"]
    assert await scheduler.scheduled() == []


async def test_a_job_survives_a_restart_and_runs_once(started: Starter) -> None:
    before, after = Calls(), Calls()
    first = await started(clip=before)
    first.schedule("clip", "job-1", soon(1))
    await first.shutdown()

    second = await started(clip=after)
    await after.wait_for("job-1")
    await second.shutdown()

    third = await started(clip=after)
    assert await third.scheduled() == []
    assert (before.ids, after.ids) == ([], ["job-1"])


async def test_a_job_due_while_down_runs_at_start(started: Starter) -> None:
    before, after = Calls(), Calls()
    first = await started(clip=before)
    due = soon(0.5)
    first.schedule("clip", "job-1", due)
    await first.shutdown()
    # The downtime: mvbot is down when the job falls due and stays down past APScheduler's
    # default grace time of 1 s, after which it would drop the job as missed.
    await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 1.2)

    await started(clip=after)
    await after.wait_for("job-1")
    assert (before.ids, after.ids) == ([], ["job-1"])


async def test_scheduling_an_id_again_moves_the_job(started: Starter) -> None:
    calls = Calls()
    scheduler = await started(clip=calls)
    scheduler.schedule("clip", "moved", soon(0.3))
    scheduler.schedule("clip", "moved", soon(0.6))
    scheduler.schedule("clip", "cancelled", soon(0.3))
    scheduler.cancel("cancelled")
    scheduler.cancel("never-scheduled")
    scheduler.schedule("clip", "last", soon(1.2))
    await calls.wait_for("last")
    assert calls.ids == ["moved", "last"]


async def test_a_failing_handler_does_not_stop_others(started: Starter) -> None:
    calls = Calls()

    async def broken(job_id: str) -> None:
        raise RuntimeError(f"cannot deliver {job_id}")

    scheduler = await started(clip=calls, share=broken)
    scheduler.schedule("share", "bad", soon(0.2))
    scheduler.schedule("clip", "good", soon(0.5))
    await calls.wait_for("good")
    assert calls.ids == ["good"]


async def test_mistakes_are_refused_at_once(started: Starter, engine: Engine) -> None:
    calls = Calls()
    scheduler = await started(clip=calls)
    with pytest.raises(ValueError, match="no handler"):
        scheduler.schedule("clipp", "job-1", soon(1))
    with pytest.raises(ValueError, match="time zone"):
        scheduler.schedule("clip", "job-1", datetime(2030, 1, 1))
    assert await scheduler.scheduled() == []
    with pytest.raises(RuntimeError, match="before the scheduler starts"):
        scheduler.register("share", calls)

    fresh = Scheduler(engine)
    fresh.register("clip", calls)
    with pytest.raises(ValueError, match="already has a handler"):
        fresh.register("clip", calls)
