"""Acceptance, end to end over Mosquitto, the simulator and the fake Slack: a watch whose hours
exclude now tells nobody but its read is searchable; a watch whose hours hold now posts its
heads-up and clip; `watch plate ABC1234 blue van` is refused with a message to quote it."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from simulator import SimulatorServer
from tests.bot_fixtures import bot_simulator_fixture  # noqa: F401
from tests.fake_slack import Call, running_fake_slack
from tests.mosquitto import Mosquitto, mosquitto_fixture  # noqa: F401
from tests.plate_fixtures import (  # noqa: F401
    ACCESS,
    DEADLINE,
    GARAGE,
    publisher_fixture,
    wait_connected,
)
from tests.slack_requests import slack_bot
from tests.test_plate_hours import hours_around

ROOM = "C1"


def said(call: Call, *words: str) -> bool:
    text = json.dumps(call.params)
    return call.method in ("response", "chat.postMessage") and all(w in text for w in words)


async def test_hours_decide_who_is_told_over_slack(
    tmp_path: Path, bot_simulator: SimulatorServer, mosquitto: Mosquitto, publisher: Any
) -> None:
    overrides = {
        "access": ACCESS,
        "mqtt": {"url": mosquitto.url, "client_id": f"mvbot-test-{uuid.uuid4().hex[:8]}"},
        "plates": {"snapshot": False, "settle": "0s"},
    }
    async with (
        running_fake_slack(tmp_path / "slack") as fake,
        slack_bot(bot_simulator, fake, tmp_path / "data", overrides=overrides) as bot,
    ):
        await wait_connected(bot.running)
        directory = await bot.running.services.catalog.directory()
        record = directory.get(GARAGE)
        assert record is not None
        at = datetime.now(UTC) - timedelta(minutes=2)  # the footage is in the cloud already
        off = hours_around(at, directory.zone(record), inside=False)
        on = hours_around(at, directory.zone(record), inside=True)
        await bot.command(f'watch plate NGT0001 note "night delivery" {off}', channel=ROOM)
        await bot.command(f"watch plate DAY0002 {on}", channel=ROOM)
        await bot.command("watch plate ABC1234 blue van", channel=ROOM)
        refused = await fake.wait_for(lambda c: said(c, "blue van", "quotes"), DEADLINE)
        cars = publisher()
        await asyncio.to_thread(cars.publish_read, GARAGE, "NGT0001", at, 0.95)
        await asyncio.to_thread(cars.publish_read, GARAGE, "DAY0002", at, 0.95)
        await fake.wait_for(
            lambda c: (
                c.method == "chat.postMessage" and c.params["text"].startswith("Plate DAY0002")
            ),
            DEADLINE,
        )
        await fake.wait_for(
            lambda c: (
                c.method == "files.completeUploadExternal" and c.params.get("channel_id") == ROOM
            ),
            DEADLINE,
        )
        assert await bot.running.events.alerts.wait_idle(DEADLINE)
        await bot.command("plates search NGT0001", user="U2", channel=ROOM)
        found = await fake.wait_for(lambda c: said(c, "Plate search", "NGT0001"), DEADLINE)

    posts = [c.params.get("text", "") for c in fake.to("chat.postMessage")]
    heads_ups = [text.split(":")[0] for text in posts if text.startswith("Plate ") and "—" in text]
    assert heads_ups == ["Plate DAY0002 — Garage Entrance"]  # NGT0001: outside its hours
    assert "Garage Entrance" in json.dumps(found.params)
    assert "watch plate ABC1234 note" in json.dumps(refused.params)
