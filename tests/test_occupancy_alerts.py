"""Occupancy alerts on the real bot: fire once, stay quiet while hovering, re-arm, cool down, poll.

Counts are driven by hand through the bot's LiveCounts (as the MQTT ingest would), each a
minute after the last, and the test waits for the watcher to have evaluated them all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.messages import Place, Reply, SentMessage
from simulator import SimulatorServer
from tests.bot_fixtures import BotUnderTest, bot_simulator_fixture  # noqa: F401
from tests.db_fixtures import database_url_fixture  # noqa: F401
from tests.occupancy_fixtures import (  # noqa: F401
    OPERATOR,
    WAREHOUSE,
    OccupancyStart,
    busy_simulator_fixture,
    occupancy_of,
    occupancy_start_fixture,
    truth_live,
    zone_labels,
)

T0 = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)


def alerts(bot: BotUnderTest) -> list[Reply]:
    return [r for r in bot.room.replies if (r.title or "").endswith("occupancy alert")]


async def drive(bot: BotUnderTest, zone_id: str, people: list[int], first: datetime) -> None:
    """One count a minute from `first`, then wait until every one has been evaluated."""
    occupancy = occupancy_of(bot)
    for minute, count in enumerate(people):
        at = first + timedelta(minutes=minute)
        occupancy.live.update(WAREHOUSE, zone_id, int(at.timestamp() * 1000), {"person": count})
    await occupancy.alerts.settled()


def dock_doors(bot: BotUnderTest) -> str:
    return next(
        z for z, label in zone_labels(bot.simulator, WAREHOUSE).items() if label == "Dock Doors"
    )


async def test_fires_once_above_n_is_quiet_while_hovering_and_again_after_the_band(
    occupancy_start: OccupancyStart,
) -> None:
    async with occupancy_start(occupancy={"alert_cooldown": "0s"}) as bot:
        await bot.ask("occupancy alert warehouse zone dock doors above 20", user=OPERATOR)
        zone = dock_doors(bot)
        # Below, then above: one alert.
        await drive(bot, zone, [15, 19, 20, 21], T0)
        assert len(alerts(bot)) == 1
        first = alerts(bot)[0]
        assert "*Warehouse* · Dock Doors: *21 people*, above the alert level of 20" in first.text
        assert "once the count has been 17 or fewer" in first.context[0]
        # Hovering around 20, dipping to 18 (inside the 10 % band): nothing.
        await drive(bot, zone, [20, 22, 19, 21, 18, 23, 20, 21], T0 + timedelta(minutes=4))
        assert len(alerts(bot)) == 1
        # Below the band (17), then above again: a second alert.
        await drive(bot, zone, [17, 19, 21], T0 + timedelta(minutes=12))
        assert len(alerts(bot)) == 2
        assert "*21 people*" in alerts(bot)[1].text
        assert "re-arms at 17 or fewer" in (await bot.ask("occupancy alerts"))[0].text
        # Another zone of the same camera does not count.
        await drive(bot, "0", [5, 40], T0 + timedelta(minutes=15))
        assert len(alerts(bot)) == 2


async def test_a_crossing_inside_the_cooldown_is_not_posted(
    occupancy_start: OccupancyStart,
) -> None:
    async with occupancy_start(occupancy={"alert_cooldown": "10m"}) as bot:
        await bot.ask("occupancy alert warehouse zone dock doors above 10", user=OPERATOR)
        zone = dock_doors(bot)
        await drive(bot, zone, [12, 5, 12, 5], T0)  # fires at T0; crosses again at T0+2m
        assert len(alerts(bot)) == 1
        await drive(bot, zone, [12], T0 + timedelta(minutes=11))  # cooldown over
        assert len(alerts(bot)) == 2


async def test_alert_state_survives_a_restart(occupancy_start: OccupancyStart) -> None:
    async with occupancy_start(occupancy={"alert_cooldown": "0s"}) as bot:
        await bot.ask("occupancy alert warehouse zone dock doors above 10", user=OPERATOR)
        await drive(bot, dock_doors(bot), [12], T0)
        assert len(alerts(bot)) == 1
    async with occupancy_start(occupancy={"alert_cooldown": "0s"}) as bot:
        zone = dock_doors(bot)
        await drive(bot, zone, [13], T0 + timedelta(minutes=1))  # still above: fired already
        assert alerts(bot) == []
        await drive(bot, zone, [3, 14], T0 + timedelta(minutes=2))
        assert len(alerts(bot)) == 1


async def test_a_firing_the_room_could_not_be_told_is_posted_once_after_a_restart(
    occupancy_start: OccupancyStart, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with occupancy_start(occupancy={"alert_cooldown": "0s"}) as bot:
        await bot.ask("occupancy alert warehouse zone dock doors above 10", user=OPERATOR)
        healthy = bot.room.send

        async def platform_down(place: Place, reply: Reply, **how: Any) -> SentMessage:
            if (reply.title or "").endswith("occupancy alert"):
                raise ConnectionError("the chat platform is down")
            return await healthy(place, reply, **how)

        monkeypatch.setattr(bot.room, "send", platform_down)
        await drive(bot, dock_doors(bot), [12], T0)
        assert alerts(bot) == []
    monkeypatch.undo()
    async with occupancy_start(occupancy={"alert_cooldown": "0s"}) as bot:
        (posted,) = alerts(bot)  # told at start, with the firing's own count
        assert "*12 people*" in posted.text
    async with occupancy_start(occupancy={"alert_cooldown": "0s"}) as bot:
        assert alerts(bot) == []  # and only once


async def test_without_mqtt_the_rest_poll_feeds_alerts(
    occupancy_start: OccupancyStart, busy_simulator: SimulatorServer
) -> None:
    async with occupancy_start(simulator=busy_simulator) as bot:
        moment = busy_simulator.cfg.clock()
        people = truth_live(busy_simulator, WAREHOUSE, moment)["0"]["person"]
        assert people >= 2
        await bot.ask(f"occupancy alert warehouse above {people - 1}", user=OPERATOR)
        await bot.ask(f"occupancy alert warehouse above {people}", user=OPERATOR)
        watcher = occupancy_of(bot).alerts
        await watcher.poll_once()
        await watcher.poll_once()  # the same count again: no second post
        assert [a.text.split(",")[0] for a in alerts(bot)] == [
            f"*Warehouse* · Full Frame: *{people} people*"
        ]
        assert len(bot.api_calls("/analytics/live")) == 2
