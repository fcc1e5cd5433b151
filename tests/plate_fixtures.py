"""Plate fixtures over a real Mosquitto: a FleetPublisher, and an mvbot that can be restarted
on the same database, data directory and MQTT client id, with a MemoryAdapter room."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.memory import MemoryAdapter
from bot.app import Running, running_bot
from bot.messages import Reply
from simulator import SimulatorServer
from simulator.mqtt import QUIET, FleetPublisher, PlateNoise
from tests.bot_fixtures import SIMULATOR_SETTINGS, BotStarter, BotUnderTest, bot_settings
from tests.mosquitto import Mosquitto

GARAGE = "Q2GV-GRGE-0002"  # "Garage Entrance", tagged lpr
DEADLINE = 40.0  # seconds any one delivery may take here
ACCESS = {"default_role": "none", "operators": ["U1"], "viewers": ["U2"]}
LAG = timedelta(seconds=float(SIMULATOR_SETTINGS["availability_lag"]))

BotStart = BotStarter


def is_heads_up(reply: Reply) -> bool:
    return (reply.title or "").startswith("Plate ")


def is_clip(reply: Reply) -> bool:
    return reply.attachment is not None and reply.attachment.kind == "video"


def in_room(bot: BotUnderTest, room: str, match: Any) -> list[Reply]:
    return [p.reply for p in bot.room.posted if p.place.room_id == room and match(p.reply)]


@pytest.fixture(name="publisher")
def publisher_fixture(mosquitto: Mosquitto, bot_simulator: SimulatorServer) -> Iterator[Any]:
    """`publisher(noise)`: a started FleetPublisher with a fixed seed."""
    started: list[FleetPublisher] = []

    def start(noise: PlateNoise = QUIET) -> FleetPublisher:
        publisher = FleetPublisher(mosquitto.url, bot_simulator.fleet, seed=6, noise=noise)
        started.append(publisher.start())
        return publisher

    yield start
    for publisher in started:
        publisher.stop()


@pytest.fixture(name="start_bot")
def start_bot_fixture(
    tmp_path: Path, mosquitto: Mosquitto, bot_simulator: SimulatorServer
) -> BotStart:
    """`async with start_bot(plates={...}) as bot:` — every start shares the database, the
    data directory and the MQTT client id, as one mvbot restarted would."""
    database = f"sqlite:///{tmp_path / 'mvbot.db'}"
    client_id = f"mvbot-test-{uuid.uuid4().hex[:8]}"

    @asynccontextmanager
    async def start(plates: Mapping[str, Any] | None = None) -> AsyncIterator[BotUnderTest]:
        settings = bot_settings(bot_simulator, database, tmp_path / "data", ACCESS).with_overrides(
            {
                "mqtt": {"url": mosquitto.url, "client_id": client_id},
                "plates": {"snapshot": False, **(plates or {})},
            }
        )
        room = MemoryAdapter()
        async with running_bot(settings, [room]) as running:
            await wait_connected(running)
            yield BotUnderTest(room, running, bot_simulator, settings)

    return start


async def wait_connected(running: Running) -> None:
    """Wait until mvbot's MQTT link is up: reads published before that would go unseen."""
    mqtt = running.events.mqtt
    assert mqtt is not None
    async with asyncio.timeout(DEADLINE):
        await mqtt.connected_times(1)


async def settle(bot: BotUnderTest) -> None:
    """Wait until every alert is told and every clip delivered."""
    assert await bot.running.events.alerts.wait_idle(DEADLINE)
    assert await bot.running.pending.wait_idle(DEADLINE)
