"""Plate ingest under real traffic, over a real Mosquitto with the simulator over HTTP: each
message handled once, poison counted and acknowledged, one car one heads-up naming the plate
its reads settle on (edited when they change it), and a failing read not holding up others."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.events.ledger import AlertStatus
from simulator.mqtt import FleetPublisher, lpr_topic
from tests.bot_fixtures import BotUnderTest, bot_simulator_fixture  # noqa: F401
from tests.mosquitto import Mosquitto, mosquitto_fixture  # noqa: F401
from tests.plate_fixtures import (  # noqa: F401
    DEADLINE,
    GARAGE,
    BotStart,
    in_room,
    is_clip,
    is_heads_up,
    publisher_fixture,
    settle,
    start_bot_fixture,
)


def counted(bot: BotUnderTest, outcome: str) -> float:
    return bot.running.services.metrics.value("mvbot_mqtt_messages_total", outcome=outcome)


async def handled(bot: BotUnderTest, count: int) -> None:
    async with asyncio.timeout(DEADLINE):
        await bot.running.events.plates.handled_times(count)


def is_edit_of(bot: BotUnderTest, heads_up_id: str) -> list[Any]:
    return [p for p in bot.room.posted if p.edit_of == heads_up_id]


def first_posts(bot: BotUnderTest) -> list[Any]:
    return [p for p in bot.room.posted if p.edit_of is None and is_heads_up(p.reply)]


async def test_each_plate_message_is_handled_once_beside_the_sense_subscription(
    start_bot: BotStart, publisher: Any
) -> None:
    async with start_bot() as bot:
        assert bot.running.events.live_mqtt is not None  # Sense counts are subscribed too
        cars = publisher()
        at = datetime.now(UTC) - timedelta(seconds=30)
        for number in range(20):
            await asyncio.to_thread(cars.publish_read, GARAGE, f"DUP{number:04d}", at)
        await handled(bot, 20)
        await asyncio.to_thread(cars.publish_read, GARAGE, "LAST0001", at)
        await handled(bot, 21)  # each copy of the first twenty came before this one
        assert counted(bot, "stored") == 21
        assert counted(bot, "duplicate") == 0
        assert len(await bot.running.events.plate_ledger.reads()) == 21


def poison(serial: str) -> dict[str, bytes]:
    """One payload of each kind that used to stall plate ingest."""
    return {
        "nested": b'{"plate": "PZ1", "x": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
        "far_future": b'{"plate": "PZ1", "ts": "9999-12-31T23:59:59-14:00"}',
        "naive_year_one": b'{"plate": "PZ1", "ts": "0001-01-01T00:00:00"}',
        "long_serial": json.dumps({"plate": "PZ1", "serial": "Q" * 80}).encode(),
        "nul_serial": json.dumps({"plate": "PZ1", "serial": "Q2\u0000"}).encode(),
        "huge": json.dumps({"plate": "PZ1", "pad": "x" * 200_000}).encode(),
    }


async def test_poison_is_counted_acknowledged_and_the_watched_plate_still_comes(
    start_bot: BotStart, publisher: Any
) -> None:
    cars: FleetPublisher = publisher()
    kinds = poison(GARAGE)
    async with start_bot() as bot:
        await bot.ask('watch plate MVB0007 "Manager"')
        for payload in kinds.values():
            for _ in range(25):  # more than the broker's in-flight window of 20
                await asyncio.to_thread(cars.publish_raw, lpr_topic(GARAGE), payload)
        detected = datetime.now(UTC) - timedelta(seconds=30)
        await asyncio.to_thread(cars.publish_read, GARAGE, "MVB-0007", detected)
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        assert "MVB0007" in heads_up.text
        assert counted(bot, "malformed") == 25 * len(kinds)
        metrics = bot.running.services.metrics
        for reason in ("too_deep", "bad_time", "too_old", "bad_serial", "too_large"):
            assert metrics.value("mvbot_mqtt_malformed_total", reason=reason) >= 25
        await settle(bot)
    # Every poison message was acknowledged: nothing comes again after a restart.
    async with start_bot() as again:
        await asyncio.to_thread(cars.publish_read, GARAGE, "KLM-2468", detected)
        await handled(again, 1)
        assert counted(again, "malformed") == 0
        assert counted(again, "stored") == 1


async def test_one_noisy_car_is_one_sighting_one_heads_up_naming_its_plate_and_one_clip(
    start_bot: BotStart, publisher: Any
) -> None:
    async with start_bot() as bot:
        await bot.ask("watch plate XYZ9876")
        cars = publisher()
        at = datetime.now(UTC) - timedelta(seconds=12)
        for plate, confidence, later in (("XY29876", 0.55, 0), ("XYZ9876", 0.96, 0.7)):
            moment = at + timedelta(seconds=later)
            await asyncio.to_thread(cars.publish_read, GARAGE, plate, moment, confidence)
        await asyncio.to_thread(
            cars.publish_read, GARAGE, "XYZ9876", at + timedelta(seconds=1.4), 0.93
        )
        await bot.room.wait_for(is_clip, DEADLINE)
        await settle(bot)
        (sighting,) = await bot.running.events.plate_ledger.sightings()
        assert (sighting.plate, sighting.reads) == ("XYZ9876", 3)
        (first,) = first_posts(bot)
        named = [first, *is_edit_of(bot, str(1 + bot.room.posted.index(first)))][-1]
        assert named.reply.title.startswith("Plate XYZ9876 ")
        assert len(in_room(bot, "R1", is_clip)) == 1


async def test_a_heads_up_that_named_a_misread_is_edited_in_place(
    start_bot: BotStart, publisher: Any
) -> None:
    async with start_bot(plates={"settle": "0s"}) as bot:
        await bot.ask('watch plate VJQ8849 "Visitor"')
        cars = publisher()
        at = datetime.now(UTC) - timedelta(seconds=12)
        await asyncio.to_thread(cars.publish_read, GARAGE, "VJQ8B49", at, 0.61)
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        assert heads_up.title.startswith("Plate VJQ8B49 ")  # no settling: it goes at once
        heads_up_id = str(1 + [p.reply for p in bot.room.posted].index(heads_up))
        for later, confidence in ((0.5, 0.96), (1.0, 0.93)):
            moment = at + timedelta(seconds=later)
            await asyncio.to_thread(cars.publish_read, GARAGE, "VJQ8849", moment, confidence)
        await bot.room.wait_for(lambda r: (r.title or "").startswith("Plate VJQ8849 "), DEADLINE)
        await bot.room.wait_for(is_clip, DEADLINE)
        await settle(bot)
        (edit,) = is_edit_of(bot, heads_up_id)
        assert "Visitor" in edit.reply.text and "96%" in str(edit.reply.fields)
        assert len(first_posts(bot)) == 1
        assert len(in_room(bot, "R1", is_clip)) == 1
        (alert,) = await bot.running.events.alert_ledger.alerts()
        assert alert.status is AlertStatus.CLIP_PENDING


@pytest.mark.parametrize("attempts", [3])
async def test_a_read_that_fails_processing_is_retried_aside_while_the_next_ones_go_on(
    start_bot: BotStart, publisher: Any, monkeypatch: pytest.MonkeyPatch, attempts: int
) -> None:
    async with start_bot() as bot:
        await bot.ask("plates follow garage entrance")
        ledger = bot.running.events.plate_ledger
        batch, one, set_aside = ledger.process_batch, ledger.process, ledger.set_aside
        order: list[str] = []
        parked = asyncio.Event()
        tries: list[int] = []

        async def failing_batch(ids: Any, *args: Any) -> Any:
            if 1 in ids:
                raise ValueError("a row nobody expected")
            return await batch(ids, *args)

        async def failing_one(read_id: int, *args: Any) -> Any:
            if read_id == 1:
                tries.append(read_id)
                raise ValueError("a row nobody expected")
            return await one(read_id, *args)

        async def noted_set_aside(read_id: int) -> None:
            await set_aside(read_id)
            order.append("parked")
            parked.set()

        monkeypatch.setattr(ledger, "process_batch", failing_batch)
        monkeypatch.setattr(ledger, "process", failing_one)
        monkeypatch.setattr(ledger, "set_aside", noted_set_aside)
        cars = publisher()
        at = datetime.now(UTC) - timedelta(seconds=60)
        await asyncio.to_thread(cars.publish_read, GARAGE, "BAD-0001", at)
        await asyncio.to_thread(cars.publish_read, GARAGE, "DEF-5150", at + timedelta(seconds=20))
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        order.append("next read told")
        assert "DEF5150" in heads_up.text
        async with asyncio.timeout(DEADLINE):
            await parked.wait()
        assert order == ["next read told", "parked"]
        assert len(tries) == attempts
        metrics = bot.running.services.metrics
        assert metrics.value("mvbot_plate_reads_total", outcome="parked") == 1
        reads = await ledger.reads()
        assert [(r.plate, r.processed, r.sighting_id is None) for r in reads] == [
            ("BAD0001", True, True),
            ("DEF5150", True, False),
        ]
        await settle(bot)


def distinct_plates(count: int) -> list[str]:
    """Plates no two of which OCR noise could take for one car (no confusable letters, and
    random: numbered plates would be one character apart)."""
    rng = random.Random(count)
    plates: set[str] = set()
    while len(plates) < count:
        plates.add("".join(rng.choice("ACDEFGHJKLMNPQRTUVWXY34679") for _ in range(7)))
    return sorted(plates)


async def test_a_thousand_distinct_reads_in_one_burst_are_each_stored_once_and_each_a_sighting(
    start_bot: BotStart, publisher: Any
) -> None:
    plates = distinct_plates(1000)
    async with start_bot() as bot:
        cars = publisher()
        start = datetime.now(UTC) - timedelta(seconds=60)

        def burst() -> None:
            for number, plate in enumerate(plates):  # all inside one 10 s merge window
                cars.publish_read(GARAGE, plate, start + timedelta(milliseconds=10 * number))

        await asyncio.to_thread(burst)
        await handled(bot, len(plates))
        assert counted(bot, "stored") == 1000
        assert counted(bot, "duplicate") == 0
        ledger = bot.running.events.plate_ledger
        reads = await ledger.reads()
        assert len(reads) == len({r.key for r in reads}) == 1000
        await bot.running.events.plates.catch_up()  # whatever the worker has not done yet
        sightings = await ledger.sightings()
        assert sorted(s.plate for s in sightings) == plates
        assert len({s.id for s in sightings}) == 1000
        assert {r.sighting_id for r in await ledger.reads()} == {s.id for s in sightings}
