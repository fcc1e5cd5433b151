"""Live occupancy over a real Mosquitto: the last Sense message wins; stale MQTT falls back to REST.

Counts are published by a plain paho client as retained messages, so a subscription made
a moment later still receives them (no race with the bot's SUBSCRIBE), and the test waits
on the bot's own LiveCounts seeing each message, never on time.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from bot.messages import Reply
from bot.occupancy import SenseUpdate
from simulator import SimulatorServer
from tests.bot_fixtures import BotUnderTest, bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.mosquitto import Mosquitto, mosquitto_fixture  # noqa: F401
from tests.occupancy_fixtures import (  # noqa: F401
    OPERATOR,
    WAREHOUSE,
    OccupancyStart,
    busy_simulator_fixture,
    occupancy_of,
    occupancy_start_fixture,
    table_counts,
    truth_live,
    utc_of,
    zone_labels,
)

DEADLINE = 20.0


class Publisher:
    """A camera's side of MQTT: retained Sense zone counts, each confirmed by the broker."""

    def __init__(self, broker: Mosquitto) -> None:
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"cam-{uuid.uuid4().hex}")
        self._client.connect("127.0.0.1", broker.port, keepalive=30)
        self._client.loop_start()

    def counts(self, serial: str, zone_id: str, at: datetime, counts: Mapping[str, int]) -> int:
        ts = round(at.timestamp() * 1000)
        payload = json.dumps({"ts": ts, "counts": dict(counts)})
        info = self._client.publish(f"/merakimv/{serial}/{zone_id}", payload, qos=1, retain=True)
        info.wait_for_publish(DEADLINE)
        assert info.is_published()
        return ts

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture(name="camera")
def camera_fixture(mosquitto: Mosquitto) -> Iterator[Publisher]:
    publisher = Publisher(mosquitto)
    yield publisher
    publisher.stop()


async def publish(
    bot: BotUnderTest, camera: Publisher, at: datetime, counts: Mapping[str, dict[str, int]]
) -> None:
    """Publish every zone's counts at `at` and return once the bot's LiveCounts has them."""
    expected = {(WAREHOUSE, zone_id, round(at.timestamp() * 1000)) for zone_id in counts}
    arrived = asyncio.Event()
    seen: set[tuple[str, str, int]] = set()

    def note(update: SenseUpdate) -> None:
        seen.add((update.serial, update.zone_id, update.ts_ms))
        if expected <= seen:
            arrived.set()

    occupancy_of(bot).live.subscribe(note)
    for zone_id, zone_counts in counts.items():
        await asyncio.to_thread(camera.counts, WAREHOUSE, zone_id, at, zone_counts)
    async with asyncio.timeout(DEADLINE):
        await arrived.wait()


async def connected(bot: BotUnderTest) -> None:
    mqtt = bot.running.events.mqtt
    assert mqtt is not None
    async with asyncio.timeout(DEADLINE):
        await mqtt.connected.wait()


def only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, replies
    return replies[0]


async def test_live_counts_are_what_the_last_mqtt_message_carried(
    occupancy_start: OccupancyStart, mosquitto: Mosquitto, camera: Publisher
) -> None:
    async with occupancy_start(mqtt_url=mosquitto.url) as bot:
        await connected(bot)
        labels = zone_labels(bot.simulator, WAREHOUSE)
        now = datetime.now(UTC)
        truth = truth_live(bot.simulator, WAREHOUSE, now.timestamp())
        await publish(bot, camera, now, truth)
        reply = only(await bot.ask("occupancy warehouse"))
        assert table_counts(reply) == {labels[z]: c["person"] for z, c in truth.items()}
        assert reply.context[0].endswith("live (MQTT)")

        later = now + timedelta(seconds=1)
        people = dict(zip(labels, (17, 6, 11), strict=True))
        await publish(
            bot, camera, later, {z: {"person": n, "vehicle": 0} for z, n in people.items()}
        )
        reply = only(await bot.ask("occupancy warehouse"))
        assert table_counts(reply) == {labels[z]: n for z, n in people.items()}
        assert reply.text == "*Warehouse*: *17 people* in view"
        ts = round(later.timestamp() * 1000)
        assert utc_of(reply) == datetime.fromtimestamp(ts // 1000, UTC) + timedelta(
            milliseconds=ts % 1000
        )
        assert not bot.api_calls("/analytics/live")


async def test_stale_mqtt_counts_give_way_to_rest_which_says_so(
    occupancy_start: OccupancyStart,
    mosquitto: Mosquitto,
    camera: Publisher,
    busy_simulator: SimulatorServer,
) -> None:
    async with occupancy_start(mqtt_url=mosquitto.url, simulator=busy_simulator) as bot:
        await connected(bot)
        labels = zone_labels(bot.simulator, WAREHOUSE)
        old = datetime.now(UTC) - timedelta(minutes=10)
        await publish(bot, camera, old, {z: {"person": 40} for z in labels})
        mosquitto.stop()  # and the broker is gone too: nothing fresher will come
        reply = only(await bot.ask("occupancy warehouse"))
        truth = truth_live(bot.simulator, WAREHOUSE, utc_of(reply).timestamp())
        assert table_counts(reply) == {labels[z]: c["person"] for z, c in truth.items()}
        assert 40 not in table_counts(reply).values()
        assert (
            "from the Dashboard API — MQTT has been quiet for this camera for 10 min"
            in (reply.context[0])
        )
        assert len(bot.api_calls("/analytics/live")) == 1


async def test_an_mqtt_count_above_the_threshold_posts_an_alert(
    occupancy_start: OccupancyStart, mosquitto: Mosquitto, camera: Publisher
) -> None:
    async with occupancy_start(mqtt_url=mosquitto.url) as bot:
        await connected(bot)
        made = await bot.ask("occupancy alert warehouse zone aisle 3 above 10", user=OPERATOR)
        assert "more than 10 people" in only(made).text
        aisle = next(
            z for z, label in zone_labels(bot.simulator, WAREHOUSE).items() if label == "Aisle 3"
        )
        await publish(bot, camera, datetime.now(UTC), {aisle: {"person": 12}})
        alert = await bot.room.wait_for(
            lambda r: (r.title or "").endswith("occupancy alert"), DEADLINE
        )
        assert "*Warehouse* · Aisle 3: *12 people*, above the alert level of 10" in alert.text
