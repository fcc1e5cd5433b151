"""Snapshots, the camera list and help, as a person in a room sees them."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from PIL import Image

from bot.messages import Reply, Tone
from bot.store import Outcome
from simulator.media import decode_stripe
from tests.bot_fixtures import (  # noqa: F401
    SECURE_ROOM,
    SIMULATOR_SETTINGS,
    BotUnderTest,
    bot_fixture,
    bot_simulator_fixture,
    bot_starter_fixture,
    field_value,
    utc_ms,
)
from tests.db_fixtures import database_url_fixture  # noqa: F401

FLEET = {
    "Lobby": "online",
    "Garage Entrance": "online",
    "Warehouse": "online",
    "Loading Dock": "offline",
    "Parking Lot": "online",
    "Server Room": "online",
}


def snapshot_time(reply: Reply) -> int:
    """Open the posted image as a chat client would, and read the time it shows."""
    assert reply.attachment is not None and reply.attachment.mime == "image/jpeg"
    with Image.open(reply.attachment.path) as image:
        assert image.format == "JPEG"
        assert image.size == (SIMULATOR_SETTINGS["width"], SIMULATOR_SETTINGS["height"])
        return decode_stripe(np.asarray(image.convert("RGB")))


def listed(reply: Reply) -> dict[str, str]:
    header, *rows = reply.table
    name, status = header.index("Name"), header.index("Status")
    return {row[name]: row[status] for row in rows}


async def test_a_snapshot_now_is_a_jpeg_of_the_present(bot: BotUnderTest) -> None:
    asked = datetime.now(UTC)
    replies = await bot.ask("snapshot lobby")
    answered = datetime.now(UTC)
    assert bot.outcomes == [Outcome.OK]
    assert [r.tone for r in replies] == [Tone.SUCCESS]
    shown = snapshot_time(replies[0])
    assert utc_ms(asked) - 1000 <= shown <= utc_ms(answered)
    assert "Lobby" in field_value(replies[0], "Camera")


async def test_a_snapshot_five_minutes_ago_shows_that_moment(bot: BotUnderTest) -> None:
    asked = datetime.now(UTC)
    replies = await bot.ask("snapshot lobby 5m ago")
    answered = datetime.now(UTC)
    assert bot.outcomes == [Outcome.OK]
    (reply,) = replies
    shown = snapshot_time(reply)
    assert utc_ms(asked) - 300_000 <= shown <= utc_ms(answered) - 300_000
    moment = datetime.fromtimestamp(shown / 1000, UTC)
    assert f"UTC {moment:%Y-%m-%dT%H:%M:%S}Z" in reply.context
    assert reply.text.endswith(" EST") or reply.text.endswith(" EDT")


async def test_cameras_lists_the_fleet_with_status_and_filters_it(bot: BotUnderTest) -> None:
    (everything,) = await bot.ask("cameras", room=SECURE_ROOM)
    assert listed(everything) == FLEET
    assert everything.text == "6 cameras, 1 not online"

    (offline,) = await bot.ask("cameras offline", room=SECURE_ROOM)
    assert listed(offline) == {"Loading Dock": "offline"}

    (garage,) = await bot.ask("cameras garage", room=SECURE_ROOM)
    assert listed(garage) == {"Garage Entrance": "online"}
    assert bot.outcomes == [Outcome.OK] * 3


async def test_help_lists_the_commands_and_explains_one(bot: BotUnderTest) -> None:
    (overview,) = await bot.ask("help")
    for usage in ("clip <camera> <when>", "snapshot <camera>", "cameras [filter]", "help"):
        assert f"`{usage}" in overview.text
    (clip,) = await bot.ask("help clip")
    assert clip.text.startswith("`clip <camera> <when> [<length>] [ts]`")
    assert "clip lobby 14:30-14:45" in clip.text and "snapshot" not in clip.text
    (unknown,) = await bot.ask("help clpi")
    assert unknown.failed and "did you mean `clip`" in unknown.text
    assert bot.outcomes == [Outcome.OK, Outcome.OK, Outcome.FAILED]


async def test_the_running_bot_counts_its_dashboard_api_calls(bot: BotUnderTest) -> None:
    await bot.ask("cameras")
    metrics = bot.running.services.metrics
    assert metrics.value("mvbot_meraki_requests_total", outcome="200") >= 3  # inventory loads
    series = f'mvbot_meraki_requests_total{{outcome="200",replica="{metrics.replica}"}}'
    assert series in metrics.exposition()


async def test_metrics_time_each_api_call_and_its_wait_for_the_budget(bot: BotUnderTest) -> None:
    assert [r for r in await bot.ask("snapshot lobby") if r.attachment]
    metrics = bot.running.services.metrics
    assert metrics.value("mvbot_meraki_request_seconds", operation="snapshot", outcome="200") == 1
    assert metrics.value("mvbot_budget_wait_seconds", priority="interactive") >= 1
    text = metrics.exposition()
    assert "# TYPE mvbot_meraki_request_seconds histogram" in text
    assert f'le="+Inf",operation="snapshot",outcome="200",replica="{metrics.replica}"' in text
