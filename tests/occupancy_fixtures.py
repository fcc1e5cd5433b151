"""Occupancy scenario helpers: the bot with [occupancy] and [mqtt] settings, and Sense truth.

A test module imports `occupancy_start_fixture` (fixture `occupancy_start`) together with
`bot_simulator_fixture` and `database_url_fixture`, then:

    async with occupancy_start(occupancy={"alert_cooldown": "0s"}) as bot:
        replies = await bot.ask("occupancy warehouse")
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.memory import MemoryAdapter
from bot.app import running_bot
from bot.messages import Reply
from bot.occupancy import Occupancy
from simulator import SimulatorServer
from simulator.fleet import Camera
from simulator.sense import ZoneMinute, live_counts, zone_minutes
from tests.bot_fixtures import SIMULATOR_SETTINGS, BotUnderTest, SimulatorFactory, bot_settings

WAREHOUSE = "Q2JV-WRHS-0004"  # Sense, zones Full Frame / Dock Doors / Aisle 3, an area, a line
LOBBY = "Q2FV-LBBY-0001"  # Sense, zones Full Frame / Reception Desk, no boundaries
VIEWER, OPERATOR = "U1", "U2"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ACCESS: Mapping[str, Any] = {
    "default_role": "none",
    "viewers": [VIEWER],
    "operators": [OPERATOR],
    "restricted_tags": {"restricted": ["R-secure"]},
}
# No REST poll while a test drives alerts by hand.
QUIET_POLL = {"alert_poll": "1h"}

OccupancyStart = Callable[..., AbstractAsyncContextManager[BotUnderTest]]


def occupancy_of(bot: BotUnderTest) -> Occupancy:
    return bot.running.occupancy


@pytest.fixture(name="occupancy_start")
def occupancy_start_fixture(
    database_url: str, tmp_path: Path, bot_simulator: SimulatorServer
) -> OccupancyStart:
    """`async with occupancy_start(occupancy=, mqtt_url=, simulator=) as bot:`; starts share one
    database and data directory (and MQTT client id), as a restarted mvbot would."""
    client_id = f"mvbot-occupancy-{uuid.uuid4().hex[:8]}"

    @asynccontextmanager
    async def start(
        occupancy: Mapping[str, Any] | None = None,
        mqtt_url: str | None = None,
        simulator: SimulatorServer | None = None,
    ) -> AsyncIterator[BotUnderTest]:
        cloud = simulator or bot_simulator
        settings = bot_settings(cloud, database_url, tmp_path / "data", ACCESS).with_overrides(
            {
                "occupancy": {**QUIET_POLL, **(occupancy or {})},
                "mqtt": {"url": mqtt_url, "client_id": client_id},
            }
        )
        room = MemoryAdapter()
        async with running_bot(settings, [room]) as running:
            yield BotUnderTest(room, running, cloud, settings)

    return start


def busy_moment(now: datetime) -> datetime:
    """Last week's Wednesday 12:30 in Amsterdam (the Warehouse's zone): people in every zone."""
    local = now.astimezone(AMSTERDAM) - timedelta(days=7)
    day = local.date() - timedelta(days=(local.weekday() - 2) % 7)
    return datetime.combine(day, time(12, 30), tzinfo=AMSTERDAM).astimezone(UTC)


@pytest.fixture(name="busy_simulator")
def busy_simulator_fixture(simulator_factory: SimulatorFactory) -> SimulatorServer:
    """A simulated cloud whose clock stands still at a busy moment: live counts are not zero
    (only live answers make sense there; history ends at that moment)."""
    moment = busy_moment(datetime.now(UTC)).timestamp()
    return simulator_factory(**{**SIMULATOR_SETTINGS, "clock": lambda: moment})


def sense_camera(simulator: SimulatorServer, serial: str) -> Camera:
    camera = simulator.fleet.camera(serial)
    assert camera is not None
    return camera


def truth_minutes(
    simulator: SimulatorServer, serial: str, zone_id: str, start: datetime, end: datetime
) -> list[ZoneMinute]:
    """The simulator's per-minute truth for one zone over [start, end)."""
    camera = sense_camera(simulator, serial)
    tz = simulator.fleet.network_of(camera).zone
    count = int((end - start).total_seconds() // 60)
    return zone_minutes(camera, tz, zone_id, int(start.timestamp()), count)


def truth_live(simulator: SimulatorServer, serial: str, moment: float) -> dict[str, dict[str, int]]:
    camera = sense_camera(simulator, serial)
    return live_counts(camera, simulator.fleet.network_of(camera).zone, moment)


def zone_labels(simulator: SimulatorServer, serial: str) -> dict[str, str]:
    return {z.id: z.label for z in sense_camera(simulator, serial).zones}


def table_counts(reply: Reply) -> dict[str, int]:
    """Zone → people from a live reply's table."""
    header, *rows = reply.table
    assert header[:2] == ("Zone", "People"), header
    return {row[0]: int(row[1]) for row in rows}


def utc_of(reply: Reply) -> datetime:
    """The moment a live reply is "as of", from its `UTC …` small print."""
    stamp = next(c for c in reply.context if c.startswith("UTC "))[4:]
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)
