"""The scheduler's jobs are stored as plain columns, never pickles: what is stored is
readable, a row naming other code is refused, and the old pickled table is dropped without
losing work (mvbot re-arms every job from the store's own tables at start)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, inspect, text

from bot.scheduler import Scheduler
from bot.store import Store, create_database_engine, migrate
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.share_fixtures import ShareStarter, share_starter_fixture, token_in  # noqa: F401
from tests.test_scheduler import Calls, soon

EMAIL = "guest@example.com"


def stored_rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM scheduler_jobs ORDER BY id"))
        return [dict(row._mapping) for row in rows]


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


async def test_stored_jobs_are_plain_text_and_fire_after_a_restart(database_url: str) -> None:
    calls = Calls()
    store = await Store.open(database_url)
    first = Scheduler(store.engine)
    first.register("clip", calls)
    await first.start()
    first.schedule("clip", "job-1", soon(1.5))
    first.schedule("clip", "job-2", soon(3600))
    await first.scheduled()  # the writes have reached the database
    await first.shutdown()
    await store.close()

    engine = create_database_engine(database_url)
    try:
        rows = await asyncio.to_thread(stored_rows, engine)
        tables = await asyncio.to_thread(table_names, engine)
    finally:
        engine.dispose()
    assert "apscheduler_jobs" not in tables
    assert [(r["id"], r["kind"], r["callable"]) for r in rows] == [
        ("job-1", "clip", "bot.scheduler:fire"),
        ("job-2", "clip", "bot.scheduler:fire"),
    ]
    for row in rows:
        assert not any(isinstance(value, bytes | memoryview) for value in row.values()), row
        assert "\x80" not in json.dumps(row, default=str)  # no pickle protocol header

    store = await Store.open(database_url)
    second = Scheduler(store.engine)
    second.register("clip", calls)
    await second.start()
    try:
        await calls.wait_for("job-1")
        assert [job.job_id for job in await second.scheduled()] == ["job-2"]
    finally:
        await second.shutdown()
        await store.close()


async def test_a_row_naming_other_code_is_refused(database_url: str) -> None:
    engine = create_database_engine(database_url)
    try:
        await asyncio.to_thread(migrate, engine)
        past = datetime.now(UTC) - timedelta(minutes=1)
        with engine.begin() as connection:
            for job_id, ref in [("evil", "os:system"), ("good", "bot.scheduler:fire")]:
                connection.execute(
                    text("INSERT INTO scheduler_jobs VALUES (:id, 'clip', :at, :ref)"),
                    {"id": job_id, "at": past.replace(tzinfo=None), "ref": ref},
                )
        calls = Calls()
        scheduler = Scheduler(engine)
        scheduler.register("clip", calls)
        await scheduler.start()
        try:
            await calls.wait_for("good")
            assert await scheduler.scheduled() == []
        finally:
            await scheduler.shutdown()
        assert calls.ids == ["good"]
        assert await asyncio.to_thread(stored_rows, engine) == []
    finally:
        engine.dispose()


def pickled_job_table(engine: Engine) -> None:
    """What APScheduler's own store left: `apscheduler_jobs` holding a pickled job."""
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine)})
    scheduler.add_job(print, "date", run_date=datetime(2030, 1, 1, tzinfo=UTC), id="old")
    scheduler.start(paused=True)
    scheduler.shutdown()


async def test_the_pickled_table_is_dropped_and_shares_are_re_armed(
    share_starter: ShareStarter, database_url: str
) -> None:
    settings = {"expiry": "3s", "reminder_lead": "0s"}
    async with share_starter(shares=settings) as shared:
        token = token_in(await shared.ask(f"share lobby with {EMAIL}"))
    # The database of an mvbot before version 6: its expiry job was in APScheduler's pickled
    # table, which the upgrade drops.
    engine = create_database_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM scheduler_jobs"))
            connection.execute(text("DELETE FROM schema_version WHERE version = 6"))
            connection.execute(text("DROP TABLE scheduler_jobs"))
        await asyncio.to_thread(pickled_job_table, engine)
        assert "apscheduler_jobs" in await asyncio.to_thread(table_names, engine)
    finally:
        engine.dispose()
    async with share_starter(shares=settings) as restarted:
        assert await restarted.running.shares.wait_ended(EMAIL, timeout=15)
        assert (await restarted.http.get(f"/s/{token}")).status_code == 410
        engine = restarted.running.services.store.engine
        assert "apscheduler_jobs" not in await asyncio.to_thread(table_names, engine)
