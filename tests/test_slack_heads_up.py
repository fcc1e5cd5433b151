"""A plate heads-up on Slack, end to end over Mosquitto, the simulator and the fake Slack:
the heads-up shows its snapshot inside an ordinary message, its clip goes into that
message's thread, and a later read that changes the plate edits it in place."""

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

ROOM = "C1"


def image_post(call: Call) -> bool:
    blocks = call.params.get("blocks") or []
    return call.method == "chat.postMessage" and any(b["type"] == "image" for b in blocks)


async def test_a_plate_heads_up_with_its_snapshot_is_threaded_under_and_edited_in_place(
    tmp_path: Path, bot_simulator: SimulatorServer, mosquitto: Mosquitto, publisher: Any
) -> None:
    overrides = {
        "access": ACCESS,
        "mqtt": {"url": mosquitto.url, "client_id": f"mvbot-test-{uuid.uuid4().hex[:8]}"},
        "plates": {"snapshot": True, "settle": "0s"},
    }
    async with running_fake_slack(tmp_path / "slack") as fake:
        fake.image_lag = 1  # Slack is still processing the snapshot at the first post
        async with slack_bot(bot_simulator, fake, tmp_path / "data", overrides=overrides) as bot:
            await wait_connected(bot.running)
            await bot.command('watch plate VJQ8849 "Visitor"', user="U1", channel=ROOM)
            await fake.wait_for(lambda c: c.method == "chat.postMessage", DEADLINE)
            cars = publisher()
            at = datetime.now(UTC) - timedelta(seconds=12)
            await asyncio.to_thread(cars.publish_read, GARAGE, "VJQ8B49", at, 0.61)
            await fake.wait_for(image_post, DEADLINE)
            for later, confidence in ((0.5, 0.96), (1.0, 0.93)):
                moment = at + timedelta(seconds=later)
                await asyncio.to_thread(cars.publish_read, GARAGE, "VJQ8849", moment, confidence)
            edit = await fake.wait_for(lambda c: c.method == "chat.update", DEADLINE)
            clip = await fake.wait_for(
                lambda c: (
                    c.method == "files.completeUploadExternal"
                    and c.params.get("channel_id") == ROOM
                ),
                DEADLINE,
            )

    (heads_up,) = [m for m in fake.history[ROOM] if "Garage" in m["text"] and "thread_ts" not in m]
    (image,) = [b for b in heads_up["blocks"] if b["type"] == "image"]
    snapshot = image["slack_file"]["id"]
    # The snapshot was uploaded, not shared as a file: the message shows it.
    (completed,) = [
        c for c in fake.to("files.completeUploadExternal") if snapshot in c.params["files"]
    ]
    assert "channel_id" not in completed.params
    assert len([c for c in fake.calls if image_post(c)]) == 2  # once refused, then taken
    assert heads_up["metadata"]["event_payload"]["key"]
    # The clip is in the heads-up's thread, and the settled plate edited the heads-up.
    assert clip.params["thread_ts"] == heads_up["ts"]
    assert (edit.params["channel"], edit.params["ts"]) == (ROOM, heads_up["ts"])
    assert "VJQ8849" in heads_up["text"] and "Visitor" in json.dumps(heads_up["blocks"])
    assert heads_up.get("edited")
