"""A processing batch lets the store go early when storing wants it back (store_turns.Turn):
what it merged is committed, the rest is left for the next batch, and every read ends
processed once."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot.events.decode import PlateRead
from bot.events.read_processing import ReadProcessor
from bot.events.sightings import YIELD_EVERY, CameraView, PlateLedger, PlateRules
from bot.events.store_turns import Turn
from bot.store import create_database_engine, migrate
from bot.telemetry.metrics import Metrics
from tests.db_fixtures import database_url_fixture  # noqa: F401

GARAGE = "Q2GV-GRGE-0002"
AT = datetime(2026, 3, 23, 14, 30, tzinfo=UTC)
CAMERAS = {GARAGE: CameraView(GARAGE, "Garage")}


def reads(count: int) -> list[PlateRead]:
    """Reads a minute apart, each its own car whatever its plate (the window is 10 s)."""
    return [
        PlateRead(
            f"k{n}",
            f"/merakimv/{GARAGE}/lpr",
            GARAGE,
            f"PL{n:05d}",
            f"PL{n:05d}",
            AT + timedelta(minutes=n),
            0.9,
        )
        for n in range(count)
    ]


async def stored_ledger(url: str, count: int) -> tuple[Engine, PlateLedger, list[PlateRead]]:
    """A ledger on a new database holding `count` stored reads."""
    engine = create_database_engine(url)
    migrate(engine)
    ledger = PlateLedger(engine)
    stored = reads(count)
    await ledger.store_reads(stored)
    return engine, ledger, stored


def may_see(tags: tuple[str, ...], place: object) -> bool:
    return True


async def test_a_batch_asked_to_let_go_commits_what_it_merged_and_leaves_the_rest(
    database_url: str,
) -> None:
    engine, ledger, stored = await stored_ledger(database_url, 3 * YIELD_EVERY + 7)
    ids = [read_id for read_id, _ in await ledger.unprocessed(1000)]
    asked: list[bool] = []

    def wanted() -> bool:  # storing wants the store from the second look on
        asked.append(len(asked) >= 1)
        return asked[-1]

    first = await ledger.process_batch(ids, CAMERAS, PlateRules(), may_see, None, wanted)
    assert first.left == ids[2 * YIELD_EVERY :]
    assert [read_id for read_id, _ in await ledger.unprocessed(1000)] == first.left
    second = await ledger.process_batch(first.left, CAMERAS, PlateRules(), may_see)
    assert second.left == []
    assert not await ledger.unprocessed(1000)
    rows = await ledger.reads()
    assert len({row.sighting_id for row in rows if row.processed}) == len(stored)
    assert len(await ledger.sightings()) == len(stored)
    engine.dispose()


async def test_reads_left_by_turns_that_end_early_are_each_processed_once(
    database_url: str,
) -> None:
    """A processor whose every turn is wanted back at once still gets through them all."""
    engine, ledger, stored = await stored_ledger(database_url, 4 * YIELD_EVERY)
    metrics = Metrics()

    def turn(_: float) -> AbstractAsyncContextManager[Turn]:
        return nullcontext(Turn(True, lambda: True))

    async def camera_of(serial: str) -> CameraView:
        return CAMERAS[serial]

    processor = ReadProcessor(
        ledger, PlateRules(), camera_of, may_see, lambda done: None, metrics, turn
    )
    processor.start()
    try:
        async with asyncio.timeout(30):
            while await ledger.unprocessed(1):  # noqa: ASYNC110 - polls the store
                await asyncio.sleep(0.01)
    finally:
        await processor.stop()
    assert metrics.value("mvbot_plate_reads_total", outcome="processed") == len(stored)
    assert len(await ledger.sightings()) == len(stored)
    engine.dispose()
