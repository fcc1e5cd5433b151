"""Plate reads over a real Mosquitto: one heads-up and one clip per car, persistent sessions,
restarts, and garbage on the topic — with the simulator over HTTP and a MemoryAdapter room."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.events.ledger import AlertStatus
from bot.telemetry.latency import CLIP_DELIVERY
from simulator.mqtt import PlateNoise
from tests.bot_fixtures import (  # noqa: F401
    BotUnderTest,
    bot_simulator_fixture,
    field_value,
    open_video,
    sha256_of,
    utc_ms,
)
from tests.mosquitto import Mosquitto, mosquitto_fixture  # noqa: F401
from tests.plate_fixtures import (  # noqa: F401
    DEADLINE,
    GARAGE,
    LAG,
    BotStart,
    in_room,
    is_clip,
    is_heads_up,
    publisher_fixture,
    settle,
    start_bot_fixture,
)


async def test_fifty_noisy_reads_give_one_heads_up_and_one_clip(
    start_bot: BotStart, publisher: Any
) -> None:
    async with start_bot() as bot:
        await bot.ask('watch plate abc1234 "Delivery van"')
        await bot.ask("watch plate A8C1234")  # the same plate, as OCR reads it
        detected = datetime.now(UTC) - timedelta(seconds=12)
        await asyncio.to_thread(
            publisher(PlateNoise(confusion=0.5, formatting=0.5)).publish_plate,
            GARAGE,
            "ABC-1234",
            detected,
            reads=50,
            spread=8.0,
        )
        clip = await bot.room.wait_for(is_clip, DEADLINE)
        await settle(bot)
        arrived = datetime.now(UTC)

        assert len(in_room(bot, "R1", is_heads_up)) == 1
        assert len(in_room(bot, "R1", is_clip)) == 1
        assert not any(r.failed for r in bot.room.replies)
        heads_up = in_room(bot, "R1", is_heads_up)[0]
        assert "ABC1234" in heads_up.text and "Delivery van" in heads_up.text
        assert "`ABC1234`" in heads_up.text and "`A8C1234`" in heads_up.text
        assert field_value(heads_up, "Camera").startswith("Garage Entrance")
        labels = [b.label for b in heads_up.buttons]
        assert labels == ["Clip 1 min before", "Mute this plate 1 h"]
        # The clip is in the heads-up's thread, and covers detection -15 s .. +15 s.
        r1 = [p for p in bot.room.posted if p.place.room_id == "R1"]
        heads_up_id = str(1 + bot.room.posted.index(next(p for p in r1 if is_heads_up(p.reply))))
        clip_post = next(p for p in r1 if is_clip(p.reply))
        assert clip_post.place.thread_id == heads_up_id
        detection = datetime.fromisoformat(field_value(heads_up, "UTC").replace("Z", "+00:00"))
        assert abs(detection - detected) < timedelta(seconds=1)
        attachment = clip_post.reply.attachment
        assert attachment is not None and clip_post.reply == clip
        video = open_video(attachment.path)
        assert video.first_ms == utc_ms(detection) - 15_000
        assert video.last_ms == utc_ms(detection) + 15_000 - round(video.frame_ms)
        assert sha256_of(attachment.path) == field_value(clip, "SHA-256")
        # The footage reached the cloud only a lag after the post-roll ended.
        assert arrived >= detection + timedelta(seconds=15) + LAG
        sightings = await bot.running.events.plate_ledger.sightings()
        reads = await bot.running.events.plate_ledger.reads()
        assert len(reads) == 50 and all(r.processed for r in reads)
        assert sum(s.reads for s in sightings) == 50
        audit = await bot.store.audit_rows(action="alert", limit=50)
        assert [a.detail for a in reversed(audit)][:2] == ["pending", "heads-up posted"]
        # The automatic clip is timed as an alert's, not as a person's deferred clip.
        metrics = bot.running.services.metrics
        assert metrics.value(CLIP_DELIVERY, path="alert") == 1
        assert metrics.value(CLIP_DELIVERY, path="deferred") == 0


async def test_a_car_seen_again_within_the_cooldown_is_told_once_and_after_it_again(
    start_bot: BotStart, publisher: Any
) -> None:
    async with start_bot(plates={"cooldown": "20s"}) as bot:
        await bot.ask("watch plate XYZ9876")
        now = datetime.now(UTC)
        cars = publisher()
        for seconds_ago in (70, 55, 35):  # 15 s apart: in the cooldown; 35 s: after it
            at = now - timedelta(seconds=seconds_ago)
            await asyncio.to_thread(cars.publish_plate, GARAGE, "XYZ-9876", at, reads=5, spread=2.0)
        await bot.room.wait_for(lambda r: len(in_room(bot, "R1", is_clip)) == 2, DEADLINE)
        await settle(bot)
        assert len(in_room(bot, "R1", is_heads_up)) == 2
        assert len(in_room(bot, "R1", is_clip)) == 2
        statuses = [a.status for a in await bot.running.events.alert_ledger.alerts()]
        assert statuses.count(AlertStatus.SUPPRESSED) == 1
        assert statuses.count(AlertStatus.CLIP_PENDING) == 2


async def test_plates_published_while_mvbot_is_down_are_delivered_when_it_is_back(
    start_bot: BotStart, publisher: Any
) -> None:
    async with start_bot() as bot:
        await bot.ask("plates follow garage entrance")
        # SQLite is one process: a plain subscription, no share group (docs/benchmarks.md).
        assert bot.running.events.mqtt is not None
        assert bot.running.events.mqtt.subscriptions == ["/merakimv/+/lpr"]
    cars = publisher()
    now = datetime.now(UTC)
    plates = ("KLM-2468", "DEF-5150", "MVB-0007")
    for index, plate in enumerate(plates):
        at = now - timedelta(seconds=40 - 4 * index)
        await asyncio.to_thread(cars.publish_plate, GARAGE, plate, at, reads=3, spread=1.0)
    async with start_bot() as bot:
        await bot.room.wait_for(lambda r: len(in_room(bot, "R1", is_clip)) == 3, DEADLINE)
        await settle(bot)
        told = sorted(r.title or "" for r in in_room(bot, "R1", is_heads_up))
        assert told == sorted(f"Plate {p.replace('-', '')} — Garage Entrance" for p in plates)
        assert len(in_room(bot, "R1", is_clip)) == 3


async def test_a_clip_promised_before_a_restart_comes_once_after_it(
    start_bot: BotStart, publisher: Any
) -> None:
    plates = {"post_roll": "5s"}
    async with start_bot(plates) as before:
        await before.ask('watch plate MVB0007 "Manager"')
        detected = datetime.now(UTC) - timedelta(seconds=5)  # its clip is due in about 5 s
        await asyncio.to_thread(
            publisher().publish_plate, GARAGE, "MVB-0007", detected, reads=4, spread=1
        )
        await before.room.wait_for(is_heads_up, DEADLINE)
        assert await before.running.events.alerts.wait_idle(DEADLINE)  # the clip job is stored
    assert not any(is_clip(r) for r in before.room.replies)
    async with start_bot(plates) as after:
        await after.room.wait_for(is_clip, DEADLINE)
        await settle(after)
        assert [r for r in after.room.replies if is_heads_up(r)] == []
        assert len([r for r in after.room.replies if is_clip(r)]) == 1
        assert not any(r.failed for r in after.room.replies)


async def test_garbage_on_the_plate_topic_is_counted_and_the_next_read_still_arrives(
    start_bot: BotStart, publisher: Any
) -> None:
    async with start_bot() as bot:
        await bot.ask("plates follow garage entrance")
        cars = publisher()
        topic = f"/merakimv/{GARAGE}/lpr"
        await asyncio.to_thread(cars.publish_raw, topic, b"\x00not json{")
        await asyncio.to_thread(cars.publish_raw, topic, b'{"speed": 30}')
        await asyncio.to_thread(cars.publish_raw, topic, b"[1, 2, 3]")
        await asyncio.to_thread(
            cars.publish_read, GARAGE, "ABC-1234", datetime.now(UTC) - timedelta(seconds=30)
        )
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        assert "ABC1234" in heads_up.text
        metrics = bot.running.services.metrics
        assert metrics.value("mvbot_mqtt_messages_total", outcome="malformed") == 3
        assert metrics.value("mvbot_mqtt_messages_total", outcome="stored") == 1
        await settle(bot)


async def test_a_read_that_could_not_be_stored_is_not_acknowledged_and_comes_again(
    start_bot: BotStart, publisher: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with start_bot() as bot:
        await bot.ask("plates follow garage entrance")
        ledger = bot.running.events.plate_ledger
        failed = asyncio.Event()

        async def broken(reads: Any) -> list[bool]:
            failed.set()
            raise OSError("disk full")

        monkeypatch.setattr(ledger, "store_reads", broken)
        await asyncio.to_thread(
            publisher().publish_read, GARAGE, "DEF-5150", datetime.now(UTC) - timedelta(seconds=30)
        )
        async with asyncio.timeout(DEADLINE):
            await failed.wait()
        assert not any(is_heads_up(r) for r in bot.room.replies)
        assert await ledger.reads() == []
    monkeypatch.undo()
    async with start_bot() as bot:
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        assert "DEF5150" in heads_up.text
        await settle(bot)


async def test_after_the_broker_restarts_mvbot_reconnects_and_still_gets_plates(
    start_bot: BotStart, mosquitto: Mosquitto, publisher: Any
) -> None:
    async with start_bot() as bot:
        await bot.ask("plates follow garage entrance")
        mqtt = bot.running.events.mqtt
        assert mqtt is not None and mqtt.connections == 1
        await asyncio.to_thread(mosquitto.restart)
        async with asyncio.timeout(DEADLINE):  # paho retries after 1 s, then 2 s, …
            await mqtt.connected_times(2)
        await asyncio.to_thread(
            publisher().publish_read, GARAGE, "KLM-2468", datetime.now(UTC) - timedelta(seconds=30)
        )
        heads_up = await bot.room.wait_for(is_heads_up, DEADLINE)
        assert "KLM2468" in heads_up.text
        await settle(bot)
